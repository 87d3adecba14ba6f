/** `baton run PROJECT/JOB`: queues an execution, and with --follow prints its log until it ends. */
import type { Command } from 'commander';
import type { ExecutionResponse } from '../api.js';
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
        if (!options.follow) return void process.stdout.write(line);
        // While following, stdout carries only the job's own output, so it can be piped.
        process.stderr.write(line);
        await followToExitCode(client, execution.id, 0);
      },
    );
}
