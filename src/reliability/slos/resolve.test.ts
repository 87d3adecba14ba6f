import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MAX_SLO_DOCUMENTS } from './documents.js';
import type { DocumentFinding, SloReading } from './model.js';
import { readSloDocuments, splitDocumentList, type SloReadingContext } from './resolve.js';
import { known } from './openslo.js';

/** Every YAML document of the texts, a list document split into its items, as the apply layer will. */
function read(text: string, context: SloReadingContext = {}): SloReading {
  const values = parseAllDocuments(text).flatMap((doc) =>
    splitDocumentList(doc.toJS()).map((item) => item.value),
  );
  return readSloDocuments(values, context);
}

function at(findings: readonly DocumentFinding[], path: string): DocumentFinding {
  const found = findings.find((finding) => formatPath(finding.path) === path);
  if (!found) {
    throw new Error(
      `nothing at ${path}; got ${findings.map((f) => `${formatPath(f.path)}: ${f.message}`).join('; ')}`,
    );
  }
  return found;
}

function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`))
    .join('')
    .slice(1);
}

const service = `
apiVersion: openslo/v1
kind: Service
metadata:
  name: web-shop
  displayName: Web shop
  annotations:
    baton.dev/owner: shop-team
spec:
  description: The storefront.
`;

/** A DataSource, an SLI on it and an SLO referring to the SLI, with an alert policy, as in OpenSLO's examples. */
const referenced = `${service}
---
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: shop-prometheus
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus.internal:9090
    bearerTokenSecret: infra/prometheus-token
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-success
spec:
  description: Checkouts answered without a server error.
  ratioMetric:
    counter: true
    good:
      metricSource:
        metricSourceRef: shop-prometheus
        spec:
          query: sum(checkout_requests_total{code!~"5.."})
    total:
      metricSource:
        metricSourceRef: shop-prometheus
        type: Prometheus
        spec:
          query: sum(checkout_requests_total)
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition:
    kind: burnrate
    op: gte
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 5m
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: shop-oncall
spec:
  description: The shop's on-call rotation.
  target: pagerduty
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: shop-paging
spec:
  alertWhenBreaching: true
  conditions:
    - conditionRef: fast-burn
  notificationTargets:
    - targetRef: shop-oncall
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
  labels:
    tier: ["1", gold]
spec:
  service: web-shop
  indicatorRef: checkout-success
  timeWindow:
    - duration: 1M
      calendar:
        startTime: 2026-01-01 00:00:00
        timeZone: Europe/Berlin
  budgetingMethod: Timeslices
  objectives:
    - displayName: Good minutes
      target: 0.995
      timeSliceTarget: 0.95
      timeSliceWindow: 1m
  alertPolicies:
    - alertPolicyRef: shop-paging
`;

/** One SLO with the SLI inline, rolling window, Occurrences; `objective` is spliced in. */
function inlineSlo(objective = 'target: 0.99', extra = '') {
  return `${service}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-latency
