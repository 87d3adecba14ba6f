/**
 * `baton policy test`, `baton teams`, `baton services`: who may do what, who belongs where, and
 * what the catalog holds.
 */
import type { Command } from 'commander';
import { ACTIONS, type PolicyTestResponse } from '../../contract/policies.js';
import type { TeamsResponse } from '../../contract/teams.js';
import type { ServicesResponse } from '../../contract/services.js';
import type { ServicesHealthResponse } from '../../contract/slos.js';
import { CliError, usageError } from '../errors.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, printTable, type OutputFormat } from '../output.js';
import { describeServices } from './slos.js';
import { connect } from '../session.js';

/** Exit code of a denied `policy test`, so scripts can branch on the answer. */
const DENIED_EXIT_CODE = 1;

export function registerAccessCommands(program: Command): void {
  const policy = program.command('policy').description('ask what policies allow');
  policy
    .command('test')
    .description(
      'whether a user may perform ACTION on RESOURCE, and the rules that decided (exit 0 allowed, 1 denied)',
    )
    .argument('<action>', ACTIONS.join(', '))
    .argument('<resource>', 'PROJECT/JOB, job/P/NAME, project/P, secret/PATH, team/T, policy/NAME, service/S')
    .option('--as <user>', 'the user or service account to ask about (default: yourself; others need admin)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        action: string,
        resource: string,
        options: { as?: string; output: OutputFormat },
        command: Command,
      ) => {
        if (!(ACTIONS as readonly string[]).includes(action))
          throw usageError(`unknown action "${action}": use one of ${ACTIONS.join(', ')}`);
        const client = await connect(command);
        const answer = await client.post<PolicyTestResponse>('/api/v1/policy/test', {
          ...(options.as ? { as: options.as } : {}),
          action,
          resource,
        });
        const { decision } = answer;
        if (options.output === 'json') printJson(answer);
        else {
          process.stdout.write(`${decision.allowed ? 'allowed' : 'denied'}: ${decision.reason}\n`);
          for (const rule of decision.rules) {
            process.stdout.write(
              `  ${rule.effect} ${rule.source}: ${rule.subject} ${rule.action} ${rule.resource}\n`,
            );
          }
        }
        if (!decision.allowed) throw new CliError('', DENIED_EXIT_CODE);
      },
    );

  program
    .command('teams')
    .description('list the teams you may see, with members and maintainers')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<TeamsResponse>('/api/v1/teams');
      if (options.output === 'json') return printJson(answer);
      if (answer.teams.length === 0) return void process.stderr.write('no teams found\n');
      printTable(
        ['TEAM', 'MAINTAINERS', 'MEMBERS'],
        answer.teams.map((team) => [
          team.name,
          team.members
            .filter((member) => member.role === 'maintainer')
            .map((member) => member.name)
            .join(',') || '-',
          team.members
            .filter((member) => member.role !== 'maintainer')
            .map((member) => member.name)
            .join(',') || '-',
        ]),
      );
    });

  program
    .command('services')
    .description('list services: owner team, lifecycle, SLOs, attainment, budget left and the budget gate')
    .option('--owner <team>', 'only the services of this team')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { owner?: string; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const [answer, health] = await Promise.all([
        client.get<ServicesResponse>('/api/v1/services', { owner: options.owner }),
        client.get<ServicesHealthResponse>('/api/v1/services/health'),
      ]);
      if (options.output === 'json') return printJson(answer);
      const text = describeServices(answer.services, health.services, options.owner);
      if (text === undefined) return void process.stderr.write('no services found\n');
      process.stdout.write(text);
    });
}
