/** The worker registry: who is running executions, where, and whether it is alive (SQL in store.ts). */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  groups: string[];
  concurrency: number;
  running: number;
  version: string;
  embedded: boolean;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
}

/** A worker that has not sent a heartbeat for this long is considered gone. */
export const HEARTBEAT_MS = 5_000;
export const WORKER_STALE_MS = 3 * HEARTBEAT_MS;

/** Whether a worker is serving: no stop recorded and a recent heartbeat. */
export function isAlive(worker: WorkerInfo, now: number): boolean {
  return worker.stoppedAt === null && worker.heartbeatAt.getTime() > now - WORKER_STALE_MS;
}
