/** GET /api/v1/workers as the UI reads it. */

/** alive: heartbeats arrive; stopped: it said goodbye; lost: its heartbeats stopped without one. */
export type WorkerState = 'alive' | 'stopped' | 'lost';

export interface Worker {
  name: string;
  host: string;
  pid: number;
  /** Worker groups it serves besides ungrouped jobs; empty for ungrouped jobs only. */
  groups: string[];
  concurrency: number;
  running: number;
  version: string;
  /** Runs inside a `baton server` process. */
  embedded: boolean;
  state: WorkerState;
  startedAt: string;
  heartbeatAt: string;
}

export interface WorkerList {
  workers: Worker[];
}