spec:
  service: web-shop
  indicator:
    metadata:
      name: search-ok
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(search_requests_total{code="200"})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(search_requests_total)
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - ${objective}
${extra}`;
}

describe('reading OpenSLO v1 documents', () => {
  it('resolves an SLO through its SLI, DataSource, AlertPolicy, AlertCondition and notification target', () => {
    const reading = read(referenced);
    expect(reading.problems).toEqual([]);
    // The condition is read and kept, but Baton alerts on its own burn-rate windows, and says so.
    expect(reading.warnings).toHaveLength(1);
    expect(at(reading.warnings, 'spec.condition').message).toMatch(/^Baton does not evaluate this condition/);
    expect(reading.services).toEqual([
      {
        name: 'web-shop',
        document: 0,
        description: 'The storefront.',
        owner: { kind: 'team', team: 'shop-team', from: 'annotation' },
      },
    ]);
    const [slo] = reading.slos;
    expect(slo).toMatchObject({
      format: 'openslo/v1',
      document: 6,
      name: 'checkout-availability',
      displayName: 'Checkout availability',
      service: 'web-shop',
      labels: { tier: '1,gold' },
    });
    expect(slo!.math.method).toBe('Timeslices');
    expect(slo!.math.window).toMatchObject({ kind: 'calendar', timeZone: 'Europe/Berlin' });
    expect(slo!.math.objectives).toEqual([
      { target: 0.995, timeSliceTarget: 0.95, timeSliceMs: 60_000, compositeWeight: 1 },
    ]);
    const dataSource = {
      name: 'shop-prometheus',
      url: 'http://prometheus.internal:9090',
      bearerTokenSecret: 'infra/prometheus-token',
    };
    expect(slo!.objectives).toEqual([
      {
        displayName: 'Good minutes',
        indicator: {
          name: 'checkout-success',
          description: 'Checkouts answered without a server error.',
          measure: {
            kind: 'prometheus-ratio',
            counter: true,
            count: 'good',
            numerator: { dataSource, query: 'sum(checkout_requests_total{code!~"5.."})', template: 'none' },
            total: { dataSource, query: 'sum(checkout_requests_total)', template: 'none' },
          },
        },
      },
    ]);
    expect(slo!.alertPolicies).toEqual([
      {
        name: 'shop-paging',
        alertWhenNoData: false,
        alertWhenResolved: false,
        alertWhenBreaching: true,
        conditions: [
          {
            name: 'fast-burn',
            severity: 'page',
            kind: 'burnrate',
            op: 'gte',
            threshold: 14.4,
            lookbackWindowMs: 3_600_000,
            alertAfterMs: 300_000,
          },
        ],
        notificationTargets: [
          { name: 'shop-oncall', description: "The shop's on-call rotation.", target: 'pagerduty' },
        ],
      },
    ]);
  });

  it('reads a file that is one YAML list of documents, as the go-sdk examples are', () => {
    const list = parseAllDocuments(referenced)
      .map((doc) => doc.toJS() as unknown)
      .reverse(); // references resolve whatever the order
    const [item] = splitDocumentList(list);
    expect(item!.path).toEqual([0]);
    const reading = readSloDocuments(splitDocumentList(list).map((entry) => entry.value));
    expect(reading.problems).toEqual([]);
    expect(reading.slos.map((slo) => slo.name)).toEqual(['checkout-availability']);
  });

  it('accepts op on an inline ratio metric, as the spec examples write it, with a warning', () => {
    const reading = read(inlineSlo('op: lte\n      target: 0.99'));
    expect(reading.problems).toEqual([]);
    expect(at(reading.warnings, 'spec.objectives[0].op').message).toMatch(/threshold metrics.*ignored/);
    expect(reading.slos[0]!.objectives[0]!.threshold).toBeUndefined();
  });

  it('says a service without an owner has none, and takes the owner of a Baton Service of that name', () => {
    const ownerless = read(inlineSlo().replace(/ {2}annotations:\n {4}baton\.dev\/owner: shop-team\n/, ''));
    expect(ownerless.problems).toEqual([]);
    expect(ownerless.services[0]!.owner).toEqual({ kind: 'none' });

    const baton = read(inlineSlo(), { batonServices: new Map([['web-shop', { owner: 'platform' }]]) });
    expect(baton.services[0]!.owner).toEqual({ kind: 'team', team: 'platform', from: 'baton-service' });
    expect(at(baton.warnings, 'metadata.annotations.baton.dev/owner').message).toMatch(
      /owned by team platform/,
    );
  });

  it('refuses a name that is not an RFC 1123 label of at most 63 characters', () => {
    const upper = read(inlineSlo().replace('name: search-latency', 'name: SearchLatency'));
    expect(at(upper.problems, 'metadata.name').message).toMatch(/RFC 1123/);
    const long = read(inlineSlo().replace('name: search-latency', `name: ${'a'.repeat(64)}`));
    expect(at(long.problems, 'metadata.name').message).toMatch(/63 characters/);
    expect(read(inlineSlo().replace('name: search-latency', `name: ${'a'.repeat(63)}`)).problems).toEqual([]);
    expect(upper.slos).toEqual([]);
  });

  it('needs exactly one of indicator and indicatorRef', () => {
    const both = read(
      `${referenced}`.replace(
        'indicatorRef: checkout-success',
        'indicatorRef: checkout-success\n  indicator: {spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: up}}}}}',
      ),
    );
    expect(at(both.problems, 'spec.indicatorRef').found).toBe('both');
    const neither = read(referenced.replace('  indicatorRef: checkout-success\n', ''));
    expect(at(neither.problems, 'spec').message).toMatch(/exactly one of indicator and indicatorRef/);
  });

  it('checks the time window: one item, calendar exactly when not rolling, startTime format, IANA zone', () => {
    const two = read(
      inlineSlo().replace(
        '      isRolling: true',
        '      isRolling: true\n    - duration: 7d\n      isRolling: true',
      ),
    );
    expect(at(two.problems, 'spec.timeWindow').expected).toBe('a list with exactly one time window');

    const rollingWithCalendar = read(
      inlineSlo().replace(
        'isRolling: true',
        'isRolling: true\n      calendar: {startTime: "2026-01-01 00:00:00", timeZone: UTC}',
      ),
    );
    expect(at(rollingWithCalendar.problems, 'spec.timeWindow[0].calendar').expected).toMatch(
      /no calendar on a rolling window/,
    );

    const noCalendar = read(inlineSlo().replace('      isRolling: true\n', ''));
    expect(at(noCalendar.problems, 'spec.timeWindow[0].calendar').expected).toMatch(
      /calendar \{startTime, timeZone\}/,
    );

    const isoStart = read(
      referenced.replace('startTime: 2026-01-01 00:00:00', 'startTime: "2026-01-01T00:00:00Z"'),
    );
    expect(at(isoStart.problems, 'spec.timeWindow[0].calendar.startTime').expected).toMatch(
      /YYYY-MM-DD HH:MM:SS/,
    );

    const zone = read(referenced.replace('Europe/Berlin', 'Europe/Atlantis'));
    expect(at(zone.problems, 'spec.timeWindow[0].calendar.timeZone').found).toBe('"Europe/Atlantis"');
  });

  it('checks each budgeting method and its required fields', () => {
    const unknown = read(inlineSlo().replace('budgetingMethod: Occurrences', 'budgetingMethod: Events'));
    expect(at(unknown.problems, 'spec.budgetingMethod').expected).toBe(
      'one of Occurrences, Timeslices, RatioTimeslices',
    );

    const noSliceTarget = read(referenced.replace('      timeSliceTarget: 0.95\n', ''));
    expect(at(noSliceTarget.problems, 'spec.objectives[0].timeSliceTarget').expected).toMatch(
      /\(0, 1\] with Timeslices/,
    );

    const ratio = read(
      inlineSlo('target: 0.99\n      timeSliceWindow: 5m').replace('Occurrences', 'RatioTimeslices'),
    );
    expect(ratio.problems).toEqual([]);
    expect(ratio.slos[0]!.math.objectives[0]!.timeSliceMs).toBe(300_000);

    const ratioNoWindow = read(inlineSlo().replace('Occurrences', 'RatioTimeslices'));
    expect(at(ratioNoWindow.problems, 'spec.objectives[0].timeSliceWindow').expected).toMatch(
      /timeSliceWindow with RatioTimeslices/,
    );
  });

  it('refuses a target of 1 or 100%, naming the field', () => {
    const percent = read(inlineSlo('targetPercent: 100'));
    const problem = at(percent.problems, 'spec.objectives[0].targetPercent');
    expect(problem.expected).toMatch(/\[0, 100\)/);
    expect(problem.found).toBe('100');
    expect(at(read(inlineSlo('target: 1')).problems, 'spec.objectives[0].target').expected).toMatch(
      /\[0, 1\)/,
    );
    expect(read(inlineSlo('targetPercent: 99.9')).slos[0]!.math.objectives[0]!.target).toBeCloseTo(0.999, 12);
  });

  it('reads a composite SLO: an indicator and a weight per objective', () => {
    const composite = `${referenced}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: shop-overall
