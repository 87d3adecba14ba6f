/** `baton logs ID`: the stored log of an execution, or with --follow its live log until it ends. */
import type { Command } from 'commander';
import type { LogRangeResponse } from '../../contract/logs.js';
import { parseCount, parseExecutionId } from '../arguments.js';
import { followToExitCode, OUTCOME_HELP, printLogLines } from '../follow.js';
import { connect } from '../session.js';

/** Lines asked for per request when reading a stored log: large pages, few round trips. */
const PAGE_LINES = 5000;

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("print an execution's log: stdout lines to stdout, stderr and Baton's own lines to stderr")
    .argument('<id>', 'the execution id', parseExecutionId)
    .option('-f, --follow', 'keep printing lines as they are written, until the execution ends')
    .option('--from <n>', 'start at this line number (from 0)', parseCount, 0)
    .addHelpText(
      'after',
      `
Without --follow the exit code is 0 whatever the outcome; use baton execution ID for it.
${OUTCOME_HELP}`,
    )
    .action(async (id: number, options: { follow?: boolean; from: number }, command: Command) => {
      const client = await connect(command);
      if (options.follow) return followToExitCode(client, id, options.from);
      let next = options.from;
      for (;;) {
        const page = await client.get<LogRangeResponse>(`/api/v1/executions/${id}/log`, {
          from: next,
          limit: PAGE_LINES,
        });
        printLogLines(page.lines);
        if (page.complete || page.lines.length === 0 || page.next <= next) return;
        next = page.next;
      }
    });
}
