import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DocumentFinding } from './model.js';
import { readSloDocuments } from './resolve.js';

/** A Sloth prometheus/v1 file in the shape of Sloth's getting-started example. */
const slothFile = `
version: "prometheus/v1"
service: "payments-api"
labels:
  owner: "payments-team"
  tier: "1"
slos:
  - name: "charges-availability"
    objective: 99.9
    description: "Charges answered without a server error."
    labels:
      category: availability
    sli:
      events:
        error_query: sum(rate(charges_total{job="payments-api",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(charges_total{job="payments-api"}[{{.window}}]))
    alerting:
      name: PaymentsChargesErrors
      labels:
        category: "availability"
      annotations:
        summary: "Too many failed charges"
      page_alert:
        labels:
          severity: pageteam
      ticket_alert:
        labels:
          severity: "slack"
  - name: "refunds-errors"
    objective: 99
    sli:
      raw:
        error_ratio_query: refunds:error_ratio:rate{{.window}}
    alerting:
      page_alert:
        disable: true
`;

function read(text: string, batonServices?: Map<string, { owner: string }>) {
  return readSloDocuments([parse(text) as unknown], batonServices ? { batonServices } : {});
}

function at(findings: readonly DocumentFinding[], path: string): DocumentFinding {
  const found = findings.find((finding) => finding.path.join('.') === path);
  if (!found) throw new Error(`nothing at ${path}; got ${JSON.stringify(findings)}`);
  return found;
}

describe('reading Sloth prometheus/v1 files', () => {
  it('reads each SLO into the model OpenSLO documents read into', () => {
    const reading = read(slothFile);
    expect(reading.problems).toEqual([]);
    expect(reading.warnings).toEqual([]);
    expect(reading.services).toEqual([
      {
        name: 'payments-api',
        document: 0,
        owner: { kind: 'team', team: 'payments-team', from: 'sloth-label' },
      },
    ]);
    const [charges, refunds] = reading.slos;
    expect(charges).toMatchObject({
      format: 'prometheus/v1',
      name: 'charges-availability',
      description: 'Charges answered without a server error.',
      service: 'payments-api',
      labels: { owner: 'payments-team', tier: '1', category: 'availability' },
    });
    expect(charges!.math.method).toBe('Occurrences');
    expect(charges!.math.window).toEqual({ kind: 'rolling', duration: { amount: 30, unit: 'd' } });
    expect(charges!.math.objectives[0]!.target).toBeCloseTo(0.999, 12);
    expect(charges!.objectives[0]!.indicator.measure).toEqual({
      kind: 'prometheus-ratio',
      counter: true,
      count: 'bad',
      numerator: {
        dataSource: {},
        query: 'sum(rate(charges_total{job="payments-api",code=~"(5..|429)"}[{{.window}}]))',
        template: 'sloth-window',
      },
      total: {
        dataSource: {},
        query: 'sum(rate(charges_total{job="payments-api"}[{{.window}}]))',
        template: 'sloth-window',
      },
    });
    expect(charges!.prometheusAlerts).toEqual({
      name: 'PaymentsChargesErrors',
      labels: { category: 'availability' },
      annotations: { summary: 'Too many failed charges' },
      page: { enabled: true, labels: { severity: 'pageteam' }, annotations: {} },
      ticket: { enabled: true, labels: { severity: 'slack' }, annotations: {} },
    });
    expect(charges!.math.alertWindows).toHaveLength(4);

    expect(refunds!.objectives[0]!.indicator.measure).toMatchObject({
      kind: 'prometheus-raw',
      rawType: 'failure',
    });
    expect(refunds!.math.alertWindows.map((window) => window.severity)).toEqual(['ticket', 'ticket']);
    expect(refunds!.prometheusAlerts!.page.enabled).toBe(false);
  });

  it('refuses an objective of 100, which Sloth allows, naming the field', () => {
    const reading = read(slothFile.replace('objective: 99.9', 'objective: 100'));
    const problem = at(reading.problems, 'slos.0.objective');
    expect(problem.expected).toMatch(/\[0, 100\)/);
    expect(problem.found).toBe('100');
    expect(reading.slos).toEqual([]);
  });

  it('refuses SLI plugins and an SLI with both or neither of events and raw', () => {
    const plugin = read(
      slothFile.replace(
        / {6}raw:\n {8}error_ratio_query: .*\n/,
        '      plugin:\n        id: sloth-common/availability\n',
      ),
    );
    expect(at(plugin.problems, 'slos.1.sli.plugin').message).toMatch(/"sloth-common\/availability"/);
    const neither = read(slothFile.replace(/ {6}raw:\n {8}error_ratio_query: .*\n/, '      {}\n'));
    expect(neither.problems.length).toBeGreaterThan(0);
  });

  it('warns when a query has no {{.window}} placeholder', () => {
    const reading = read(
      slothFile.replace('refunds:error_ratio:rate{{.window}}', 'refunds:error_ratio:rate5m'),
    );
    expect(reading.problems).toEqual([]);
    expect(at(reading.warnings, 'slos.1.sli.raw.error_ratio_query').message).toMatch(/no \{\{\.window\}\}/);
  });

  it('takes the owner from a Baton Service of the same name, and has none without one or a label', () => {
    const baton = read(slothFile, new Map([['payments-api', { owner: 'finance' }]]));
    expect(baton.services[0]!.owner).toEqual({ kind: 'team', team: 'finance', from: 'baton-service' });
    expect(at(baton.warnings, 'labels.owner').message).toMatch(/owned by team finance/);
    const bad = read(slothFile.replace('owner: "payments-team"', 'owner: "Payments Team"'));
    expect(at(bad.problems, 'labels.owner').found).toBe('"Payments Team"');
    const none = read(slothFile.replace('  owner: "payments-team"\n', ''));
    expect(none.services[0]!.owner).toEqual({ kind: 'none' });
  });

  it('refuses unknown fields, names that are not RFC 1123 labels, and two SLOs with one name', () => {
    const typo = read(slothFile.replace('objective: 99.9', 'objectiv: 99.9'));
    expect(typo.problems.some((problem) => problem.message.includes('"objectiv"'))).toBe(true);
    const name = read(slothFile.replace('"charges-availability"', '"Charges_Availability"'));
    expect(at(name.problems, 'slos.0.name').message).toMatch(/RFC 1123/);
    const twice = read(slothFile.replace('"refunds-errors"', '"charges-availability"'));
    expect(at(twice.problems, 'slos.1.name').message).toBe(
      'SLO charges-availability is defined twice in service payments-api',
    );
  });
});
