/**
 * `baton budget check PROJECT/JOB | SERVICE [--as USER]`: what the error-budget gate would do to a
 * run of the job, or to any change job on the service, now.
 */
import type { Command } from 'commander';
import type { BudgetCheckRequest, BudgetCheckView } from '../../contract/slos.js';
import { formatPercent, formatTarget } from '../../contract/slo-format.js';
import { parseJobReference } from '../arguments.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, type OutputFormat } from '../output.js';
import { connect } from '../session.js';

const DECISION_WORDS = { admit: 'admitted', approve: 'needs approval', refuse: 'refused' } as const;

/** The answer in a few lines: decision and why, the SLOs it read, and whether you may override. */
export function formatBudgetCheck(check: BudgetCheckView): string {
  const subject = check.job ?? `a change to ${check.service}`;
  const lines = [`${subject}: ${DECISION_WORDS[check.decision]}: ${check.reason}`];
  lines.push(
    `  service ${check.service ?? '(none)'}, purpose ${check.purpose}, ${check.gated ? 'gated' : 'not gated'}` +
      (check.policy
        ? ` by error budget policy ${check.policy}${check.rule ? ` (rule ${check.rule})` : ''}`
        : ''),
  );
  if (check.approvers.length > 0) lines.push(`  approvers: ${check.approvers.join(' or ')}`);
  for (const slo of check.slos) {
    const remaining = slo.status?.budgetRemainingRatio ?? null;
    lines.push(
      `  SLO ${slo.slo}: target ${formatTarget(slo.target)}, ${
        remaining === null ? 'no data' : `${formatPercent(remaining)} of budget left`
      }${slo.status ? ` (${slo.status.health})` : ''}`,
    );
  }
  if (check.decision !== 'admit' || check.override.allowed) {
    lines.push(
      `  override: ${check.override.allowed ? 'you may' : 'you may not'} (${check.override.permission})` +
        (check.override.holdsFor ? `; an override holds for ${check.override.holdsFor}` : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `shop/deploy` is a job; `checkout`, without a slash, a service. */
function parseSubject(value: string): { job: string } | { service: string } {
  if (!value.includes('/')) return { service: value };
  const job = parseJobReference(value);
  return { job: `${job.project}/${job.name}` };
}

export function registerBudgetCommand(program: Command): void {
  const budget = program.command('budget').description('ask the error-budget gate');
  budget
    .command('check')
    .description(
      'what starting a job, or any change job on a service, would meet at the error-budget gate now: admit, approve or refuse, and why',
    )
    .argument(
      '<project/job | service>',
      'the job, e.g. shop/deploy, or a service, e.g. checkout',
      parseSubject,
    )
    .option('--as <user>', 'the user to ask about (default: yourself; others need admin)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        subject: { job: string } | { service: string },
        options: { as?: string; output: OutputFormat },
        command: Command,
      ) => {
        const client = await connect(command);
        const answer = await client.post<BudgetCheckView>('/api/v1/budget/check', {
          ...subject,
          ...(options.as !== undefined && { as: options.as }),
        } satisfies BudgetCheckRequest);
        if (options.output === 'json') return printJson(answer);
        process.stdout.write(formatBudgetCheck(answer));
      },
    );
}