spec:
  service: web-shop
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Checkout
      target: 0.99
      compositeWeight: 3
      indicatorRef: checkout-success
    - displayName: Up
      target: 0.9
      compositeWeight: 1
      op: gte
      value: 1
      indicator:
        metadata: {name: shop-up}
        spec:
          thresholdMetric:
            metricSource: {metricSourceRef: shop-prometheus, spec: {query: 'min(up{job="shop"})'}}
`;
    const reading = read(composite);
    expect(reading.problems).toEqual([]);
    const slo = reading.slos.find((candidate) => candidate.name === 'shop-overall')!;
    expect(slo.math.objectives.map((objective) => objective.compositeWeight)).toEqual([3, 1]);
    expect(slo.objectives.map((objective) => objective.indicator.measure.kind)).toEqual([
      'prometheus-ratio',
      'prometheus-threshold',
    ]);
    expect(slo.objectives[1]!.threshold).toEqual({ op: 'gte', value: 1 });

    const zeroWeight = read(composite.replace('compositeWeight: 3', 'compositeWeight: 0'));
    expect(at(zeroWeight.problems, 'spec.objectives[0].compositeWeight').expected).toMatch(/greater than 0/);
    const missing = read(composite.replace('      indicatorRef: checkout-success\n', ''));
    expect(at(missing.problems, 'spec.objectives[0]').message).toMatch(/composite SLO/);
    const noOp = read(composite.replace('      op: gte\n', ''));
    expect(at(noOp.problems, 'spec.objectives[1].op').message).toBe('is required for a threshold metric');
  });

  it('checks the SLI metric combinations: good or bad with total, raw with rawType', () => {
    const sli = (ratio: string) =>
      read(`apiVersion: openslo/v1
