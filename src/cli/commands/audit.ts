/** `baton audit`: read the audit trail, verify its hash chain, export it as JSON lines (admins). */
import type { Command } from 'commander';
import type { AuditRecordsResponse, AuditVerifyResponse } from '../../contract/audit.js';
import { parseCount, TIME_HELP } from '../arguments.js';
import { EXIT_CODES } from '../errors.js';
import {
  OUTPUT_HELP,
  formatTime,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

function summaryText(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the audit trail (admins): list, verify, export');

  audit
    .command('list', { isDefault: true })
    .description('audit records, newest first')
    .option('--actor <name>', 'only what this user or service account did')
    .option('--action <action>', 'an action (token.create) or a group (token)')
    .option('--target <prefix>', 'targets starting with this (token/, job/ops/)')
    .option('--since <time>', TIME_HELP)
    .option('--until <time>', TIME_HELP)
    .option('--limit <n>', 'how many records', parseCount, 50)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: {
          actor?: string;
          action?: string;
          target?: string;
          since?: string;
          until?: string;
          limit: number;
          output: OutputFormat;
        },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<AuditRecordsResponse>('/api/v1/audit', {
          actor: options.actor,
          action: options.action,
          target: options.target,
          since: options.since,
          until: options.until,
          limit: options.limit,
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.records.length === 0) return void process.stderr.write('no audit records\n');
        printTable(
          ['SEQ', 'TIME', 'ACTOR', 'ADDRESS', 'ACTION', 'TARGET', 'SUMMARY'],
          answer.records.map((record) => [
            String(record.seq),
            formatTime(record.at),
            record.actor,
            record.address ?? '-',
            record.action,
            record.target,
            summaryText(record.summary),
          ]),
        );
      },
    );

  audit
    .command('verify')
    .description(
      'check the hash chain: exit 0 when intact, 1 with one line per changed, deleted or reordered record',
    )
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const result = await client.get<AuditVerifyResponse>('/api/v1/audit/verify');
      if (options.output === 'json') printJson(result);
      else if (result.ok) {
        const range = result.firstSeq === null ? '' : ` (${result.firstSeq}-${result.lastSeq})`;
        process.stdout.write(
          `audit trail intact: ${result.checked} records${range}, head ${result.headSeq} ${result.headHash}\n`,
        );
      } else {
        for (const { seq, problem } of result.problems) process.stdout.write(`record ${seq}: ${problem}\n`);
        process.stderr.write(`baton: audit trail broken: ${result.problems.length} problems\n`);
      }
      if (!result.ok) process.exitCode = EXIT_CODES.failure;
    });

  audit
    .command('export')
    .description('write audit records as JSON lines, oldest first, with their hashes')
    .option('--since <time>', TIME_HELP)
    .option('--until <time>', TIME_HELP)
    .action(async (options: { since?: string; until?: string }, command: Command) => {
      const client = await connect(command);
      const query = new URLSearchParams();
      if (options.since) query.set('since', options.since);
      if (options.until) query.set('until', options.until);
      const text = query.toString();
      const controller = new AbortController();
      const response = await client.open(
        `/api/v1/audit/export${text ? `?${text}` : ''}`,
        { accept: 'application/x-ndjson' },
        controller.signal,
      );
      if (!response.body) return;
      for await (const chunk of response.body) {
        if (!process.stdout.write(chunk)) {
          await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      }
    });
}
