/** How the worker registry reads: who is serving, who went quiet, and the capacity left. Pure. */
import type { Worker } from '../api/workers';
import { formatDurationForUi } from '../../../src/contract/time.js';

/** Workers send a heartbeat every 5 s; one quiet for longer than two of them is running late. */
export const LATE_AFTER_MS = 10_000;

export interface WorkerHealth {
  /** What the state column says. */
  label: string;
  /** A worker that should be sending heartbeats and is not: lost, or alive but late. */
  stale: boolean;
  /** Shown next to the label. */
  detail: string;
}

/** The health of a worker now, from the state the server decided and the age of its heartbeat. */
export function workerHealth(worker: Pick<Worker, 'state' | 'heartbeatAt'>, now: number): WorkerHealth {
  const quiet = Math.max(0, now - Date.parse(worker.heartbeatAt));
  // Heartbeats come in whole seconds; "2.00 s" would claim a precision they do not have.
  const since = quiet < 60_000 ? `${Math.floor(quiet / 1000)} s` : formatDurationForUi(quiet);
  switch (worker.state) {
    case 'lost':
      return {
        label: 'lost',
        stale: true,
        detail: `no heartbeat for ${since}; its executions are recovered`,
      };
    case 'stopped':
      return { label: 'stopped', stale: false, detail: `stopped ${since} ago` };
    case 'alive':
      return quiet > LATE_AFTER_MS
        ? { label: 'late', stale: true, detail: `last heartbeat ${since} ago` }
        : {
            label: 'alive',
            stale: false,
            detail: quiet < 1000 ? 'heartbeat just now' : `heartbeat ${since} ago`,
          };
  }
}

/** Serving workers first, then lost ones (someone should look), then stopped; by name within each. */
export function sortWorkers(workers: readonly Worker[]): Worker[] {
  const rank = { alive: 0, lost: 1, stopped: 2 } as const;
  return [...workers].sort((a, b) => rank[a.state] - rank[b.state] || a.name.localeCompare(b.name));
}

/** What the serving workers can take: executions running, slots in all, and the groups served. */
export function fleetCapacity(workers: readonly Worker[]) {
  const alive = workers.filter((worker) => worker.state === 'alive');
  return {
    alive: alive.length,
    lost: workers.filter((worker) => worker.state === 'lost').length,
    running: alive.reduce((sum, worker) => sum + worker.running, 0),
    slots: alive.reduce((sum, worker) => sum + worker.concurrency, 0),
    groups: [...new Set(alive.flatMap((worker) => worker.groups))].sort(),
  };
}
