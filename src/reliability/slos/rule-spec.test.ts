import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatPrometheusRules, prometheusRules } from './prometheus-rules.js';
import { readSloDocuments } from './resolve.js';
import { DEFAULT_BURN_ALERT, sloRuleSpec } from './rule-spec.js';
import type { SloModel } from './model.js';

function slos(text: string): SloModel[] {
  const reading = readSloDocuments(
    parseAllDocuments(text).map((doc) => doc.toJS() as unknown),
    { batonServices: new Map([['web-shop', { owner: 'shop' }]]) },
  );
  expect(reading.problems).toEqual([]);
  return [...reading.slos];
}

const sloth = `
version: prometheus/v1
service: payments-api
labels: {owner: payments-team}
slos:
  - name: charges
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(charges_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(charges_total[{{.window}}]))
    alerting:
      name: ChargesErrors
      page_alert: {labels: {severity: pageteam}}
      ticket_alert: {disable: true}
  - name: refunds
    objective: 99
    sli:
      raw: {error_ratio_query: "refunds:error_ratio:rate{{.window}}"}
`;

function openslo(indicator: string, window = '{duration: 28d, isRolling: true}', method = 'Occurrences') {
  return `
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout}
spec:
  service: web-shop
  indicator:
    metadata: {name: checkout-sli}
    spec:
${indicator}
  timeWindow: [${window}]
  budgetingMethod: ${method}
  objectives: [{targetPercent: 99.5${method === 'Occurrences' ? '' : ', timeSliceTarget: 0.9, timeSliceWindow: 5m'}}]
`;
}

const goodOverTotal = (good: string, total: string) => `
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: '${good}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: '${total}'}}}`;

describe('sloRuleSpec', () => {
  it("keeps a Sloth SLO's queries, labels and alert name as written", () => {
    const [charges, refunds] = slos(sloth);
    expect(sloRuleSpec(charges!)).toEqual({
      kind: 'rules',
      spec: {
        service: 'payments-api',
        name: 'charges',
        objective: { target: expect.closeTo(0.999, 12) as number },
        period: '30d',
        sli: {
          events: {
            errorQuery: 'sum(rate(charges_total{code=~"5.."}[{{.window}}]))',
            totalQuery: 'sum(rate(charges_total[{{.window}}]))',
          },
        },
        labels: { owner: 'payments-team' },
        alerting: {
          name: 'ChargesErrors',
          labels: {},
          annotations: {},
          page: { enabled: true, labels: { severity: 'pageteam' }, annotations: {} },
          ticket: { enabled: false, labels: {}, annotations: {} },
        },
        source: 'prometheus/v1',
      },
    });
    const refundsSpec = sloRuleSpec(refunds!);
    expect(refundsSpec.kind === 'rules' && refundsSpec.spec.sli).toEqual({
      raw: { errorRatioQuery: 'refunds:error_ratio:rate{{.window}}' },
    });
    expect(refundsSpec.kind === 'rules' && refundsSpec.spec.alerting?.name).toBe(DEFAULT_BURN_ALERT);
  });

  it('turns an OpenSLO ratio of counters into rates over the window, bad = total − good', () => {
    const [bare] = slos(openslo(goodOverTotal('checkout_total{code!~"5.."}', 'checkout_total')));
    const spec = sloRuleSpec(bare!);
    expect(spec.kind === 'rules' && spec.spec).toMatchObject({
      period: '28d',
      objective: { target: 0.995 },
      sli: {
        events: {
          errorQuery:
            '(sum(rate(checkout_total[{{.window}}]))) - (sum(rate(checkout_total{code!~"5.."}[{{.window}}])))',
          totalQuery: 'sum(rate(checkout_total[{{.window}}]))',
        },
      },
      source: 'openslo/v1',
    });
    expect(spec.kind === 'rules' && 'labels' in spec.spec).toBe(false);

    const [aggregated] = slos(openslo(goodOverTotal('sum(ok_total)', 'sum(all_total)')));
    const subquery = sloRuleSpec(aggregated!);
    expect(subquery.kind === 'rules' && subquery.spec.sli).toEqual({
      events: {
        errorQuery:
          '(sum(rate((sum(all_total))[{{.window}}:]))) - (sum(rate((sum(ok_total))[{{.window}}:])))',
        totalQuery: 'sum(rate((sum(all_total))[{{.window}}:]))',
      },
    });
  });

  it('gives rules the writer accepts for every SLO it does not skip', () => {
    const specs = [...slos(sloth), ...slos(openslo(goodOverTotal('sum(ok_total)', 'sum(all_total)')))]
      .map(sloRuleSpec)
      .flatMap((spec) => (spec.kind === 'rules' ? [spec.spec] : []));
    expect(specs).toHaveLength(3);
    const yaml = formatPrometheusRules(prometheusRules(specs));
    expect(yaml).toContain('record: slo:sli_error:ratio_rate5m');
    expect(yaml).toContain('alert: ChargesErrors');
  });

  it('skips what the rules cannot express, saying why, and leaves non-Prometheus SLOs out', () => {
    const indicator = goodOverTotal('ok_total', 'all_total');
    const [calendar] = slos(
      openslo(indicator, '{duration: 1M, calendar: {startTime: "2026-01-01 00:00:00", timeZone: UTC}}'),
    );
    expect(sloRuleSpec(calendar!)).toEqual({
      kind: 'skipped',
      reason: 'a calendar window (the rules need a rolling period)',
    });
    const [slices] = slos(openslo(indicator, undefined, 'Timeslices'));
    expect(sloRuleSpec(slices!)).toMatchObject({
      kind: 'skipped',
      reason: expect.stringMatching(/Timeslices/),
    });

    const [executions] = slos(`
apiVersion: baton/v1
kind: SLO
metadata: {name: deploys}
spec:
  service: web-shop
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {states: [succeeded]}}}
        total: {metricSource: {type: Baton}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.95}]
`);
    expect(sloRuleSpec(executions!)).toEqual({ kind: 'not-prometheus' });
  });
});
