/** `baton jobs` and `baton job`: the jobs the caller may see, with how each has been doing lately. */
import type { Command } from 'commander';
import type { JobCatalogView, JobDetailResponse, JobsResponse } from '../../contract/jobs.js';
import { collectOption, parseJobReference } from '../arguments.js';
import {
  formatTable,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { formatDurationForCli } from '../../contract/time.js';
import { connect } from '../session.js';

/** `succeeded 5m02s ago`, `running`, or empty for a job that never ran. */
export function lastText(job: JobCatalogView, now = Date.now()): string {
  const last = job.lastExecution;
  if (!last) return '';
  return last.finishedAt
    ? `${last.state} ${formatDurationForCli(now - Date.parse(last.finishedAt))} ago`
    : last.state;
}

/** `92%` of what finished in the last 30 days, or `-` when nothing did. */
export function successText(job: JobCatalogView): string {
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

/** The text `baton job` prints: what the job is, its options, steps and recent numbers. */
export function describeJob(job: JobDetailResponse['job'], now = Date.now()): string {
  const lines = [`${job.project}/${job.name}  revision ${job.revision}, applied by ${job.updatedBy}`];
  if (job.description) lines.push(job.description);
  const labels = Object.entries(job.labels).map(([key, value]) => `${key}=${value}`);
  if (labels.length) lines.push(`labels: ${labels.join(' ')}`);
  const { stats } = job;
  lines.push(
    `last 30 days: ${stats.executions} finished, success ${successText(job)}` +
      (stats.p50Ms === null
        ? ''
        : `, p50 ${formatDurationForCli(stats.p50Ms)}, p95 ${formatDurationForCli(stats.p95Ms ?? 0)}`),
  );
  if (job.lastExecution) lines.push(`last execution: ${job.lastExecution.id} ${lastText(job, now)}`);
  if (!job.allowed.run) lines.push('you may not run this job');
  let text = `${lines.join('\n')}\n`;
  if (job.options.length) {
    text += `\n${formatTable(
      ['OPTION', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION'],
      job.options.map((option) => [
        option.name,
        option.values ? `${option.type} (${option.values.join('|')})` : option.type,
        option.required ? 'yes' : '',
        option.default === undefined ? '' : JSON.stringify(option.default),
        option.description ?? '',
      ]),
    )}`;
  }
  text += `\nsteps: ${job.steps.join(', ')}\n`;
  return text;
}

export function registerJobCommand(program: Command): void {
  program
    .command('job')
    .description('show one job: its options, steps, last execution and 30-day numbers')
    .argument('<project/job>', 'the job, e.g. examples/hello', parseJobReference)
    .option('--yaml', 'print the job as it was applied (YAML), nothing else')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        job: { project: string; name: string },
        options: { yaml?: boolean; output: OutputFormat },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.get<JobDetailResponse>(
          `/api/v1/jobs/${encodeURIComponent(job.project)}/${encodeURIComponent(job.name)}`,
        );
        if (options.output === 'json') return printJson(answer);
        if (options.yaml) return void process.stdout.write(answer.job.source);
        process.stdout.write(describeJob(answer.job));
      },
    );
}
