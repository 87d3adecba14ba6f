/**
 * The composition root: opens the database, builds the services of each capability, mounts
 * their routes, and starts the embedded worker. Everything a running Baton is made of is
 * wired here and nowhere else.
 */
import { registerAccessRoutes } from './access/routes.js';
import { registerExecutionRoutes } from './automation/executions/routes.js';
import { ExecutionService } from './automation/executions/service.js';
import { countByState } from './automation/executions/store.js';
import { jobKind } from './automation/jobs/kind.js';
import { registerJobRoutes } from './automation/jobs/routes.js';
import { registerLogRoutes } from './automation/logs/routes.js';
import type { Worker } from './automation/worker/worker.js';
import { registerWorkerRoutes } from './automation/worker/routes.js';
import { projectKind } from './access/projects.js';
import { createWorker, openRuntime, processName, type Runtime } from './runtime.js';
import { AccessControl } from './access/authorize.js';
import type { Config } from './platform/config.js';
import { ApplyService } from './platform/documents/apply.js';
import { registerApplyRoutes } from './platform/documents/routes.js';
import { createHttpApp, type HttpApp } from './platform/http/app.js';
import { registerSystemRoutes } from './platform/http/system-routes.js';
import { silentLogger, type Logger } from './platform/logging.js';
import { VERSION } from './platform/version.js';

/** A running Baton server: its services, its HTTP app (not yet listening) and its worker. */
export interface Baton extends Runtime {
  name: string;
  access: AccessControl;
  apply: ApplyService;
  executions: ExecutionService;
  http: HttpApp;
  worker: Worker | undefined;
  /** Stops accepting requests, drains the embedded worker (up to `drainMs`), closes the database. */
  close(drainMs?: number): Promise<void>;
}

/** Opens the database (migrating it) and builds every service; starts the embedded worker if configured. */
export async function createBaton(config: Config, logger: Logger = silentLogger): Promise<Baton> {
  const name = processName('server');
  const runtime = await openRuntime(config, logger, name);
  const { db, metrics, events } = runtime;
  const access = new AccessControl(db, events, logger);
  await access.refresh();
  const apply = new ApplyService(db, (principal, action, resource) =>
    access.require(principal, action, resource),
  );
  apply.register(jobKind);
  apply.register(projectKind);
  const executions = new ExecutionService(db, events, access);

  metrics.gaugeFromCollector(
    'baton_executions',
    'Executions in the database, by state.',
    ['state'],
    async () =>
      Object.entries(await countByState(db)).map(([state, value]) => ({ labels: { state }, value })),
  );

  const http = await createHttpApp({
    db,
    access,
    logger,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    version: VERSION,
  });
  const baton: Baton = {
    ...runtime,
    name,
    access,
    apply,
    executions,
    http,
    worker: undefined,
    close: async (drainMs = 0) => {
      await http.close();
      await baton.worker?.stop(drainMs);
      await runtime.duties.stop();
      access.close();
      await runtime.database.close();
    },
  };
  registerSystemRoutes(http, baton);
  registerAccessRoutes(http);
  registerApplyRoutes(http, baton);
  registerJobRoutes(http, baton);
  registerExecutionRoutes(http, baton);
  registerLogRoutes(http, baton);
  registerWorkerRoutes(http, baton);
  await http.ready();

  if (config.embeddedWorker) {
    baton.worker = createWorker(runtime, {
      name: name.replace(/^server-/, 'embedded-'),
      concurrency: config.workerConcurrency,
      embedded: true,
    });
    await baton.worker.start();
  }
  return baton;
}
