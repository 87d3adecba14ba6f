import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { parse, stringify } from 'yaml';
import { GOOGLE_ALERT_WINDOWS } from './alert-windows.js';
import { SloSpecError } from './errors.js';
import {
  formatPrometheusRules,
  prometheusDuration,
  prometheusRules,
  promqlString,
  sloRuleGroups,
  type AlertingRule,
  type PrometheusSloSpec,
  type RecordingRule,
} from './prometheus-rules.js';

const PROMTOOL = '/usr/bin/promtool';

/** A service name that would break YAML and PromQL if either were written by pasting strings. */
const SERVICE = 'my "api" \\ svc';
const ID = `${SERVICE}-availability`;

const EVENTS_SLO: PrometheusSloSpec = {
  service: SERVICE,
  name: 'availability',
  objective: { targetPercent: 99.9 },
  period: '30d',
  sli: {
    events: {
      errorQuery: 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))',
      totalQuery: 'sum(rate(http_requests_total{job="api"}[{{.window}}]))',
    },
  },
  labels: { tier: '2', owner: 'it\'s "us"' },
  alerting: {
    name: 'ApiAvailability',
    labels: { team: 'web' },
    page: { labels: { route: 'pager' } },
    ticket: { annotations: { runbook: 'https://runbooks.example/{{ $labels.sloth_slo }}' } },
  },
};

const RAW_SLO_28D: PrometheusSloSpec = {
  ...EVENTS_SLO,
  period: '28d',
  objective: { target: 0.999 },
  sli: {
    raw: {
      errorRatioQuery:
        '1 - (sum(rate(http_requests_total{job="api",code!~"5.."}[{{ .window }}])) / sum(rate(http_requests_total{job="api"}[{{ .window }}])))',
    },
  },
};

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

function recordingRules(spec: PrometheusSloSpec): RecordingRule[] {
  return sloRuleGroups(spec).flatMap((g) => g.rules.filter((r): r is RecordingRule => 'record' in r));
}

function alertingRules(spec: PrometheusSloSpec): AlertingRule[] {
  return sloRuleGroups(spec).flatMap((g) => g.rules.filter((r): r is AlertingRule => 'alert' in r));
}

