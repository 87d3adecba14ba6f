/** `baton usage`: how operations were used — by job, person and team — and the time they saved. */
import type { Command } from 'commander';
import type { UsageResponse } from '../../contract/usage.js';
import { formatTable, OUTPUT_HELP, parseOutputFormat, printJson, type OutputFormat } from '../output.js';
import { formatDurationForCli } from '../../contract/time.js';
import { connect } from '../session.js';

const rate = (value: number | null) => (value === null ? '-' : `${Math.round(value * 100)}%`);
const minutes = (value: number) => formatDurationForCli(Math.round(value * 60_000));

/** The text `baton usage` prints: a summary line, then one table per grouping. */
export function describeUsage(usage: UsageResponse): string {
  const total = usage.days.reduce((sum, day) => sum + day.executions, 0);
  const succeeded = usage.days.reduce((sum, day) => sum + day.succeeded, 0);
  const failed = usage.days.reduce((sum, day) => sum + day.failed, 0);
  const sections = [
    `${usage.window.since.slice(0, 10)} to ${usage.window.until.slice(0, 10)}: ${total} executions, ` +
      `success ${rate(succeeded + failed === 0 ? null : succeeded / (succeeded + failed))}, ` +
      `time saved ${minutes(usage.timeSaved.totalMinutes)}` +
      (usage.truncated ? ' (percentiles from a sample: the window holds more runs than are read)' : '') +
      '\n',
  ];
  if (usage.byJob.length) {
    sections.push(
      formatTable(
        ['JOB', 'RUNS', 'SUCCESS', 'P50', 'P95'],
        usage.byJob.map((job) => [
          `${job.project}/${job.job}`,
          String(job.executions),
          rate(job.successRate),
          job.durationMs ? formatDurationForCli(job.durationMs.p50) : '-',
          job.durationMs ? formatDurationForCli(job.durationMs.p95) : '-',
        ]),
      ),
    );
  }
  if (usage.byUser.length) {
    sections.push(
      formatTable(
        ['REQUESTED BY', 'RUNS', 'SUCCESS', 'ON BEHALF OF'],
        usage.byUser.map((user) => [
          user.user,
          String(user.executions),
          rate(user.successRate),
          user.onBehalfOf.join(', '),
        ]),
      ),
    );
  }
  if (usage.byTeam.length) {
    sections.push(
      formatTable(
        ['TEAM', 'RUNS', 'SUCCESS'],
        usage.byTeam.map((team) => [team.team, String(team.executions), rate(team.successRate)]),
      ),
    );
  }
  if (usage.timeSaved.byJob.length) {
    sections.push(
      formatTable(
        ['TIME SAVED BY', 'RUNS', 'MANUAL', 'RUN TIME', 'SAVED'],
        usage.timeSaved.byJob.map((job) => [
          `${job.project}/${job.job}`,
          String(job.executions),
          minutes(job.manualMinutes),
          minutes(job.runMinutes),
          minutes(job.minutes),
        ]),
      ),
    );
  }
  return sections.join('\n');
}

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description('usage statistics: executions, success and run times by job, person and team; time saved')
    .option('--since <when>', 'from this time: ISO, or a duration meaning that long ago (default 30d)')
    .option('--until <when>', 'up to this time: ISO, or a duration meaning that long ago (default now)')
    .option('--project <project>', 'only the jobs of this project')
    .option('--job <project/job>', 'only this job')
    .option('--team <team>', 'only executions requested by members of this team')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: {
          since?: string;
          until?: string;
          project?: string;
          job?: string;
          team?: string;
          output: OutputFormat;
        },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<UsageResponse>('/api/v1/usage', {
          since: options.since,
          until: options.until,
          project: options.project,
          job: options.job,
          team: options.team,
        });
        if (options.output === 'json') return printJson(answer);
        process.stdout.write(describeUsage(answer));
      },
    );
}
