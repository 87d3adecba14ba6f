/** `baton approvals`, `baton approve ID` and `baton reject ID`: deciding on executions that await approval. */
import type { Command } from 'commander';
import type { ExecutionDetailResponse, ExecutionResponse } from '../../contract/executions.js';
import type { ApprovalsResponse } from '../../contract/executions.js';
import { parseExecutionId } from '../arguments.js';
import {
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

export function registerApprovalCommands(program: Command): void {
  program
    .command('approvals')
    .description('list executions awaiting approval that you may approve or reject')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<ApprovalsResponse>('/api/v1/approvals');
      if (options.output === 'json') return printJson(answer);
      if (answer.approvals.length === 0)
        return void process.stderr.write('no executions await your approval\n');
      printTable(
        ['ID', 'JOB', 'REQUESTED BY', 'OPTIONS', 'APPROVALS', 'APPROVERS', 'EXPIRES'],
        answer.approvals.map(({ execution, required, decisions }) => [
          String(execution.id),
          `${execution.project}/${execution.job}`,
          execution.requestedBy,
          Object.entries(execution.options)
            .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
            .join(' '),
          `${decisions.filter((decision) => decision.decision === 'approved').length}/${required.count}`,
          required.approvers.join(', '),
          formatTime(required.expiresAt),
        ]),
      );
    });

  program
    .command('approve')
    .description('approve an execution awaiting approval; with enough approvals it is queued at once')
    .argument('<id>', 'the execution id', parseExecutionId)
    .option('-m, --comment <text>', 'why, for the record')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (id: number, options: { comment?: string; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.post<ExecutionResponse>(
        `/api/v1/executions/${id}/approve`,
        options.comment === undefined ? {} : { comment: options.comment },
      );
      if (options.output === 'json') return printJson(answer);
      if (answer.execution.state !== 'awaiting_approval') {
        return void process.stdout.write(`approved execution ${id}; it is ${answer.execution.state}\n`);
      }
      // More approvals are needed: say how many, from whom, and until when.
      const { execution } = await client.get<ExecutionDetailResponse>(`/api/v1/executions/${id}`);
      process.stdout.write(
        `approved execution ${id}; still ${execution.waitingFor ?? 'awaiting approval'}\n`,
      );
    });

  program
    .command('reject')
    .description('reject an execution awaiting approval: it ends as rejected and never runs')
    .argument('<id>', 'the execution id', parseExecutionId)
    .requiredOption('-m, --comment <text>', 'why it is rejected (required; recorded on the execution)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (id: number, options: { comment: string; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.post<ExecutionResponse>(`/api/v1/executions/${id}/reject`, {
        comment: options.comment,
      });
      if (options.output === 'json') return printJson(answer);
      process.stdout.write(`rejected execution ${id}\n`);
    });
}
