/**
 * `baton slos`, `baton slo SERVICE/NAME`, `baton slo rules`: SLOs, their error budgets and burn
 * rates, and the Prometheus rules for the Prometheus-backed ones. The SLO columns `baton services`
 * shows come from here too.
 */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import {
  formatBudgetNatural,
  formatBurnRate,
  formatPercent,
  formatSli,
  formatTarget,
} from '../../contract/slo-format.js';
import {
  SLO_HEALTH,
  type ServiceHealthView,
  type SloDetailView,
  type SloSummaryView,
  type SlosResponse,
} from '../../contract/slos.js';
import { formatDurationForCli } from '../../contract/time.js';
import { usageError } from '../errors.js';
import {
  formatTable,
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

const RULES_TIMEOUT_MS = 30_000;

/** The SLO columns of `baton services`: how many SLOs, the worst attainment and budget, the gate. */
export const SERVICE_HEALTH_HEADERS = ['SLOS', 'ATTAINMENT', 'BUDGET LEFT', 'GATE'] as const;

export function serviceHealthCells(health: ServiceHealthView | undefined): string[] {
  if (!health) return ['-', '-', '-', '-'];
  return [
    String(health.slos.length),
    formatPercent(health.attainment),
    formatPercent(health.budgetRemainingRatio),
    health.gate.state,
  ];
}

/** The owner as a table cell: the team, or `no owner`. */
export function ownerCell(owner: ServiceHealthView['owner']): string {
  return owner.kind === 'team' ? owner.team : 'no owner';
}

/** The table `baton slos` prints. */
export function describeSlos(slos: readonly SloSummaryView[]): string {
  return formatTable(
    ['SLO', 'SERVICE', 'TARGET', 'SLI', 'BUDGET LEFT', 'HEALTH', 'ALERTS'],
    slos.map((slo) => [
      slo.name,
      slo.service,
      formatTarget(slo.target),
      formatSli(slo.status?.sli ?? null),
      formatPercent(slo.status?.budgetRemainingRatio ?? null),
      slo.status?.health ?? 'not evaluated',
      String(slo.status?.openAlerts.length ?? 0),
    ]),
  );
}

/** What `baton slo SERVICE/NAME` prints: the facts, then objectives, burn rates, alerts, corrections, changes. */
export function describeSlo(slo: SloDetailView): string {
  const status = slo.status;
  const lines = [
    `SLO:       ${slo.slo}${slo.displayName ? ` (${slo.displayName})` : ''}`,
    `Owner:     ${ownerCell(slo.owner)}`,
    `Format:    ${slo.format}`,
  ];
  if (slo.description) lines.push(`About:     ${slo.description}`);
  if (!status) {
    lines.push(`Target:    ${formatTarget(slo.target)}`, 'Status:    not evaluated yet');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `Window:    ${status.window}, ${status.budgetingMethod}, SLI from ${status.source}`,
    `Period:    ${formatTime(status.periodStart)} to ${formatTime(status.periodEnd)}`,
    `Health:    ${status.health}${status.noDataSince ? ` (no data since ${formatTime(status.noDataSince)})` : ''}`,
    `Exhausted: ${exhaustion(status)}`,
  );
  if (status.lastError) lines.push(`Error:     ${status.lastError}`);
  const sections = [`${lines.join('\n')}\n`];
  const objectives = status.objectives.length
    ? status.objectives
    : [
        {
          displayName: null,
          target: slo.target,
          sli: status.sli,
          budget: null,
          burnRates: status.burnRates,
          timeToExhaustionMs: status.timeToExhaustionMs,
        },
      ];
  sections.push(
    formatTable(
      ['OBJECTIVE', 'TARGET', 'SLI', 'BUDGET LEFT', 'BUDGET'],
      objectives.map((objective, index) => [
        objective.displayName ?? String(index + 1),
        formatTarget(objective.target),
        formatSli(objective.sli),
        formatPercent(
          objective.budget?.remainingRatio ?? (objectives.length === 1 ? status.budgetRemainingRatio : null),
        ),
        formatBudgetNatural(objective.budget),
      ]),
    ),
  );
  if (status.burnRates.length) {
    sections.push(
      formatTable(
        status.burnRates.map((rate) => `BURN ${rate.window}`),
        [status.burnRates.map((rate) => formatBurnRate(rate.rate))],
      ),
    );
  }
  const alerts = slo.alerts.length ? slo.alerts : status.openAlerts;
  sections.push(
    alerts.length
      ? formatTable(
          ['ALERT', 'SEVERITY', 'OPENED', 'RESOLVED', 'SUMMARY'],
          alerts.map((alert) => [
            String(alert.id),
            alert.severity,
            formatTime(alert.openedAt),
            alert.resolvedAt ? formatTime(alert.resolvedAt) : 'open',
            alert.summary,
          ]),
        )
      : 'No open alerts.\n',
  );
  if (slo.corrections.length) {
    sections.push(
      formatTable(
        ['CORRECTION', 'FROM', 'TO', 'SLO', 'REASON'],
        slo.corrections.map((correction) => [
          String(correction.id),
          formatTime(correction.startsAt),
          correction.endsAt ? formatTime(correction.endsAt) : 'open',
          correction.slo ?? 'all',
          correction.reason,
        ]),
      ),
    );
  }
  if (slo.changes.length) {
    sections.push(
      formatTable(
        ['CHANGE', 'JOB', 'BY', 'STATE', 'AT', 'BUDGET COST'],
        slo.changes.map((change) => [
          String(change.executionId),
          change.job,
          change.requestedBy,
          change.state,
          formatTime(change.at),
          change.budgetConsumedRatio === null
            ? '-'
            : `${formatPercent(change.budgetConsumedRatio)} in ${change.hours}h`,
        ]),
      ),
    );
  }
  return sections.join('\n');
}

/** When the budget runs out: already, at the 1h burn rate, or not at the current rate. */
function exhaustion(status: NonNullable<SloDetailView['status']>): string {
  if (status.budgetRemainingRatio !== null && status.budgetRemainingRatio <= 0)
    return 'already: no budget left';
  if (status.timeToExhaustionMs === null) return 'not at the current rate';
  return `in ${formatDurationForCli(status.timeToExhaustionMs)} at the 1h burn rate`;
}

/** `service/name` into its parts, or a usage error saying what is expected. */
function parseSloReference(reference: string): { service: string; name: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(reference);
  if (!match)
    throw usageError(`"${reference}" is not an SLO: expected SERVICE/NAME, e.g. checkout/availability`);
  return { service: match[1]!, name: match[2]! };
}

export function registerSloCommands(program: Command): void {
  program
    .command('slos')
    .description('list SLOs: target, SLI, budget left, health and open alerts')
    .option('--service <service>', 'only the SLOs of this service')
    .option('--health <health>', `only SLOs in this health: ${SLO_HEALTH.join(', ')}`)
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (options: { service?: string; health?: string; output: OutputFormat }, command: Command) => {
        if (options.health !== undefined && !(SLO_HEALTH as readonly string[]).includes(options.health)) {
          throw usageError(`unknown health "${options.health}": use one of ${SLO_HEALTH.join(', ')}`);
        }
        const client = await connect(command);
        const answer = await client.get<SlosResponse>('/api/v1/slos', {
          service: options.service,
          health: options.health,
        });
        if (options.output === 'json') return printJson(answer);
        if (answer.slos.length === 0) return void process.stderr.write('no SLOs found\n');
        process.stdout.write(describeSlos(answer.slos));
      },
    );

  const slo = program
    .command('slo')
    .description('one SLO: window, objectives and budget, burn rates, alerts, corrections, changes')
    .argument('<slo>', 'SERVICE/NAME')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (reference: string, options: { output: OutputFormat }, command: Command) => {
      const { service, name } = parseSloReference(reference);
      const client = await connect(command);
      const answer = await client.get<SloDetailView>(
        `/api/v1/slos/${encodeURIComponent(service)}/${encodeURIComponent(name)}`,
      );
      if (options.output === 'json') return printJson(answer);
      process.stdout.write(describeSlo(answer));
    });

  slo
    .command('rules')
    .description('Prometheus recording and alerting rules (Sloth-compatible) for the Prometheus-backed SLOs')
    .argument('[service]', 'only the SLOs of this service')
    .option('-o, --out <file>', 'write the rules to this file instead of stdout')
    .action(async (service: string | undefined, options: { out?: string }, command: Command) => {
      const client = await connect(command);
      const query = service === undefined ? '' : `?${new URLSearchParams({ service }).toString()}`;
      const response = await client.open(
        `/api/v1/slos/rules${query}`,
        { accept: 'application/yaml' },
        AbortSignal.timeout(RULES_TIMEOUT_MS),
      );
      const yaml = await response.text();
      if (options.out === undefined) return void process.stdout.write(yaml);
      await fs.writeFile(options.out, yaml);
      const skipped = yaml.split('\n').filter((line) => line.startsWith('# Skipped ')).length;
      process.stderr.write(
        `wrote ${options.out}${skipped ? ` (${skipped} SLO${skipped === 1 ? '' : 's'} skipped, see the end of the file)` : ''}\n`,
      );
    });
}

