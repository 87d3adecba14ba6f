/** `baton schedules`: what runs when, as whom, and what the last fire of each did. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { SchedulesResponse, ScheduleView } from '../../contract/schedules.js';
import {
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { formatDurationForCli } from '../../contract/time.js';
import { connect } from '../session.js';

/** Most NEXT FIRE columns a table shows; `--output json` takes up to the API's 50. */
const MAX_NEXT_COLUMNS = 5;

function parseNext(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_NEXT_COLUMNS) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_NEXT_COLUMNS}.`);
  }
  return count;
}

/** `2025-03-14 02:30:00 (in 4h12m)`, in the reader's local time. */
export function nextFireText(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const wait = Date.parse(iso) - now;
  return `${formatTime(iso)} (${wait <= 0 ? 'due now' : `in ${formatDurationForCli(wait)}`})`;
}

/** `queued #42 succeeded 3m ago`, `refused 1m ago`, `skipped (misfire) 2h ago`, or `-`. */
export function lastFireText(schedule: ScheduleView, now = Date.now()): string {
  const last = schedule.lastFire;
  if (!last) return '-';
  const ago = `${formatDurationForCli(now - Date.parse(last.firedAt))} ago`;
  if (last.outcome === 'queued' && last.execution) {
    const state = last.execution.state ?? 'deleted';
    return `#${last.execution.id} ${state} ${ago}`;
  }
  return `${last.outcome === 'refused' ? 'refused' : 'skipped (misfire)'} ${ago}`;
}

export function registerSchedulesCommand(program: Command): void {
  program
    .command('schedules')
    .description('list schedules: job, cron and zone, next fire times, last fire and owner')
    .option('--project <project>', 'only the schedules of this project')
    .option('--job <job>', 'only the schedules that run this job (NAME, with --project, or PROJECT/NAME)')
    .option('--next <n>', `NEXT FIRE columns, 1-${MAX_NEXT_COLUMNS}`, parseNext, 1)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: { project?: string; job?: string; next: number; output: OutputFormat },
        command: Command,
      ) => {
        const [project, job] = options.job?.includes('/')
          ? (options.job.split('/', 2) as [string, string])
          : [options.project, options.job];
        const client = await connect(command);
        const answer = await client.get<SchedulesResponse>('/api/v1/schedules', {
          project,
          job,
          next: String(options.output === 'json' ? Math.max(options.next, 3) : options.next),
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.schedules.length === 0) return void process.stderr.write('no schedules found\n');
        const now = Date.now();
        const nextHeaders = Array.from({ length: options.next }, (_, index) =>
          index === 0 ? 'NEXT FIRE' : `NEXT FIRE ${index + 1}`,
        );
        printTable(
          ['SCHEDULE', 'JOB', 'CRON', 'TIMEZONE', ...nextHeaders, 'LAST FIRE', 'OWNER'],
          answer.schedules.map((schedule) => [
            `${schedule.project}/${schedule.name}`,
            schedule.job,
            schedule.cron,
            schedule.timezone,
            ...nextHeaders.map((_, index) =>
              schedule.enabled
                ? nextFireText(schedule.nextFireTimes[index], now)
                : index === 0
                  ? 'disabled'
                  : '',
            ),
            lastFireText(schedule, now),
            schedule.owner,
          ]),
        );
        // Why a fire was refused or skipped is the first thing its owner needs to know.
        const notes = answer.schedules.filter((schedule) => schedule.lastFire?.reason);
        if (notes.length > 0) process.stdout.write('\n');
        for (const schedule of notes) {
          process.stdout.write(`${schedule.project}/${schedule.name}: ${schedule.lastFire!.reason}\n`);
        }
      },
    );
}
