/** `baton executions`, `baton execution ID` (alias `show`) and `baton cancel ID`. */
import type { Command } from 'commander';
import type {
  ExecutionDetailResponse,
  ExecutionDetailView,
  ExecutionResponse,
  ExecutionsResponse,
  ExecutionView,
} from '../../contract/executions.js';
import { formatAdmissionNote, formatExecutionBudgetCost } from '../../contract/slo-format.js';
import type { ExecutionBudgetCostResponse, ExecutionBudgetCostView } from '../../contract/slos.js';
import { parseCount, parseExecutionId, TIME_HELP } from '../arguments.js';
import type { BatonClient } from '../client.js';
import { CliError, EXIT_CODES } from '../errors.js';
import {
  elapsed,
  formatTable,
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

const STATES = 'awaiting_approval, queued, running, succeeded, failed, cancelled, timed_out, rejected';

const exitText = (code: number | null) => (code === null ? '' : String(code));

export function registerExecutionCommands(program: Command): void {
  program
    .command('executions')
    .description('list executions, newest first')
    .option('--job <job>', 'only this job: NAME, or PROJECT/NAME')
    .option('--project <project>', 'only jobs of this project')
    .option('--state <states>', `only executions in these states, comma-separated (${STATES})`)
    .option('--user <name>', 'only executions this user or service account requested')
    .option('--since <time>', `queued since: ${TIME_HELP}`)
    .option('--until <time>', `queued before: ${TIME_HELP}`)
    .option('--limit <n>', 'at most this many (the server allows 1 to 500; default 50)', parseCount)
    .option(
      '--node-runs',
      'also list the per-node executions of runs on nodes (each run is listed once otherwise)',
    )
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: {
          nodeRuns?: boolean;
          job?: string;
          project?: string;
          state?: string;
          user?: string;
          since?: string;
          until?: string;
          limit?: number;
          output: OutputFormat;
        },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<ExecutionsResponse>('/api/v1/executions', {
          job: options.job,
          project: options.project,
          states: options.state,
          user: options.user,
          since: options.since,
          until: options.until,
          limit: options.limit,
          nodeRuns: options.nodeRuns ? 'true' : undefined,
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.executions.length === 0) return void process.stderr.write('no executions found\n');
        printTable(
          ['ID', 'JOB', 'STATE', 'USER', 'QUEUED', 'DURATION', 'EXIT'],
          answer.executions.map((execution) => [
            String(execution.id),
            `${execution.project}/${execution.job}${execution.node ? ` on ${execution.node}` : ''}`,
            execution.state,
            execution.requestedBy,
            formatTime(execution.queuedAt),
            elapsed(execution.startedAt, execution.finishedAt),
            exitText(execution.exitCode),
          ]),
        );
      },
    );

  program
    .command('execution')
    .alias('show')
    .description('show one execution: its state, steps and attempts')
    .argument('<id>', 'the execution id', parseExecutionId)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (id: number, options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<ExecutionDetailResponse>(`/api/v1/executions/${id}`);
      if (options.output === 'json') return printJson(answer);
      process.stdout.write(describeExecution(answer.execution, await budgetCosts(client, id)));
    });

  program
    .command('cancel')
    .description('cancel a queued execution, or end a running one with its whole process tree')
    .argument('<id>', 'the execution id', parseExecutionId)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (id: number, options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.post<ExecutionResponse>(`/api/v1/executions/${id}/cancel`);
      if (options.output === 'json') return printJson(answer);
      const { execution } = answer;
      // A queued execution is cancelled at once; a running one ends when its worker has
      // stopped the process tree, a moment later.
      process.stdout.write(
        execution.state === 'cancelled'
          ? `execution ${id} cancelled\n`
          : `cancel requested for execution ${id} (${execution.state})\n`,
      );
    });
}

/**
 * What a change execution cost its service's SLOs. A server older than the route answers 404 for
 * an execution the first request just found: the execution is shown without them then.
 */
async function budgetCosts(client: BatonClient, id: number): Promise<ExecutionBudgetCostView[]> {
  try {
    return (await client.get<ExecutionBudgetCostResponse>(`/api/v1/executions/${id}/budget-cost`)).costs;
  } catch (error) {
    if (error instanceof CliError && error.exitCode === EXIT_CODES.notFound) return [];
    throw error;
  }
}

/**
 * The text of `baton execution ID`: fields (with one `budget cost` line per SLO of a change's
 * service), then the steps and (after retries) the attempts.
 */
