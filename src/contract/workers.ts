/** The worker registry on the wire: `GET /api/v1/workers`. */
import { z } from 'zod';

/** alive: heartbeats arrive; stopped: it said goodbye; lost: its heartbeats stopped without one. */
export const WORKER_STATES = ['alive', 'stopped', 'lost'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const workerView = z.object({
  name: z.string(),
  host: z.string(),
  pid: z.number(),
  groups: z.array(z.string()),
  concurrency: z.number(),
  running: z.number(),
  version: z.string(),
  embedded: z.boolean(),
  state: z.enum(WORKER_STATES),
  startedAt: z.string(),
  heartbeatAt: z.string(),
});
export type WorkerView = z.infer<typeof workerView>;

export const workersResponse = z.object({ workers: z.array(workerView) });
export type WorkersResponse = z.infer<typeof workersResponse>;