describe('Prometheus rules for an SLO', () => {
  it('records the series Sloth records, for the alert windows and the period', () => {
    expect(recordingRules(EVENTS_SLO).map((r) => r.record)).toEqual([
      'slo:sli_error:ratio_rate5m',
      'slo:sli_error:ratio_rate30m',
      'slo:sli_error:ratio_rate1h',
      'slo:sli_error:ratio_rate2h',
      'slo:sli_error:ratio_rate6h',
      'slo:sli_error:ratio_rate1d',
      'slo:sli_error:ratio_rate3d',
      'slo:sli_error:ratio_rate30d',
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
      'sloth_slo_info',
    ]);
    expect(sloRuleGroups(EVENTS_SLO).map((g) => g.name)).toEqual([
      `baton-slo-sli-recordings-${ID}`,
      `baton-slo-meta-recordings-${ID}`,
      `baton-slo-alerts-${ID}`,
    ]);
  });

  it('puts the window into the query and labels each series with its SLO and window', () => {
    const [fiveMinutes] = recordingRules(EVENTS_SLO);
    expect(fiveMinutes!.expr).toBe(
      '(sum(rate(http_requests_total{job="api",code=~"5.."}[5m])))\n/\n(sum(rate(http_requests_total{job="api"}[5m])))\n',
    );
    expect(fiveMinutes!.labels).toEqual({
      owner: 'it\'s "us"',
      sloth_id: ID,
      sloth_service: SERVICE,
      sloth_slo: 'availability',
      sloth_window: '5m',
      tier: '2',
    });
    const threeDays = recordingRules(RAW_SLO_28D).find((r) => r.record === 'slo:sli_error:ratio_rate3d');
    expect(threeDays!.expr).toContain('[3d])) / sum(rate(http_requests_total{job="api"}[3d])))');
  });

  it('writes the objective, the budget and the period as values', () => {
    const meta = Object.fromEntries(recordingRules(EVENTS_SLO).map((r) => [r.record, r]));
    expect(meta['slo:objective:ratio']!.expr).toBe('vector(0.999)');
    expect(meta['slo:error_budget:ratio']!.expr).toBe('vector(0.001)');
    expect(meta['slo:time_period:days']!.expr).toBe('vector(30)');
    expect(meta['sloth_slo_info']!.labels).toMatchObject({ sloth_objective: '99.9', baton_spec: 'baton/v1' });
  });

  it('names a 28-day period 4w, as Prometheus writes durations, and scales the factors to it', () => {
    const records = recordingRules(RAW_SLO_28D).map((r) => r.record);
    expect(records).toContain('slo:sli_error:ratio_rate4w');
    const [page, ticket] = alertingRules(RAW_SLO_28D);
    expect(page!.expr).toContain('> (13.44 * 0.001)');
    expect(page!.expr).toContain('> (5.6 * 0.001)');
    expect(ticket!.expr).toContain('> (2.8 * 0.001)');
    expect(ticket!.expr).toContain('> (0.9333333333333333 * 0.001)');
    expect(page!.labels).toEqual({ route: 'pager', sloth_severity: 'page', team: 'web' });
  });

  it('pages on 1h and 5m above 14.4× or 6h and 30m above 6×, and tickets on 1d/2h at 3× or 3d/6h at 1×', () => {
    const selector = `{sloth_id=${promqlString(ID)}, sloth_service=${promqlString(SERVICE)}, sloth_slo="availability"}`;
    const condition = (short: string, long: string, factor: number) =>
      `(\n    (slo:sli_error:ratio_rate${short}${selector} > (${factor} * 0.001))\n` +
      `    and ignoring (sloth_window)\n` +
      `    (slo:sli_error:ratio_rate${long}${selector} > (${factor} * 0.001))\n)`;
    const [page, ticket] = alertingRules(EVENTS_SLO);
    expect(page!.expr).toBe(
      `${condition('5m', '1h', 14.4)}\nor ignoring (sloth_window)\n${condition('30m', '6h', 6)}\n`,
    );
    expect(ticket!.expr).toBe(
      `${condition('2h', '1d', 3)}\nor ignoring (sloth_window)\n${condition('6h', '3d', 1)}\n`,
    );
  });

  it('quotes names with quotes and backslashes in PromQL and in YAML', () => {
    const text = formatPrometheusRules(prometheusRules([EVENTS_SLO]));
    expect(text).toContain('sloth_service="my \\"api\\" \\\\ svc"');
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(prometheusRules([EVENTS_SLO]))));
    expect(text).not.toMatch(/[&*]a\d/);
  });

  it('leaves out the alerts that are off, and the alert group when none is on', () => {
    const pageOnly = alertingRules({ ...EVENTS_SLO, alerting: { name: 'A', ticket: { enabled: false } } });
    expect(pageOnly.map((r) => r.labels.sloth_severity)).toEqual(['page']);
    const { alerting: _alerting, ...withoutAlerting } = EVENTS_SLO;
    expect(sloRuleGroups(withoutAlerting)).toHaveLength(2);
    const bothOff = { name: 'A', page: { enabled: false }, ticket: { enabled: false } };
    expect(sloRuleGroups({ ...EVENTS_SLO, alerting: bothOff })).toHaveLength(2);
  });

  it('writes durations as Prometheus does', () => {
    const minute = 60_000;
    const day = 1440 * minute;
    expect(
      [5 * minute, 90 * minute, day, 3 * day, 28 * day, 30 * day, 365 * day, 1500].map(prometheusDuration),
    ).toEqual(['5m', '1h30m', '1d', '3d', '4w', '30d', '1y', '1s500ms']);
  });

  it('refuses what would break the rules, naming the field', () => {
    const cases: [PrometheusSloSpec, string, RegExp][] = [
      [{ ...EVENTS_SLO, service: 'a\nb' }, 'slo.service', /printable/],
      [{ ...EVENTS_SLO, name: '' }, 'slo.name', /1 to 128/],
      [{ ...EVENTS_SLO, labels: { 'bad-name': 'x' } }, 'slo.labels.bad-name', /label name/],
      [{ ...EVENTS_SLO, labels: { __name__: 'x' } }, 'slo.labels.__name__', /__/],
      [{ ...EVENTS_SLO, labels: { sloth_window: 'x' } }, 'slo.labels.sloth_window', /do not set/],
      [{ ...EVENTS_SLO, labels: { team: '' } }, 'slo.labels.team', /label value/],
      [{ ...EVENTS_SLO, period: '1M' }, 'slo.period', /fixed-length/],
      [{ ...EVENTS_SLO, period: '2d' }, 'slo.period', /long window/],
      [{ ...EVENTS_SLO, objective: { target: 1 } }, 'slo.objective.target', /\[0, 1\)/],
      [{ ...EVENTS_SLO, alerting: { name: 'Has space' } }, 'slo.alerting.name', /alert name/],
      [
        { ...EVENTS_SLO, alerting: { name: 'A', page: { labels: { sloth_severity: 'x' } } } },
        'slo.alerting.page.labels.sloth_severity',
        /do not set/,
      ],
      [
        { ...EVENTS_SLO, sli: { raw: { errorRatioQuery: 'rate(errors[5m])' } } },
        'slo.sli.raw.errorRatioQuery',
        /\{\{\.window\}\}/,
      ],
      [
        { ...EVENTS_SLO, sli: { raw: { errorRatioQuery: 'x[{{.window}}]) or vector(1' } } },
        'slo.sli.raw.errorRatioQuery',
        /balanced brackets/,
      ],
      [
        { ...EVENTS_SLO, sli: { raw: { errorRatioQuery: 'rate(x[{{.window}}]) # why' } } },
        'slo.sli.raw.errorRatioQuery',
        /no comment/,
      ],
      [
        { ...EVENTS_SLO, sli: { raw: { errorRatioQuery: 'rate(x{a="b}[{{.window}}])' } } },
        'slo.sli.raw.errorRatioQuery',
        /string literal/,
      ],
      [
        { ...EVENTS_SLO, sli: { raw: { errorRatioQuery: 'rate(x[{{.window}}]) > {{.threshold}}' } } },
        'slo.sli.raw.errorRatioQuery',
        /template action/,
      ],
      [
        {
          ...EVENTS_SLO,
          sli: { raw: { errorRatioQuery: 'x' }, events: { errorQuery: 'y', totalQuery: 'z' } },
        },
        'slo.sli',
        /exactly one/,
      ],
    ];
    for (const [spec, field, expected] of cases) {
      const error = errorOf(() => sloRuleGroups(spec));
      expect([error.field, error.message]).toEqual([field, expect.stringMatching(expected)]);
    }
  });

  it('takes its own alert windows only as one quick and one slow window per severity', () => {
    const withoutSlowPage = GOOGLE_ALERT_WINDOWS.filter(
      (w) => !(w.severity === 'page' && w.speed === 'slow'),
    );
    const error = errorOf(() => sloRuleGroups({ ...EVENTS_SLO, alertWindows: withoutSlowPage }));
    expect([error.field, error.expected]).toEqual(['slo.alertWindows', 'exactly one slow page window']);
    const info = recordingRules({ ...EVENTS_SLO, source: 'prometheus/v1' }).find(
      (r) => r.record === 'sloth_slo_info',
    );
    expect(info!.labels.baton_spec).toBe('prometheus/v1');
  });

  it('keeps brackets inside string literals out of the count', () => {
    const query = 'sum(rate(x{path=~"/a(b|c)\\"["}[{{.window}}]))';
    expect(() => sloRuleGroups({ ...EVENTS_SLO, sli: { raw: { errorRatioQuery: query } } })).not.toThrow();
  });

  it('refuses two SLOs with the same service and name in one file', () => {
    const error = errorOf(() => prometheusRules([EVENTS_SLO, RAW_SLO_28D]));
    expect(error.field).toBe('slos[1].name');
  });
});