/**
 * `baton services` text: the catalog's columns and the SLO columns, plus the services only SLO
 * documents name; undefined when there is none.
 */
export function describeServices(
  catalog: readonly { name: string; owner: string; lifecycle: string; description: string | null }[],
  health: readonly ServiceHealthView[],
  owner: string | undefined,
): string | undefined {
  const byName = new Map(health.map((service) => [service.name, service]));
  const rows = catalog.map((service) => ({
    name: service.name,
    cells: [
      service.name,
      service.owner,
      service.lifecycle,
      ...serviceHealthCells(byName.get(service.name)),
      service.description ?? '',
    ],
  }));
  const inCatalog = new Set(catalog.map((service) => service.name));
  for (const service of health) {
    if (inCatalog.has(service.name)) continue;
    if (owner !== undefined && (service.owner.kind !== 'team' || service.owner.team !== owner)) continue;
    rows.push({
      name: service.name,
      cells: [
        service.name,
        ownerCell(service.owner),
        '-',
        ...serviceHealthCells(service),
        service.description ?? '',
      ],
    });
  }
  if (rows.length === 0) return undefined;
  rows.sort((a, b) => a.name.localeCompare(b.name));
  return formatTable(
    ['SERVICE', 'OWNER', 'LIFECYCLE', ...SERVICE_HEALTH_HEADERS, 'DESCRIPTION'],
    rows.map((row) => row.cells),
  );
}