kind: SLI
metadata: {name: payments}
spec:
  ratioMetric:
${ratio}`);
    const src = (query: string) => `{metricSource: {type: Prometheus, spec: {query: '${query}'}}}`;
    expect(sli(`    rawType: failure\n    raw: ${src('payment_error_ratio')}`).problems).toEqual([]);
    expect(
      at(sli(`    raw: ${src('payment_error_ratio')}`).problems, 'spec.ratioMetric.rawType').message,
    ).toBe('is required with raw');
    expect(
      at(
        sli(`    good: ${src('a')}\n    bad: ${src('b')}\n    total: ${src('c')}`).problems,
        'spec.ratioMetric',
      ).found,
    ).toBe('both');
    expect(at(sli(`    good: ${src('a')}`).problems, 'spec.ratioMetric.total').message).toBe(
      'is required with good or bad',
    );
    expect(
      at(
        sli(`    rawType: success\n    raw: ${src('a')}\n    total: ${src('c')}`).problems,
        'spec.ratioMetric.total',
      ).message,
    ).toMatch(/precomputed/);
  });

  it('refuses a metric source type Baton cannot read, naming it, and an unknown reference, naming it', () => {
    const datadog = read(inlineSlo().replace('type: Prometheus', 'type: Datadog'));
    const problem = at(datadog.problems, 'spec.indicator.spec.ratioMetric.good.metricSource.type');
    expect(problem.message).toBe('metric source type "Datadog" is not one Baton can read');
    expect(problem.expected).toMatch(/Prometheus, Baton .* or Pushed/);

    const lower = read(inlineSlo().replace('type: Prometheus', 'type: prometheus'));
    expect(at(lower.problems, 'spec.indicator.spec.ratioMetric.good.metricSource.type').message).toMatch(
      /did you mean "Prometheus"/,
    );

    const dataSource = read(
      referenced.replace('type: Prometheus\n  connectionDetails', 'type: CloudWatch\n  connectionDetails'),
    );
    expect(at(dataSource.problems, 'spec.type').message).toMatch(/"CloudWatch"/);
    // The SLI that names it is not reported a second time.
    expect(dataSource.problems).toHaveLength(1);

    const refs = read(
      referenced
        .replace('indicatorRef: checkout-success', 'indicatorRef: checkout-ok')
        .replace('- alertPolicyRef: shop-paging', '- alertPolicyRef: shop-pager')
        .replace('metricSourceRef: shop-prometheus\n        spec', 'metricSourceRef: prom\n        spec')
        .replace('conditionRef: fast-burn', 'conditionRef: slow-burn')
        .replace('targetRef: shop-oncall', 'targetRef: oncall')
        .replace('service: web-shop', 'service: webshop'),
    );
    expect(at(refs.problems, 'spec.indicatorRef').message).toBe('no SLI named "checkout-ok" is defined');
    expect(at(refs.problems, 'spec.indicatorRef').expected).toBe('one of checkout-success');
    expect(at(refs.problems, 'spec.alertPolicies[0].alertPolicyRef').message).toBe(
      'no AlertPolicy named "shop-pager" is defined',
    );
    expect(at(refs.problems, 'spec.ratioMetric.good.metricSource.metricSourceRef').message).toBe(
      'no DataSource named "prom" is defined',
    );
    expect(at(refs.problems, 'spec.conditions[0].conditionRef').message).toBe(
      'no AlertCondition named "slow-burn" is defined',
    );
    expect(at(refs.problems, 'spec.notificationTargets[0].targetRef').message).toBe(
      'no AlertNotificationTarget named "oncall" is defined',
    );
    expect(at(refs.problems, 'spec.service').message).toBe('no service named "webshop" is defined');
    expect(refs.slos).toEqual([]);
  });

  it("reads indicators on Baton's own executions: succeeded runs, and runs finished within a time", () => {
    const reading = read(`${service}
