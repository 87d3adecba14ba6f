/** `baton events`, `baton event ID` (the chain as a tree) and `baton rules`. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type {
  ChainNodeView,
  EventDetailResponse,
  EventsResponse,
  EventView,
  RulesResponse,
} from '../../contract/events.js';
import { usageError } from '../errors.js';
import {
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new InvalidArgumentError('expected a whole number from 1 to 500.');
  }
  return limit;
}

/** `ops/disk-full triggered #12`, one per matched rule. */
function matchesText(event: EventView): string {
  if (event.matches.length === 0) return '-';
  return event.matches
    .filter((match) => match.triggerExecutionId === null)
    .map(
      (match) =>
        `${match.rule} ${match.outcome}${match.executionId === null ? '' : ` #${match.executionId}`}`,
    )
    .join(', ');
}

/** A summary cut to fit a table column; `baton event ID` shows it whole. */
function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The chain as a tree: each rule with its outcome and execution, what it caused indented below. */
export function chainTree(nodes: readonly ChainNodeView[], prefix = ''): string {
  let text = '';
  nodes.forEach((node, index) => {
    const last = index === nodes.length - 1;
    const execution = node.execution
      ? ` → execution ${node.execution.id} ${node.execution.job} ${node.execution.state}${
          node.execution.output ? ` output ${JSON.stringify(node.execution.output)}` : ''
        }`
      : '';
    const reason = node.reason ? ` (${node.reason})` : '';
    text += `${prefix}${last ? '└─' : '├─'} rule ${node.rule}: ${node.outcome}${reason}${execution}\n`;
    text += chainTree(node.next, `${prefix}${last ? '   ' : '│  '}`);
  });
  return text;
}

/** The text of `baton event ID`. */
export function describeEvent(detail: EventDetailResponse): string {
  const { event } = detail;
  const source = event.hook ? `hook ${event.project}/${event.hook}` : `project ${event.project}`;
  let text = `event ${event.id}  ${source} (${event.format})\n`;
  text += `  received:     ${formatTime(event.receivedAt)}\n`;
  text += `  fingerprint:  ${event.fingerprint}\n`;
  text += `  summary:      ${event.summary}\n`;
  text += detail.chain.length === 0 ? '\nno rule matched\n' : `\nchain:\n${chainTree(detail.chain)}`;
  return text;
}

export function registerEventsCommands(program: Command): void {
  program
    .command('events')
    .description('list received events, newest first, with what each rule did')
    .option('--project <project>', 'only the events of this project')
    .option('--hook <hook>', 'only the events of this hook (with --project)')
    .option('--limit <n>', 'at most this many events (1-500)', parseLimit, 20)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: { project?: string; hook?: string; limit: number; output: OutputFormat },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<EventsResponse>('/api/v1/events', {
          project: options.project,
          hook: options.hook,
          limit: String(options.limit),
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.events.length === 0) return void process.stderr.write('no events found\n');
        printTable(
          ['ID', 'RECEIVED', 'SOURCE', 'SUMMARY', 'RULES'],
          answer.events.map((event) => [
            String(event.id),
            formatTime(event.receivedAt),
            event.hook ? `${event.project}/${event.hook}` : `${event.project} (${event.format})`,
            truncate(event.summary, 60),
            matchesText(event),
          ]),
        );
      },
    );

  program
    .command('event')
    .description('show an event: its fields and the chain of rules and executions it caused')
    .argument('<id>', 'event id')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (id: string, options: { output: OutputFormat }, command: Command) => {
      if (!/^[1-9]\d*$/.test(id)) throw usageError(`event id must be a positive whole number, not "${id}"`);
      const client = await connect(command);
      const answer = await client.get<EventDetailResponse>(`/api/v1/events/${id}`);
      if (options.output === 'json') return printJson(answer);
      process.stdout.write(describeEvent(answer));
    });

  program
    .command('rules')
    .description('list rules: what each listens to, its condition, the job it fires and as whom')
    .option('--project <project>', 'only the rules of this project')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { project?: string; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<RulesResponse>('/api/v1/rules', { project: options.project });
      if (options.output === 'json') return printJson(answer);
      if (answer.rules.length === 0) return void process.stderr.write('no rules found\n');
      printTable(
        ['RULE', 'ON', 'WHEN', 'JOB', 'DEDUP', 'THROTTLE', 'OWNER', 'ENABLED'],
        answer.rules.map((rule) => [
          `${rule.project}/${rule.name}`,
          rule.on,
          rule.when ?? '(always)',
          rule.job,
          rule.dedup ? `${rule.dedup.key ?? '{{ fingerprint }}'} / ${rule.dedup.window}` : '-',
          rule.throttle ? `${rule.throttle.max} per ${rule.throttle.per}` : '-',
          rule.owner,
          rule.enabled ? 'yes' : 'no',
        ]),
      );
    });
}