export function describeExecution(
  execution: ExecutionDetailView,
  costs: readonly ExecutionBudgetCostView[] = [],
): string {
  const fields: [string, string][] = [
    ['job', `${execution.project}/${execution.job} (revision ${execution.jobRevision})`],
    ['state', stateText(execution)],
    ['reason', execution.reason ?? ''],
    ['waiting for', execution.waitingFor ?? ''],
    ['approval', approvalText(execution)],
    // A server older than the gates sends no admission; each gate's note is a line of its own.
    ...(execution.admission ?? []).map((note): [string, string] => [
      note.gate,
      formatAdmissionNote(note, formatTime),
    ]),
    ...costs.map((cost): [string, string] => ['budget cost', formatExecutionBudgetCost(cost)]),
    ['worker group', execution.workerGroup ?? ''],
    ['requested', `${formatTime(execution.queuedAt)} by ${execution.requestedBy}`],
    ['started', formatTime(execution.startedAt)],
    ['finished', formatTime(execution.finishedAt)],
    ['duration', elapsed(execution.startedAt, execution.finishedAt)],
    ['options', optionsText(execution.options)],
    [
      'attempt',
      execution.retryOf === null
        ? String(execution.attempt)
        : `${execution.attempt} (retry of ${execution.retryOf})`,
    ],
    ['parent', execution.parentId === null ? '' : `execution ${execution.parentId}`],
    ['caused by', execution.cause ? `event ${execution.cause.eventId} (rule ${execution.cause.rule})` : ''],
    ['output', execution.output ? JSON.stringify(execution.output) : (execution.outputError ?? '')],
    [
      'log',
      `${execution.log.lines} lines${execution.log.discardedBytes ? `, ${execution.log.discardedBytes} bytes discarded over the cap` : ''}`,
    ],
  ];
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  let text = `execution ${execution.id}\n`;
  for (const [name, value] of fields) {
    if (value) text += `  ${`${name}:`.padEnd(width)}  ${value}\n`;
  }
  if (execution.steps.length > 0) {
    text += '\nsteps:\n';
    text += indent(
      formatTable(
        ['#', 'NAME', 'STATE', 'EXIT', 'DURATION', 'DETAIL'],
        execution.steps.map((step) => [
          String(step.index + 1),
          step.name,
          step.state,
          exitText(step.exitCode),
          elapsed(step.startedAt, step.finishedAt),
          [
            step.reason ?? '',
            step.handlerState ? `error handler ${step.handlerState}` : '',
            step.childExecutionId === null ? '' : `execution ${step.childExecutionId}`,
          ]
            .filter(Boolean)
            .join('; '),
        ]),
      ),
    );
  }
  const decisions = execution.approval?.decisions ?? [];
  if (decisions.length > 0) {
    text += '\ndecisions:\n';
    text += indent(
      formatTable(
        ['APPROVER', 'DECISION', 'AT', 'COMMENT'],
        decisions.map((decision) => [
          decision.approver,
          decision.decision,
          formatTime(decision.at),
          decision.comment ?? '',
        ]),
      ),
    );
  }
  if (execution.attempts.length > 1) {
    text += '\nattempts:\n';
    text += indent(
      formatTable(
        ['ID', 'ATTEMPT', 'STATE', 'EXIT', 'REASON'],
        execution.attempts.map((attempt) => [
          String(attempt.id),
          String(attempt.attempt),
          attempt.state,
          exitText(attempt.exitCode),
          attempt.reason ?? '',
        ]),
      ),
    );
  }
  return text;
}

function stateText(execution: ExecutionView): string {
  const exit = execution.exitCode === null ? '' : ` (exit ${execution.exitCode})`;
  const cancelling =
    execution.cancelRequestedAt && (execution.state === 'running' || execution.state === 'queued')
      ? ', cancel requested'
      : '';
  return `${execution.state}${exit}${cancelling}`;
}

/** "1 of team/sre, user/ops-lead (expires 2025-…)" while it waits; who is needed afterwards. */
function approvalText(execution: ExecutionDetailView): string {
  if (!execution.approval) return '';
  const { required } = execution.approval;
  const needed = `${required.count} of ${required.approvers.join(', ')}`;
  return execution.state === 'awaiting_approval' && required.expiresAt
    ? `needs ${needed}, expires ${formatTime(required.expiresAt)}`
    : `required ${needed}`;
}

function optionsText(options: Record<string, unknown>): string {
  return Object.entries(options)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}
