/** `baton worker`: runs executions from a PostgreSQL-backed Baton, on this machine. */
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logging.js';
import { stopOnSignals } from '../shutdown.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run executions from the shared PostgreSQL database (start as many as you need, anywhere)')
    .option('--database-url <url>', 'postgres://… (env BATON_DATABASE_URL)')
    .option(
      '--group <name>',
      'serve jobs that require this worker group (repeatable)',
      (value, all: string[]) => [...all, value],
      [],
    )
    .option('--concurrency <n>', 'executions to run at once (env BATON_WORKER_CONCURRENCY)', (value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`invalid concurrency "${value}": expected a positive integer`);
      return n;
    })
    .option('--name <name>', 'name in the worker registry (default: host, pid and a random tag)')
    .action(
      async (options: { databaseUrl?: string; group: string[]; concurrency?: number; name?: string }) => {
        const config = loadConfig({
          databaseUrl: options.databaseUrl,
          workerConcurrency: options.concurrency,
        });
        const logger = createLogger(config.logLevel);
        // Loaded here so that the other commands, thin HTTP clients, stay quick to start.
        const { startWorkerProcess } = await import('../../worker-process.js');
        const started = await startWorkerProcess(
          config,
          { name: options.name, groups: options.group, concurrency: config.workerConcurrency },
          logger,
        );
        process.stdout.write(
          `Worker ${started.worker.name} is running (groups: ${started.worker.groups.join(', ') || 'none'}; concurrency ${config.workerConcurrency})\n`,
        );
        stopOnSignals(logger, config.drainMs, {
          drain: (drainMs) => started.stop(drainMs),
          hurry: () => started.worker.hurry(),
        });
      },
    );
}
