/** The worker registry over HTTP: who runs executions, where, and whether they are alive. */
import { resources } from '../../access/model.js';
import { workersResponse, type WorkersResponse } from '../../contract/workers.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { isAlive } from './registry.js';
import { listWorkers } from './store.js';

/** What the worker routes use of a running Baton. */
export interface WorkerRoutesDeps {
  db: Db;
}

export function registerWorkerRoutes(app: HttpApp, baton: WorkerRoutesDeps): void {
  app.get(
    '/api/v1/workers',
    {
      config: { access: { action: 'view', resource: () => resources.system } },
      schema: {
        description: 'Registered workers with their groups, load and last heartbeat.',
        response: { 200: workersResponse },
      },
    },
    async (): Promise<WorkersResponse> => {
      const now = Date.now();
      const workers = await listWorkers(baton.db);
      return {
        workers: workers.map((worker) => ({
          ...worker,
          state: isAlive(worker, now) ? 'alive' : worker.stoppedAt ? 'stopped' : 'lost',
          startedAt: worker.startedAt.toISOString(),
          heartbeatAt: worker.heartbeatAt.toISOString(),
        })),
      };
    },
  );
}
