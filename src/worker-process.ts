/**
 * `baton worker`: a process that only runs executions, on any machine that reaches the
 * PostgreSQL database. It claims work, takes part in the once-only duties, and drains on SIGTERM.
 */
import type { Worker } from './automation/worker/worker.js';
import type { Config } from './platform/config.js';
import { InputError } from './platform/errors.js';
import type { Logger } from './platform/logging.js';
import { createWorker, openRuntime, processName, type Runtime } from './runtime.js';
import { BudgetGate } from './reliability/budgets/gate.js';

export interface StartedWorker {
  runtime: Runtime;
  worker: Worker;
  /** Drains (up to the configured drain timeout) and closes everything. */
  stop(drainMs?: number): Promise<void>;
}

export interface WorkerProcessOptions {
  name?: string;
  groups: string[];
  concurrency: number;
}

/** Starts a standalone worker; refuses SQLite, which belongs to one server process. */
export async function startWorkerProcess(
  config: Config,
  options: WorkerProcessOptions,
  logger: Logger,
): Promise<StartedWorker> {
  if (!config.databaseUrl?.startsWith('postgres')) {
    throw new InputError(
      'baton worker needs PostgreSQL: pass --database-url postgres://… (with SQLite, baton server runs executions itself)',
    );
  }
  const name = options.name ?? processName('worker');
  const runtime = await openRuntime(config, logger, name);
  // Nested job: steps meet the gate here too; nobody overrides from inside a job, so no permission check.
  runtime.admission.register(new BudgetGate({ metrics: runtime.metrics }));
  const worker = createWorker(runtime, {
    name,
    concurrency: options.concurrency,
    groups: options.groups,
    embedded: false,
  });
  try {
    await worker.start();
  } catch (error) {
    await runtime.duties.stop();
    await runtime.database.close();
    throw error;
  }
  logger.info(
    { worker: name, groups: worker.groups, concurrency: options.concurrency },
    'baton worker started',
  );
  return {
    runtime,
    worker,
    stop: async (drainMs = config.drainMs) => {
      await worker.stop(drainMs);
      await runtime.duties.stop();
      await runtime.database.close();
    },
  };
}
