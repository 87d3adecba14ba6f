/** The `baton` command: the server, and a client of its HTTP API for everything else. */
import { Command } from 'commander';
import { VERSION } from '../platform/version.js';
import { registerServerCommand } from './commands/server.js';

/** Builds the command tree (exported for tests). */
export function createProgram(): Command {
  const program = new Command('baton').version(VERSION).description('Operations as a Service');
  registerServerCommand(program);
  return program;
}

/** Runs the CLI with process.argv-style arguments. */
export async function main(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