interface ToolResult {
  readonly code: number;
  readonly output: string;
}

function promtool(args: string[], cwd: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** One minute of counters per sample for three hours: `errors` of every `per` requests fail. */
function inputSeries(errorsPerMinute: number, okPerMinute: number) {
  return [
    { series: 'http_requests_total{job="api",code="500"}', values: `0+${errorsPerMinute}x180` },
    { series: 'http_requests_total{job="api",code="200"}', values: `0+${okPerMinute}x180` },
  ];
}

const SLO_LABELS = {
  owner: 'it\'s "us"',
  sloth_id: ID,
  sloth_service: SERVICE,
  sloth_slo: 'availability',
  tier: '2',
};

/** What the page and ticket alerts carry when their quick windows fire, templates expanded. */
function firing(factors: { page: [string, string]; ticket: [string, string] }) {
  const summary = ([quick, slow]: [string, string], windows: [string, string, string, string]) =>
    `The SLO availability of ${SERVICE} is spending its error budget more than ${quick}× as fast as allowed ` +
    `over ${windows[0]} and ${windows[1]}, or more than ${slow}× as fast as allowed over ${windows[2]} and ${windows[3]}.`;
  return [
    {
      exp_labels: { ...SLO_LABELS, sloth_window: '5m', sloth_severity: 'page', team: 'web', route: 'pager' },
      exp_annotations: {
        title: `${SERVICE} / availability: error budget burning too fast (page)`,
        summary: summary(factors.page, ['1h', '5m', '6h', '30m']),
      },
    },
    {
      exp_labels: { ...SLO_LABELS, sloth_window: '2h', sloth_severity: 'ticket', team: 'web' },
      exp_annotations: {
        title: `${SERVICE} / availability: error budget burning too fast (ticket)`,
        summary: summary(factors.ticket, ['1d', '2h', '3d', '6h']),
        runbook: 'https://runbooks.example/availability',
      },
    },
  ];
}

const FACTORS_30D = { page: ['14.4', '6'], ticket: ['3', '1'] } as {
  page: [string, string];
  ticket: [string, string];
};
const FACTORS_28D = { page: ['13.44', '5.6'], ticket: ['2.8', '0.93'] } as typeof FACTORS_30D;

function seriesText(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([key, value]) => `${key}=${promqlString(value)}`)
    .join(',')}}`;
}

describe('the rules in promtool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-prometheus-rules-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeRules(file: string, spec: PrometheusSloSpec): Promise<void> {
    await writeFile(join(dir, file), formatPrometheusRules(prometheusRules([spec])));
  }

  async function testRules(file: string, rules: string, tests: unknown[]): Promise<ToolResult> {
    const body = { rule_files: [rules], evaluation_interval: '1m', tests };
    await writeFile(join(dir, file), stringify(body));
    return promtool(['test', 'rules', file], dir);
  }

  it.each([
    ['30d, events', 'events-30d.yml', EVENTS_SLO],
    ['28d, raw', 'raw-28d.yml', RAW_SLO_28D],
  ])('passes promtool check rules (%s)', async (_label, file, spec) => {
    await writeRules(file, spec);
    const result = await promtool(['check', 'rules', file], dir);
    expect(result.output).toContain('SUCCESS: 17 rules found');
    expect(result.code).toBe(0);
  });

  it.each([
    ['30d, events', 'events-30d.yml', EVENTS_SLO, FACTORS_30D],
    ['28d, raw', 'raw-28d.yml', RAW_SLO_28D, FACTORS_28D],
  ])(
    'fires the page alert on half the requests failing and nothing on a healthy service (%s)',
    async (_label, file, spec, factors) => {
      await writeRules(file, spec);
      const fiveMinuteLabels = { ...SLO_LABELS, sloth_window: '5m' };
      const result = await testRules(`test-${file}`, file, [
        {
          interval: '1m',
          input_series: inputSeries(30, 30),
          alert_rule_test: [
            { eval_time: '90m', alertname: 'ApiAvailability', exp_alerts: firing(factors) },
            { eval_time: '3h', alertname: 'ApiAvailability', exp_alerts: firing(factors) },
          ],
          promql_expr_test: [
            {
              expr: 'slo:sli_error:ratio_rate5m',
              eval_time: '30m',
              exp_samples: [
                { labels: seriesText('slo:sli_error:ratio_rate5m', fiveMinuteLabels), value: 0.5 },
              ],
            },
            {
              expr: 'slo:error_budget:ratio',
              eval_time: '30m',
              exp_samples: [{ labels: seriesText('slo:error_budget:ratio', SLO_LABELS), value: 0.001 }],
            },
            {
              expr: 'slo:current_burn_rate:ratio',
              eval_time: '30m',
              // It keeps the 5m series' sloth_window, as Sloth's does: the division keeps the left labels.
              exp_samples: [
                { labels: seriesText('slo:current_burn_rate:ratio', fiveMinuteLabels), value: 500 },
              ],
            },
          ],
        },
        {
          // 0.01% of requests fail against a 99.9% objective: a burn rate of 0.1.
          interval: '1m',
          input_series: inputSeries(1, 9999),
          alert_rule_test: [
            { eval_time: '90m', alertname: 'ApiAvailability', exp_alerts: [] },
            { eval_time: '3h', alertname: 'ApiAvailability', exp_alerts: [] },
          ],
        },
      ]);
      expect(result.output).toContain('SUCCESS');
      expect(result.code).toBe(0);
    },
  );

  it('reports a broken rule and an alert that did not fire: the checks can fail', async () => {
    const file = prometheusRules([EVENTS_SLO]);
    const [first, ...rest] = file.groups;
    const broken = {
      groups: [
        { ...first!, rules: [{ record: 'slo:sli_error:ratio_rate5m', expr: 'sum(rate(x[5m])', labels: {} }] },
        ...rest,
      ],
    };
    await writeFile(join(dir, 'broken.yml'), formatPrometheusRules(broken));
    const check = await promtool(['check', 'rules', 'broken.yml'], dir);
    expect(check.code).not.toBe(0);
    expect(check.output).toContain('could not parse expression');

    await writeRules('healthy.yml', EVENTS_SLO);
    const test = await testRules('expects-page-on-healthy.yml', 'healthy.yml', [
      {
        interval: '1m',
        input_series: inputSeries(1, 9999),
        alert_rule_test: [
          { eval_time: '90m', alertname: 'ApiAvailability', exp_alerts: firing(FACTORS_30D).slice(0, 1) },
        ],
      },
    ]);
    expect(test.code).not.toBe(0);
    expect(test.output).toContain('FAILED');
  });
});
