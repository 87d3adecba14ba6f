/** The `baton` command: the server, and a client of its HTTP API for everything else. */
import { Command, CommanderError } from 'commander';
import { BatonError, coerceError, formatProblem, InputError } from '../platform/errors.js';
import { VERSION } from '../platform/version.js';
import { registerAccessCommands } from './commands/access.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerApprovalCommands } from './commands/approvals.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerExecutionCommands } from './commands/executions.js';
import { registerJobCommand, registerJobsCommand } from './commands/jobs.js';
import { registerLoginCommand } from './commands/login.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerRerunCommand, registerRunCommand } from './commands/run.js';
import { registerSchedulesCommand } from './commands/schedules.js';
import { registerNodesCommand } from './commands/nodes.js';
import { registerEventsCommands } from './commands/events.js';
import { registerUsageCommand } from './commands/usage.js';
import { registerServerCommand } from './commands/server.js';
import { registerTokensCommand } from './commands/tokens.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerUsersCommand } from './commands/users.js';
import { registerWorkersCommand } from './commands/workers.js';
import { registerSecretsCommand } from './commands/secrets.js';
import { registerSloCommands } from './commands/slos.js';
import { DEFAULT_URL } from './config.js';
import { registerBudgetCommand } from './commands/budget.js';
import { CliError, EXIT_CODES } from './errors.js';

const EXIT_HELP = `
Exit codes:
  0  success
  1  failure (including a failed execution with --follow)
  2  bad input: a usage error, an invalid document or option value
  3  not authenticated, or not allowed
  4  not found
  5  the server cannot be reached
  6  refused by the error-budget gate (baton budget check explains; --override-budget "reason")
  124, 130  with --follow: the execution timed out, or was cancelled (or Ctrl-C)`;

/** Builds the command tree (exported for tests). */
export function createProgram(): Command {
  const program = new Command('baton')
    .version(VERSION)
    .description('Operations as a Service')
    .option('--url <url>', `the Baton server (env BATON_URL, else the saved login, else ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env BATON_TOKEN, else the saved login)')
    .addHelpText('after', EXIT_HELP)
    // Usage errors are thrown (handled in main) instead of exiting inside commander, and
    // printed as the one `baton: …` line every failure gets. Subcommands inherit both.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(
          `baton: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });
  registerServerCommand(program);
  registerWorkerCommand(program);
  registerLoginCommand(program);
  registerApplyCommand(program);
  registerRunCommand(program);
  registerRerunCommand(program);
  registerBudgetCommand(program);
  registerJobsCommand(program);
  registerJobCommand(program);
  registerUsageCommand(program);
  registerSchedulesCommand(program);
  registerNodesCommand(program);
  registerEventsCommands(program);
  registerExecutionCommands(program);
  registerApprovalCommands(program);
  registerLogsCommand(program);
  registerWorkersCommand(program);
  registerUsersCommand(program);
  registerSecretsCommand(program);
  registerAccessCommands(program);
  registerSloCommands(program);
  registerTokensCommand(program);
  registerAuditCommand(program);
  return program;
}

/** Runs the CLI with process.argv-style arguments; failures are reported here and set the exit code. */
export async function main(argv: string[]): Promise<void> {
  exitQuietlyWhenTheReaderLeaves(process.stdout);
  exitQuietlyWhenTheReaderLeaves(process.stderr);
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

/** Prints a failure as `baton: …` (and problem lines) on stderr; returns the exit code. Never a stack trace. */
function report(error: unknown): number {
  // commander has printed its message already (or help/version, which are not failures).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (error instanceof CliError) {
    // An empty message: the command has said everything on stdout and only sets the exit code.
    if (!error.message && error.details.length === 0) return error.exitCode;
    process.stderr.write([`baton: ${error.message}`, ...error.details].map((line) => `${line}\n`).join(''));
    return error.exitCode;
  }
  // `baton server` runs in this process; its input errors (a bad BATON_PORT, say) are usage errors.
  if (error instanceof InputError) {
    process.stderr.write(
      [`baton: ${error.message}`, ...error.problems.map(formatProblem)].map((line) => `${line}\n`).join(''),
    );
    return EXIT_CODES.usage;
  }
  const message = coerceError(error).message;
  process.stderr.write(`baton: ${message}\n`);
  return error instanceof BatonError && error.status === 404 ? EXIT_CODES.notFound : EXIT_CODES.failure;
}

/**
 * `baton logs 5 | head` closes the pipe early; like cat, stop quietly instead of dying on an
 * unhandled EPIPE with a stack trace. (The execution itself is the server's and is unaffected.)
 */
function exitQuietlyWhenTheReaderLeaves(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && stream !== process.stderr) {
      process.stderr.write(`baton: cannot write output: ${error.message}\n`);
    }
    process.exit(error.code === 'EPIPE' ? (process.exitCode ?? EXIT_CODES.ok) : EXIT_CODES.failure);
  });
}
