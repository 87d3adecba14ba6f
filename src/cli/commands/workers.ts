/** `baton workers`: the registered workers, their groups, load and heartbeat. */
import type { Command } from 'commander';
import type { WorkersResponse } from '../../contract/workers.js';
import {
  OUTPUT_HELP,
  elapsed,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

export function registerWorkersCommand(program: Command): void {
  program
    .command('workers')
    .description('list workers: name, host, groups, concurrency, running executions, last heartbeat, version')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<WorkersResponse>('/api/v1/workers');
      if (options.output === 'json') return printJson(answer);
      if (answer.workers.length === 0) return void process.stderr.write('no workers registered\n');
      printTable(
        ['NAME', 'HOST', 'STATE', 'GROUPS', 'RUNNING', 'HEARTBEAT', 'VERSION'],
        answer.workers.map((worker) => [
          worker.embedded ? `${worker.name} (in server)` : worker.name,
          worker.host,
          worker.state,
          worker.groups.join(',') || '-',
          `${worker.running}/${worker.concurrency}`,
          `${elapsed(worker.heartbeatAt, null)} ago`,
          worker.version,
        ]),
      );
    });
}
