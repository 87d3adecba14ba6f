/** `baton run PROJECT/JOB`: queues an execution, and with --follow prints its log until it ends. */
import type { Command } from 'commander';
import type { ExecutionDetailResponse, ExecutionResponse } from '../api.js';
import type { BatonClient } from '../client.js';
import { collectOption, optionValues, parseJobReference } from '../arguments.js';
import { usageError } from '../errors.js';
import { followToExitCode, OUTCOME_HELP } from '../follow.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, type OutputFormat } from '../output.js';
import { connect } from '../session.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a job; with --follow, print its log live and exit with its outcome')
    .argument('<project/job>', 'the job to run, e.g. examples/hello', parseJobReference)
    .option(
      '-o, --option <name=value>',
      'an option value; repeat a name to give a list (-o host=a -o host=b)',
      collectOption,
      [],
    )
    .option('-f, --follow', 'print the log as it is written (stdout to stdout, the rest to stderr)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .addHelpText(
      'after',
      `
Option values are data: they reach the job as environment variables (BATON_OPTION_NAME),
never as code, so quoting for the shell that runs the step is not needed.
${OUTCOME_HELP}`,
    )
    .action(
      async (
        job: { project: string; name: string },
        options: { option: string[]; follow?: boolean; output: OutputFormat },
        command: Command,
      ) => {
        if (options.follow && options.output === 'json') {
          throw usageError('--output json prints the execution; it cannot be combined with --follow');
        }
        const client = await connect(command);
        const answer = await client.post<ExecutionResponse>(
          `/api/v1/jobs/${encodeURIComponent(job.project)}/${encodeURIComponent(job.name)}/executions`,
          { options: optionValues(options.option) },
        );
        if (options.output === 'json') return printJson(answer);
        const { execution } = answer;
        const line = `execution ${execution.id} ${execution.state}\n`;
        // While following, stdout carries only the job's own output, so it can be piped.
        (options.follow ? process.stderr : process.stdout).write(line);
        const awaiting = execution.state === 'awaiting_approval';
        if (awaiting) await explainApproval(client, execution.id);
        if (!options.follow) return;
        await followToExitCode(client, execution.id, 0);
        if (awaiting && process.exitCode !== 0) {
          // Say why it never ran: the log of a rejected execution is empty.
          const ended = await client.get<ExecutionResponse>(`/api/v1/executions/${execution.id}`);
          if (ended.execution.state === 'rejected') {
            process.stderr.write(
              `baton: execution ${execution.id} never ran: ${ended.execution.reason ?? 'rejected'}\n`,
            );
          }
        }
      },
    );
}

/** Says what an execution awaiting approval waits for, and how an approver decides. */
async function explainApproval(client: BatonClient, id: number): Promise<void> {
  const { execution } = await client.get<ExecutionDetailResponse>(`/api/v1/executions/${id}`);
  process.stderr.write(
    `execution ${id} requires approval: ${execution.waitingFor ?? 'waiting for approval'}\n` +
      `  an approver runs: baton approve ${id}   (or: baton reject ${id} --comment WHY)\n`,
  );
}
