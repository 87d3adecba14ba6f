/** The worker registry over HTTP: who runs executions, where, and whether they are alive. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import { resources } from '../../access/model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { isAlive, listWorkers } from './registry.js';

export const workerView = z.object({
  name: z.string(),
  host: z.string(),
  pid: z.number(),
  groups: z.array(z.string()),
  concurrency: z.number(),
  running: z.number(),
  version: z.string(),
  embedded: z.boolean(),
  state: z.enum(['alive', 'stopped', 'lost']),
  startedAt: z.string(),
  heartbeatAt: z.string(),
});

export function registerWorkerRoutes(app: HttpApp, baton: Pick<Baton, 'db'>): void {
  app.get(
    '/api/v1/workers',
    {
      config: { access: { action: 'view', resource: () => resources.system } },
      schema: {
        description: 'Registered workers with their groups, load and last heartbeat.',
        response: { 200: z.object({ workers: z.array(workerView) }) },
      },
    },
    async () => {
      const now = Date.now();
      const workers = await listWorkers(baton.db);
      return {
        workers: workers.map((worker) => ({
          ...worker,
          state: isAlive(worker, now)
            ? ('alive' as const)
            : worker.stoppedAt
              ? ('stopped' as const)
              : ('lost' as const),
          startedAt: worker.startedAt.toISOString(),
          heartbeatAt: worker.heartbeatAt.toISOString(),
        })),
      };
    },
  );
}
