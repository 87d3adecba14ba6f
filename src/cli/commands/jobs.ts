/** `baton jobs`: the jobs the caller may see. */
import type { Command } from 'commander';
import type { JobsResponse } from '../api.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, printTable, type OutputFormat } from '../output.js';
import { connect } from '../session.js';

export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description('list jobs')
    .option('--project <project>', 'only the jobs of this project')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { project?: string; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<JobsResponse>('/api/v1/jobs', { project: options.project });
      if (options.output === 'json') return printJson(answer);
      if (answer.jobs.length === 0) return void process.stderr.write('no jobs found\n');
      printTable(
        ['PROJECT/NAME', 'DESCRIPTION', 'OPTIONS', 'REVISION'],
        answer.jobs.map((job) => [
          `${job.project}/${job.name}`,
          job.description,
          job.options.map((option) => option.name).join(','),
          String(job.revision),
        ]),
      );
    });
}
