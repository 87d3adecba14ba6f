/** `baton jobs`: the jobs the caller may see, with how each has been doing lately. */
import type { Command } from 'commander';
import type { JobCatalogEntry, JobsResponse } from '../api.js';
import { collectOption } from '../arguments.js';
import {
  formatDuration,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

/** `succeeded 5m02s ago`, `running`, or empty for a job that never ran. */
export function lastText(job: JobCatalogEntry, now = Date.now()): string {
  const last = job.lastExecution;
  if (!last) return '';
  return last.finishedAt
    ? `${last.state} ${formatDuration(now - Date.parse(last.finishedAt))} ago`
    : last.state;
}

/** `92%` of what finished in the last 30 days, or `-` when nothing did. */
export function successText(job: JobCatalogEntry): string {
  const { successRate } = job.stats;
  return successRate === null ? '-' : `${Math.round(successRate * 100)}%`;
}

export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description('list jobs, with the last execution and the success rate of the last 30 days')
    .option('--project <project>', 'only the jobs of this project')
    .option('--search <text>', 'only jobs whose project, name or description contains this (any case)')
    .option('--label <key=value>', 'only jobs with this label (repeatable; all must match)', collectOption)
    .option('--service <service>', 'only jobs acting on this catalog service')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: {
          project?: string;
          search?: string;
          label?: string[];
          service?: string;
          output: OutputFormat;
        },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<JobsResponse>('/api/v1/jobs', {
          project: options.project,
          q: options.search,
          label: options.label,
          service: options.service,
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.jobs.length === 0) return void process.stderr.write('no jobs found\n');
        const now = Date.now();
        printTable(
          ['PROJECT/NAME', 'DESCRIPTION', 'OPTIONS', 'REVISION', 'LAST', 'SUCCESS'],
          answer.jobs.map((job) => [
            `${job.project}/${job.name}`,
            job.description,
            job.options.map((option) => option.name).join(','),
            String(job.revision),
            lastText(job, now),
            successText(job),
          ]),
        );
      },
    );
}