---
apiVersion: baton/v1
kind: SLO
metadata: {name: restart-web-succeeds, project: ops}
spec:
  service: web-shop
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: ops/restart-web, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: ops/restart-web}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99}]
  alerting: {ticket: false}
---
apiVersion: baton/v1
kind: SLO
metadata: {name: provisioning-fast}
spec:
  service: web-shop
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {finishedWithin: 10m}}}
        total: {metricSource: {type: Baton}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.95}]
`);
    expect(reading.problems).toEqual([]);
    const [restart, provisioning] = reading.slos;
    expect(restart).toMatchObject({ format: 'baton/v1', project: 'ops' });
    expect(restart!.math.alertWindows.every((window) => window.severity === 'page')).toBe(true);
    expect(restart!.objectives[0]!.indicator.measure).toEqual({
      kind: 'executions',
      selector: { job: { project: 'ops', name: 'restart-web' } },
      count: 'good',
      criteria: { states: ['succeeded'] },
    });
    expect(provisioning!.objectives[0]!.indicator.measure).toEqual({
      kind: 'executions',
      selector: {},
      count: 'good',
      criteria: { finishedWithinMs: 600_000 },
    });
  });

  it('refuses Baton indicators that cannot mean anything', () => {
    const sli = (good: string, total: string) =>
      read(`apiVersion: openslo/v1
kind: SLI
metadata: {name: runs}
spec:
  ratioMetric:
    good: {metricSource: {type: Baton, spec: ${good}}}
    total: {metricSource: {type: Baton, spec: ${total}}}
