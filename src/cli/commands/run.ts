/** `baton run PROJECT/JOB`: queues an execution, and with --follow prints its log until it ends. */
import type { Command } from 'commander';
import type { ExecutionDetailResponse, ExecutionResponse, RunRequest } from '../../contract/executions.js';
import type { BatonClient } from '../client.js';
import { collectOption, optionValues, parseExecutionId, parseJobReference } from '../arguments.js';
import { usageError } from '../errors.js';
import { MASK } from '../../automation/logs/masking.js';
import { followToExitCode, OUTCOME_HELP } from '../follow.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, type OutputFormat } from '../output.js';
import { connect } from '../session.js';
import { checkNodeFilter } from './nodes.js';

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
    .option(
      '--nodes <filter>',
      "run on these nodes instead of the job's spec.nodes: space-separated key=value terms, keys name, tags, hostname, attr.KEY, parallelism, keepGoing (e.g. 'tags=web,db name=web-* attr.env=prod')",
      checkNodeFilter,
    )
    .option(
      '--override-budget <reason>',
      "let a change job through its service's error-budget gate, with the reason (needs override-budget on the service; audited)",
      parseOverrideReason,
    )
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .addHelpText(
      'after',
      `
A change job (spec.purpose: change) on a service whose error budget is spent may be refused
(exit code 6, one line saying why) or wait for the owning team's approval; baton budget check
PROJECT/JOB says which before you run it.

Option values are data: they reach the job as environment variables (BATON_OPTION_NAME),
never as code, so quoting for the shell that runs the step is not needed.
${OUTCOME_HELP}`,
    )
    .action(
      async (
        job: { project: string; name: string },
        options: {
          option: string[];
          follow?: boolean;
          nodes?: string;
          overrideBudget?: string;
          output: OutputFormat;
        },
        command: Command,
      ) => {
        if (options.follow && options.output === 'json') {
          throw usageError('--output json prints the execution; it cannot be combined with --follow');
        }
        const client = await connect(command);
        const answer = await client.post<ExecutionResponse>(
          `/api/v1/jobs/${encodeURIComponent(job.project)}/${encodeURIComponent(job.name)}/executions`,
          {
            options: optionValues(options.option),
            ...(options.nodes && { nodes: options.nodes }),
            ...(options.overrideBudget !== undefined && {
              overrideBudget: { reason: options.overrideBudget },
            }),
          } satisfies RunRequest,
        );
        if (options.output === 'json') return printJson(answer);
        const { execution } = answer;
        const line = `execution ${execution.id} ${execution.state}\n`;
        // While following, stdout carries only the job's own output, so it can be piped.
        (options.follow ? process.stderr : process.stdout).write(line);
        printAdmission(execution, options.follow === true);
        const awaiting = execution.state === 'awaiting_approval';
        if (awaiting) await explainApproval(client, execution.id);
        if (!options.follow) return;
        await followToExitCode(client, execution.id, 0);
        await printNodeOutcomes(client, execution.id);
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

export function registerRerunCommand(program: Command): void {
  program
    .command('rerun')
    .description('run the job of an execution again, with the same options')
    .argument('<id>', 'the execution to repeat', parseExecutionId)
    .option('-f, --follow', 'print the log as it is written, and exit with the outcome')
    .option(
      '--override-budget <reason>',
      "let a change job through its service's error-budget gate, with the reason (needs override-budget on the service)",
      parseOverrideReason,
    )
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .addHelpText(
      'after',
      `
The new execution runs the job's current revision with the options the earlier one was given
(a secret option keeps its secret path; the value is looked up again). Approval, if the job
requires it, is asked again.
${OUTCOME_HELP}`,
    )
    .action(
      async (
        id: number,
        options: { follow?: boolean; overrideBudget?: string; output: OutputFormat },
        command: Command,
      ) => {
        if (options.follow && options.output === 'json') {
          throw usageError('--output json prints the execution; it cannot be combined with --follow');
        }
        const client = await connect(command);
        const { execution: earlier } = await client.get<ExecutionResponse>(`/api/v1/executions/${id}`);
        // The API shows an option that held a secret as MASK, never its value: running with the
        // stars would be a different run, so say which option to give again instead.
        const masked = Object.keys(earlier.options).find((name) => earlier.options[name] === MASK);
        if (masked !== undefined) {
          throw usageError(
            `option ${masked} of execution ${id} held a secret and is shown as ${MASK}: run the job with baton run ${earlier.project}/${earlier.job} -o ${masked}=VALUE`,
          );
        }
        const answer = await client.post<ExecutionResponse>(
          `/api/v1/jobs/${encodeURIComponent(earlier.project)}/${encodeURIComponent(earlier.job)}/executions`,
          {
            options: earlier.options,
            rerunOf: id,
            ...(options.overrideBudget !== undefined && {
              overrideBudget: { reason: options.overrideBudget },
            }),
          },
        );
        if (options.output === 'json') return printJson(answer);
        const { execution } = answer;
        (options.follow ? process.stderr : process.stdout).write(
          `execution ${execution.id} ${execution.state} (a rerun of ${id})\n`,
        );
        printAdmission(execution, options.follow === true);
        if (execution.state === 'awaiting_approval') await explainApproval(client, execution.id);
        if (options.follow) await followToExitCode(client, execution.id, 0);
      },
    );
}

/** `--override-budget ""` would be an override without a reason: refused here, before the server. */
function parseOverrideReason(reason: string): string {
  if (reason.trim() === '')
    throw usageError('--override-budget needs a reason, e.g. --override-budget "hotfix for INC-42"');
  return reason;
}

/** Says what the admission gates did (an override used, an approval asked): one line each. */
function printAdmission(execution: ExecutionResponse['execution'], follow: boolean): void {
  // A server older than the gates sends no admission.
  for (const note of execution.admission ?? []) {
    if (note.decision === 'admitted') continue;
    (follow ? process.stderr : process.stdout).write(`${note.gate}: ${note.reason}\n`);
  }
}

/** After a followed fan-out: each node's outcome and its execution, to read its own log. */
async function printNodeOutcomes(client: BatonClient, id: number): Promise<void> {
  const { execution } = await client.get<ExecutionDetailResponse>(`/api/v1/executions/${id}`);
  // A server older than runs on nodes sends no nodeRuns.
  for (const run of execution.nodeRuns ?? []) {
    process.stderr.write(
      `node ${run.node}: ${run.state}${run.reason ? ` (${run.reason})` : ''} - baton logs ${run.executionId}
`,
    );
  }
}

/** Says what an execution awaiting approval waits for, and how an approver decides. */
async function explainApproval(client: BatonClient, id: number): Promise<void> {
  const { execution } = await client.get<ExecutionDetailResponse>(`/api/v1/executions/${id}`);
  process.stderr.write(
    `execution ${id} requires approval: ${execution.waitingFor ?? 'waiting for approval'}\n` +
      `  an approver runs: baton approve ${id}   (or: baton reject ${id} --comment WHY)\n`,
  );
}
