/**
 * The composition root: opens the database, builds the services of each capability, mounts
 * their routes, and starts the embedded worker. Everything a running Baton is made of is
 * wired here and nowhere else.
 */
import path from 'node:path';
import { registerAccessRoutes } from './access/routes.js';
import { registerExecutionRoutes } from './automation/executions/routes.js';
import { ExecutionService } from './automation/executions/service.js';
import { countByState } from './automation/executions/store.js';
import { jobKind } from './automation/jobs/kind.js';
import { registerJobRoutes } from './automation/jobs/routes.js';
import { LogRegistry } from './automation/logs/registry.js';
import { registerLogRoutes } from './automation/logs/routes.js';
import { Worker } from './automation/worker/worker.js';
import { requireAllowed } from './access/authorize.js';
import type { Config } from './platform/config.js';
import type { DialectCapabilities } from './platform/db/capabilities.js';
import { openDatabase, type Database, type Db } from './platform/db/database.js';
import { ApplyService } from './platform/documents/apply.js';
import { registerApplyRoutes } from './platform/documents/routes.js';
import { LocalEventBus, type EventBus } from './platform/events.js';
import { createHttpApp, type HttpApp } from './platform/http/app.js';
import { registerSystemRoutes } from './platform/http/system-routes.js';
import { silentLogger, type Logger } from './platform/logging.js';
import { Metrics } from './platform/metrics.js';
import { VERSION } from './platform/version.js';

/** A running Baton: its services, its HTTP app (not yet listening) and its worker. */
export interface Baton {
  config: Config;
  database: Database;
  db: Db;
  caps: DialectCapabilities;
  events: EventBus;
  logs: LogRegistry;
  metrics: Metrics;
  logger: Logger;
  apply: ApplyService;
  executions: ExecutionService;
  http: HttpApp;
  worker: Worker | undefined;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and builds every service; starts the embedded worker if configured. */
export async function createBaton(config: Config, logger: Logger = silentLogger): Promise<Baton> {
  const database = await openDatabase({
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, 'baton.db'),
  });
  const { db, caps } = database;
  const events = new LocalEventBus();
  const logs = new LogRegistry();
  const metrics = new Metrics();
  const apply = new ApplyService(db, requireAllowed);
  apply.register(jobKind);
  const executions = new ExecutionService(db, events);

  metrics.gaugeFromCollector(
    'baton_executions',
    'Executions in the database, by state.',
    ['state'],
    async () =>
      Object.entries(await countByState(db)).map(([state, value]) => ({ labels: { state }, value })),
  );

  const http = await createHttpApp({
    db,
    logger,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    version: VERSION,
  });
  const baton: Baton = {
    config,
    database,
    db,
    caps,
    events,
    logs,
    metrics,
    logger,
    apply,
    executions,
    http,
    worker: undefined,
    close: async () => {
      await http.close();
      await baton.worker?.stop();
      await database.close();
    },
  };
  registerSystemRoutes(http, baton);
  registerAccessRoutes(http);
  registerApplyRoutes(http, baton);
  registerJobRoutes(http, baton);
  registerExecutionRoutes(http, baton);
  registerLogRoutes(http, baton);
  await http.ready();

  if (config.embeddedWorker) {
    baton.worker = new Worker({
      db,
      caps,
      events,
      logs,
      metrics,
      logger,
      config,
      concurrency: config.workerConcurrency,
    });
    baton.worker.start();
  }
  return baton;
}