`).problems;
    expect(
      at(
        sli('{job: ops/a, states: [succeeded]}', '{job: ops/b}'),
        'spec.ratioMetric.good.metricSource.spec.job',
      ).expected,
    ).toBe('ops/b');
    expect(
      at(sli('{job: ops/a}', '{job: ops/a}'), 'spec.ratioMetric.good.metricSource.spec').message,
    ).toMatch(/or it equals total/);
    expect(
      at(sli('{states: [failed]}', '{states: [succeeded]}'), 'spec.ratioMetric.total.metricSource.spec')
        .message,
    ).toMatch(/belong on good/);
    expect(
      at(sli('{finishedWithin: soon}', '{}'), 'spec.ratioMetric.good.metricSource.spec.finishedWithin')
        .expected,
    ).toMatch(/10m/);
    expect(
      at(sli('{states: [sleeping]}', '{}'), 'spec.ratioMetric.good.metricSource.spec.states[0]').message,
    ).toBeTruthy();
  });

  it('reads pushed counts', () => {
    const reading = read(
      inlineSlo()
        .replace(
          /good:\n( +)metricSource:\n +type: Prometheus\n +spec:\n +query: .*\n/,
          'bad:\n$1metricSource: {type: Pushed}\n',
        )
        .replace(
          /total:\n( +)metricSource:\n +type: Prometheus\n +spec:\n +query: .*\n/,
          'total:\n$1metricSource: {type: Pushed}\n',
        ),
    );
    expect(reading.problems).toEqual([]);
    expect(reading.slos[0]!.objectives[0]!.indicator.measure).toEqual({ kind: 'pushed', count: 'bad' });
  });

  it('turns off, with a warning, an alert whose long window does not fit in a short OpenSLO window', () => {
    const reading = read(inlineSlo().replace('duration: 28d', 'duration: 2d'));
    expect(reading.problems).toEqual([]);
    expect(at(reading.warnings, 'spec.timeWindow[0].duration').message).toMatch(/ticket burn-rate alerts/);
    expect(reading.slos[0]!.math.alertWindows.map((window) => window.severity)).toEqual(['page', 'page']);
  });

  it('refuses two documents of one kind with one name, and documents it does not read', () => {
    const twice = read(`${service}\n---\n${service}`);
    expect(at(twice.problems, 'metadata.name').message).toBe(
      'Service web-shop is also defined in document 1',
    );
    const other = read('apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: x}\nspec: {}\n');
    expect(at(other.problems, 'apiVersion').found).toBe('"openslo/v1alpha"');
    const kind = read('apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: x}\nspec: {}\n');
    expect(at(kind.problems, 'kind').expected).toMatch(/^one of SLO, SLI, Service/);
  });

  it('says where a value of the wrong type is, what was expected and what was found', () => {
    const reading = read(inlineSlo('target: "0.99"'));
    expect(at(reading.problems, 'spec.objectives[0].target')).toEqual({
      document: 1,
      path: ['spec', 'objectives', 0, 'target'],
      message: 'has the wrong type',
      expected: 'a number',
      found: '"0.99"',
    });
    const typo = read(inlineSlo('target: 0.99\n      timeSliceWindw: 5m'));
    expect(at(typo.problems, 'spec.objectives[0].timeSliceWindw').message).toBe(
      'unknown field "timeSliceWindw"',
    );
    const math = at(read(inlineSlo('target: 1.5')).problems, 'spec.objectives[0].target');
    expect(math.message).toBe(`expected ${math.expected}, found 1.5`);
  });

  it('refuses an indicator on both the SLO and one of its objectives', () => {
    const reading = read(inlineSlo('target: 0.99\n      indicatorRef: checkout-success'));
    expect(at(reading.problems, 'spec.objectives[0]').message).toMatch(/only in a composite SLO/);
  });

  it('bounds what it reads: the number of documents and the length of a query', () => {
    const many = readSloDocuments(Array.from({ length: MAX_SLO_DOCUMENTS + 1 }, () => ({})));
    expect(many.problems[0]!.message).toBe('too many SLO documents in one reading');
    const long = read(inlineSlo().replace('sum(search_requests_total)', 'x'.repeat(10_001)));
    expect(at(long.problems, 'spec.indicator.spec.ratioMetric.total.metricSource.spec.query')).toBeTruthy();
  });
});

describe('naming what a reference could have been', () => {
  it('lists a name once when a Baton Service and an OpenSLO Service share it', () => {
    expect(known(['shop', 'web', 'shop'], 'none')).toBe('one of shop, web');
    expect(known([], 'no services')).toBe('no services');
  });
});
