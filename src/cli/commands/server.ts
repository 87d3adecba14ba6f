/** `baton server`: the HTTP API and the embedded worker, on SQLite unless told otherwise. */
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logging.js';
import { stopOnSignals } from '../shutdown.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('start the Baton server (HTTP API and embedded worker)')
    .option('--data-dir <dir>', 'where SQLite and local state live (env BATON_DATA_DIR, default ./.baton)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL (env BATON_DATABASE_URL)')
    .option('--host <host>', 'address to listen on (env BATON_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (env BATON_PORT, default 8080)', (value) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${value}"`);
      return port;
    })
    .option('--no-examples', 'do not apply examples/ on the first start (env BATON_SKIP_EXAMPLES=1)')
    .option('--no-worker', 'do not run executions in this process')
    .option('--concurrency <n>', 'executions the embedded worker runs at once', (value) => Number(value))
    .action(
      async (options: {
        dataDir?: string;
        databaseUrl?: string;
        host?: string;
        port?: number;
        examples: boolean;
        worker: boolean;
        concurrency?: number;
      }) => {
        const config = loadConfig({
          dataDir: options.dataDir,
          databaseUrl: options.databaseUrl,
          host: options.host,
          port: options.port,
          ...(options.examples ? {} : { applyExamples: false }),
          embeddedWorker: options.worker,
          workerConcurrency: options.concurrency,
        });
        const logger = createLogger(config.logLevel);
        // Loaded here, not at the top: every other command is a thin HTTP client and should not
        // pay for loading Fastify and the database drivers.
        const { startServer } = await import('../../server.js');
        const started = await startServer(config, logger);
        const out = process.stdout;
        out.write(`Baton is listening on ${started.url} (${started.baton.database.describe})\n`);
        const { generatedAdminToken: token, generatedAdminPassword: password } = started;
        if (token || password) {
          out.write(`\nCreated user "admin". Shown only this once:\n\n`);
          if (password) out.write(`  password:   ${password}    sign in at ${started.url}\n`);
          if (token) out.write(`  API token:  ${token}\n\nUse it with:  export BATON_TOKEN=${token}\n`);
          out.write('\n');
        }
        if (started.examplesApplied > 0)
          out.write(`Applied ${started.examplesApplied} example documents from examples/.\n`);
        stopOnSignals(logger, config.drainMs, {
          drain: (drainMs) => started.baton.close(drainMs),
          hurry: () => started.baton.worker?.hurry(),
        });
      },
    );
}
