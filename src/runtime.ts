/**
 * What every Baton process (server or worker) runs on: the database, the event bus that
 * reaches the other processes, metrics, the in-process log registry, and the once-only duties.
 */
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { approvalExpiryDuty } from './automation/approvals/expiry.js';
import { auditRetentionDuty } from './access/audit/retention.js';
import { retentionDuty } from './automation/executions/retention.js';
import { eventRetentionDuty } from './automation/events/retention.js';
import { LogRegistry } from './automation/logs/registry.js';
import { leaseRecoveryDuty, workerCleanupDuty } from './automation/worker/recovery.js';
import { remoteOrphanDuty } from './automation/nodes/remote-orphans.js';
import { signInCleanupDuty } from './access/sign-in/cleanup.js';
import { Worker } from './automation/worker/worker.js';
import { AdmissionGates } from './automation/executions/admission.js';
import { loadKeyring, type Keyring } from './access/secrets/keyring.js';
import type { Config } from './platform/config.js';
import type { DialectCapabilities } from './platform/db/capabilities.js';
import { openDatabase, type Database, type Db } from './platform/db/database.js';
import { Duties } from './platform/duties.js';
import type { EventBus } from './platform/events.js';
import type { Logger } from './platform/logging.js';
import { Metrics } from './platform/metrics.js';

export interface Runtime {
  config: Config;
  database: Database;
  db: Db;
  caps: DialectCapabilities;
  events: EventBus;
  logs: LogRegistry;
  metrics: Metrics;
  logger: Logger;
  duties: Duties;
  /** The master keys that seal secrets; workers decrypt with them when a step starts. */
  keyring: Keyring;
  /**
   * The gates every new execution meets (see automation/executions/admission.ts). Empty here:
   * the composition roots (app.ts, worker-process.ts) register the gates of the floors above.
   */
  admission: AdmissionGates;
}

/** A name for this process in leases and the worker registry: host, pid and a random tag. */
export function processName(prefix: string): string {
  return `${prefix}-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Opens (and migrates) the database and starts the event bus and the duties. */
export async function openRuntime(config: Config, logger: Logger, owner: string): Promise<Runtime> {
  // First, so that a bad or exposed key stops the start before anything else is opened.
  const keyring = await loadKeyring(config);
  const database = await openDatabase({
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, 'baton.db'),
  });
  const events = await database.createEventBus(logger);
  const metrics = new Metrics();
  const duties = new Duties({ db: database.db, owner, logger, metrics });
  duties.add(leaseRecoveryDuty({ db: database.db, events, logger, metrics }));
  duties.add(retentionDuty({ db: database.db, metrics }, { defaultMs: config.retentionMs }));
  duties.add(eventRetentionDuty({ db: database.db, metrics }, { defaultMs: config.retentionMs }));
  duties.add(approvalExpiryDuty({ db: database.db, events }));
  duties.add(auditRetentionDuty({ db: database.db, metrics }, config.auditRetentionMs));
  duties.add(workerCleanupDuty(database.db));
  duties.add(signInCleanupDuty(database.db));
  duties.add(remoteOrphanDuty({ db: database.db, keyring, logger, metrics }));
  duties.start();
  return {
    config,
    database,
    db: database.db,
    caps: database.caps,
    events,
    logs: new LogRegistry(),
    metrics,
    logger,
    duties,
    keyring,
    admission: new AdmissionGates(),
  };
}

/** A worker for this runtime. */
export function createWorker(
  runtime: Runtime,
  options: { name: string; concurrency: number; groups?: string[]; embedded: boolean },
): Worker {
  const { db, caps, events, logs, metrics, logger, config, keyring, admission } = runtime;
  return new Worker({
    db,
    gates: admission,
    keyring,
    caps,
    events,
    logs,
    metrics,
    logger,
    config,
    // Followers on other machines see lines once stored; on one SQLite process they see them at once.
    logFlushMs: caps.listenNotify ? 200 : 1000,
    ...options,
  });
}
