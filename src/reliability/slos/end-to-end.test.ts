/**
 * SLOs end to end with the real components: Debian's Prometheus scrapes a tiny HTTP target this
 * test serves (`http_requests_total{service, code}`), an in-process Baton whose default
 * Prometheus (BATON_PROMETHEUS_URL) is that one reads a Sloth file and an OpenSLO
 * SLO + SLI + DataSource applied through the API, the `checkout` service answers half its
 * requests with errors, and the evaluation turns that into a status, a page alert, an event a
 * Rule runs a job on, and a change refused by an ErrorBudgetPolicy. The `catalog` service
 * answers well and stays quiet. Then two servers on one PostgreSQL database evaluate the same
 * burn on a short interval: one alert, one event, and no round run twice.
 *
 * Nothing waits for a clock: Prometheus having scraped, the alert having opened and the rounds
 * having run are all conditions polled for.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaton, type Baton } from '../../app.js';
import { getExecution } from '../../automation/executions/store.js';
import type { SloStatus } from '../../contract/slos.js';
import { loadConfig } from '../../platform/config.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import { startPrometheus, type PrometheusServer } from '../../../test/prometheus-server.js';
import { listSloAlerts } from './alerts-store.js';
import { PrometheusClient } from './prometheus-client.js';
import { getSloStatus } from './store.js';

/** Requests each scrape adds, per service: checkout fails half of them, catalog none. */
const PER_SCRAPE = { checkout: { ok: 10, failed: 10 }, catalog: { ok: 20, failed: 0 } };

const CATALOG = `
apiVersion: baton/v1
kind: Team
metadata: {name: shop}
spec: {members: [admin], maintainers: [admin]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout}
spec: {owner: shop, lifecycle: production}
---
apiVersion: baton/v1
kind: Service
metadata: {name: catalog}
spec: {owner: shop, lifecycle: production}
---
apiVersion: baton/v1
kind: Job
metadata: {name: diagnose-slo, project: ops}
spec:
  options:
    - {name: slo, type: string, required: true}
    - {name: summary, type: string, required: true}
  steps: [{name: look, script: 'echo "diagnosing $BATON_OPTION_SLO: $BATON_OPTION_SUMMARY"'}]
---
apiVersion: baton/v1
kind: Rule
metadata: {name: diagnose-page, project: ops}
spec:
  on: {slo: {severity: page}}
  job: diagnose-slo
  options: {slo: '{{ slo }}', summary: '{{ summary }}'}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy-checkout, project: ops}
spec:
  service: checkout
  purpose: change
  steps: [{name: deploy, script: 'echo deploying'}]
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  services: [checkout]
  rules:
    - {name: spent, when: {budgetExhausted: true}, then: refuse}
`;

/** A Sloth file: no DataSource, so its queries go to the default Prometheus. */
const SLOTH = `
version: prometheus/v1
service: checkout
slos:
  - name: requests-availability
    objective: 99.9
    description: Checkout answers its requests.
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
      page_alert: {labels: {severity: page}}
      ticket_alert: {labels: {severity: ticket}}
`;

/** An OpenSLO SLO whose SLI reads counters from a named DataSource. */
function openSloCheckout(prometheusUrl: string): string {
  return `
apiVersion: openslo/v1
kind: DataSource
metadata: {name: shop-prometheus}
spec:
  type: Prometheus
  connectionDetails: {url: '${prometheusUrl}'}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-good-requests}
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        metricSourceRef: shop-prometheus
        type: Prometheus
        spec: {query: 'http_requests_total{service="checkout",code="200"}'}
    total:
      metricSource:
        metricSourceRef: shop-prometheus
        type: Prometheus
        spec: {query: 'http_requests_total{service="checkout"}'}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: good-requests}
spec:
  service: checkout
  indicatorRef: checkout-good-requests
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: requests succeed, target: 0.99}]
`;
}

/** An OpenSLO SLO on a fresh service, its metric source naming no DataSource (the default Prometheus). */
const OPENSLO_CATALOG = `
apiVersion: openslo/v1
kind: SLO
metadata: {name: catalog-requests}
spec:
  service: catalog
  indicator:
    metadata: {name: catalog-requests-sli}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec: {query: 'http_requests_total{service="catalog",code="200"}'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'http_requests_total{service="catalog"}'}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`;

const BURNING = ['checkout/requests-availability', 'checkout/good-requests'];

let target: http.Server;
let prometheus: PrometheusServer;
let scrapes = 0;

beforeAll(async () => {
  target = http.createServer((_request, response) => {
    scrapes++;
    const lines = ['# TYPE http_requests_total counter'];
    for (const [service, rates] of Object.entries(PER_SCRAPE)) {
      lines.push(`http_requests_total{service="${service}",code="200"} ${rates.ok * scrapes}`);
      lines.push(`http_requests_total{service="${service}",code="500"} ${rates.failed * scrapes}`);
    }
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const { port } = target.address() as AddressInfo;
  prometheus = await startPrometheus(
    `[{job_name: shop, static_configs: [{targets: ['127.0.0.1:${port}']}]}]`,
  );
  // Enough samples of both services on either side of any slice boundary for rate() and increase().
  const client = new PrometheusClient({ url: prometheus.url });
  await eventually(
    'Prometheus to have scraped the target 6 times',
    async () => {
      const series = await client.query('count_over_time(http_requests_total{code="500"}[10m])', Date.now());
      return series.length === 2 && series.every((one) => (one.values[0]?.[1] ?? 0) >= 6) ? true : undefined;
    },
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

async function applyThroughApi(baton: TestBaton, name: string, content: string) {
  const response = await baton.request('POST', '/api/v1/apply', { files: [{ name, content }] });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { warnings: { message: string; file?: string }[] };
}

async function sloEvents(baton: Baton, slo: string) {
  const rows = await baton.db
    .selectFrom('events')
    .selectAll()
    .where('format', '=', 'slo')
    .orderBy('id')
    .execute();
  return rows
    .map((row) => ({
      id: row.id,
      fields: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >,
    }))
    .filter((event) => event.fields.slo === slo);
}

describe.each(DIALECTS)('SLOs from a real Prometheus on %s', (dialect) => {
  let baton: TestBaton;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, {
      prometheusUrl: prometheus.url,
      // Evaluated by the test, at the instants it chooses.
      sloIntervalMs: 0,
      sloAlertProject: 'ops',
    });
    await baton.applyYaml(CATALOG, 'catalog.yaml');
  });
  afterAll(() => baton?.stop());

  it('checks the queries of a Sloth file at the default Prometheus, and of an OpenSLO DataSource at its own', async () => {
    const sloth = await applyThroughApi(baton, 'checkout.sloth.yaml', SLOTH);
    expect(sloth.warnings).toEqual([]);
    const openslo = await applyThroughApi(baton, 'checkout.openslo.yaml', openSloCheckout(prometheus.url));
    expect(openslo.warnings).toEqual([]);

    // A query Prometheus cannot parse is refused at apply, at the default Prometheus too.
    const broken = await baton.request('POST', '/api/v1/apply', {
      files: [{ name: 'broken.yaml', content: SLOTH.replace('sum(rate(', 'sum(rate((') }],
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).toContain(`Prometheus at ${prometheus.url} cannot parse the query`);
  });

  it('turns a burn into a status, a page alert whose event a rule runs a job on, and a refused change', async () => {
    // Evaluate until both SLOs have seen the burn (the first round may come before a slice has data).
    const statuses = await eventually('both checkout SLOs to page', async () => {
      const report = await baton.sloEvaluation.evaluateNow(Date.now());
      expect(report.errors).toEqual([]);
      const found = await Promise.all(BURNING.map((key) => getSloStatus(baton.db, key)));
      return found.every((status) => status?.openAlerts.some((alert) => alert.severity === 'page'))
        ? (found as SloStatus[])
        : undefined;
    });

    for (const status of statuses) {
      expect(status.source).toBe('prometheus');
      expect(status.lastError).toBeNull();
      // Half the requests fail: the SLI is about 0.5 whatever rate() extrapolates.
      expect(status.sli).toBeGreaterThan(0.3);
      expect(status.sli).toBeLessThan(0.7);
      expect(status.budgetRemainingRatio).toBeLessThan(0);
      expect(status.health).toBe('exhausted');
      const fiveMinutes = status.burnRates.find((rate) => rate.window === '5m')?.rate;
      expect(fiveMinutes).toBeGreaterThan(14.4);
    }

    // The API shows the same, through the route people read.
    const detail = await baton.request('GET', '/api/v1/slos/checkout/requests-availability');
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({
      format: 'prometheus/v1',
      status: {
        health: 'exhausted',
        // Half the requests failing burns far past the ticket thresholds too.
        openAlerts: expect.arrayContaining([
          expect.objectContaining({ severity: 'page' }),
          expect.objectContaining({ severity: 'ticket' }),
        ]),
      },
    });

    for (const key of BURNING) {
      const alerts = (await listSloAlerts(baton.db, key)).filter((alert) => alert.severity === 'page');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.resolvedAt).toBeNull();
      const firing = (await sloEvents(baton, key)).filter(
        (event) => event.fields.severity === 'page' && event.fields.status === 'firing',
      );
      expect(firing).toHaveLength(1);
      // The rule matched the event and ran its job, caused by it.
      const matches = await baton.db
        .selectFrom('event_matches')
        .selectAll()
        .where('event_id', '=', firing[0]!.id)
        .execute();
      expect(matches.map((match) => [`${match.rule_project}/${match.rule_name}`, match.outcome])).toEqual([
        ['ops/diagnose-page', 'triggered'],
      ]);
      const execution = await getExecution(baton.db, matches[0]!.execution_id!);
      expect(execution).toMatchObject({
        job: 'diagnose-slo',
        cause: { eventId: firing[0]!.id, rule: 'ops/diagnose-page' },
        options: { slo: key },
      });
      expect((await baton.waitFor(execution!.id)).state).toBe('succeeded');
    }

    // The same burn seen again opens nothing new.
    await baton.sloEvaluation.evaluateNow(Date.now());
    for (const key of BURNING) {
      expect((await listSloAlerts(baton.db, key)).filter((alert) => alert.severity === 'page')).toHaveLength(
        1,
      );
    }

    // A change on the burning service is refused, naming the SLO; nothing is queued.
    const refused = await baton.request('POST', '/api/v1/jobs/ops/deploy-checkout/executions', {});
    expect(refused.statusCode, refused.body).toBe(409);
    const { error } = refused.json() as { error: { code: string; message: string } };
    expect(error.code).toBe('admission_refused');
    expect(error.message).toMatch(
      /^change ops\/deploy-checkout refused by error budget policy checkout-budget rule spent \(budget exhausted → refuse\): SLO checkout\/(requests-availability|good-requests) has -/,
    );
    const deploys = await baton.db
      .selectFrom('executions')
      .select('id')
      .where('job_name', '=', 'deploy-checkout')
      .execute();
    expect(deploys).toEqual([]);
  });

  it('leaves a healthy SLO of a fresh service, read from the default Prometheus, quiet', async () => {
    const applied = await applyThroughApi(baton, 'catalog.openslo.yaml', OPENSLO_CATALOG);
    expect(applied.warnings).toEqual([]);
    const key = 'catalog/catalog-requests';
    const status = await eventually('the catalog SLO to have data', async () => {
      const report = await baton.sloEvaluation.evaluateNow(Date.now());
      expect(report.errors).toEqual([]);
      const found = await getSloStatus(baton.db, key);
      return found && found.sli !== null ? found : undefined;
    });
    expect(status).toMatchObject({
      source: 'prometheus',
      sli: 1,
      health: 'ok',
      openAlerts: [],
      lastError: null,
    });
    expect(status.budgetRemainingRatio).toBe(1);
    expect(await listSloAlerts(baton.db, key)).toEqual([]);
    expect(await sloEvents(baton, key)).toEqual([]);
  });
});

describe('two servers on one PostgreSQL database evaluating the same burn', () => {
  let first: TestBaton;
  let second: Baton | undefined;
  const INTERVAL_MS = 1_000;
  const roundsOf = async (baton: Baton) =>
    (await baton.metrics.sloRounds.get()).values.reduce((sum, value) => sum + value.value, 0);

  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    first = await startTestBaton('postgres', {
      prometheusUrl: prometheus.url,
      sloIntervalMs: INTERVAL_MS,
      sloAlertProject: 'ops',
    });
    await first.applyYaml(CATALOG, 'catalog.yaml');
    await first.applyYaml(SLOTH, 'checkout.sloth.yaml');
    second = await createBaton(
      loadConfig(
        {
          dataDir: first.location.dir,
          databaseUrl: first.location.url,
          applyExamples: false,
          embeddedWorker: false,
          prometheusUrl: prometheus.url,
          sloIntervalMs: INTERVAL_MS,
          sloAlertProject: 'ops',
        },
        {},
      ),
    );
  });
  afterAll(async () => {
    await second?.close();
    await first?.stop();
  });

  it('opens one alert and raises one event, and runs each round once', async () => {
    const key = 'checkout/requests-availability';
    await eventually('the page alert to open', async () => {
      const alerts = await listSloAlerts(first.db, key);
      return alerts.some((alert) => alert.severity === 'page') ? true : undefined;
    });
    // Several more rounds after the one that opened it, each seeing the same burn.
    const roundsThen = (await roundsOf(first)) + (await roundsOf(second!));
    await eventually('three more evaluation rounds', async () =>
      (await roundsOf(first)) + (await roundsOf(second!)) >= roundsThen + 3 ? true : undefined,
    );
    await first.sloEvaluation.stop();
    await second!.sloEvaluation.stop();
    const stoppedAt = Date.now();

    const pages = (await listSloAlerts(first.db, key)).filter((alert) => alert.severity === 'page');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.resolvedAt).toBeNull();
    const firing = (await sloEvents(first, key)).filter(
      (event) => event.fields.severity === 'page' && event.fields.status === 'firing',
    );
    expect(firing).toHaveLength(1);
    const matches = await first.db
      .selectFrom('event_matches')
      .selectAll()
      .where('event_id', '=', firing[0]!.id)
      .execute();
    expect(matches.map((match) => `${match.rule_name} ${match.outcome}`)).toEqual([
      'diagnose-page triggered',
    ]);

    // A round is claimed by its interval's start: the two servers together ran at most one per
    // interval that began while they were running, however often each one's timer offered it.
    const rounds = (await roundsOf(first)) + (await roundsOf(second!));
    const intervals = Math.floor(stoppedAt / INTERVAL_MS) - Math.floor(startedAt / INTERVAL_MS) + 1;
    expect(rounds).toBeGreaterThanOrEqual(roundsThen + 3);
    expect(rounds).toBeLessThanOrEqual(intervals);

    // Both offered the same round at the same instant: one of them runs it.
    const next = (Math.floor(Date.now() / INTERVAL_MS) + 1) * INTERVAL_MS;
    const reports = await Promise.all([
      first.sloEvaluation.runRound(next),
      second!.sloEvaluation.runRound(next),
    ]);
    expect(reports.filter((report) => report !== undefined)).toHaveLength(1);
    expect((await roundsOf(first)) + (await roundsOf(second!))).toBe(rounds + 1);
    expect((await listSloAlerts(first.db, key)).filter((alert) => alert.severity === 'page')).toHaveLength(1);
  });
});

describe('without a default Prometheus', () => {
  let baton: TestBaton;

  beforeAll(async () => {
    baton = await startTestBaton('sqlite', { sloIntervalMs: 0, sloAlertProject: 'ops' });
    await baton.applyYaml(CATALOG, 'catalog.yaml');
  });
  afterAll(() => baton?.stop());

  it('applies a Sloth file with a warning that its queries are unchecked, and says why it cannot measure it', async () => {
    const applied = await applyThroughApi(baton, 'checkout.sloth.yaml', SLOTH);
    expect(applied.warnings).toEqual([
      expect.objectContaining({
        message: 'PromQL not checked: no Prometheus URL to send it to',
        expected: expect.stringContaining('BATON_PROMETHEUS_URL'),
      }),
    ]);
    const report = await baton.sloEvaluation.evaluateNow(Date.now());
    expect(report.errors).toEqual([
      'checkout/requests-availability: its queries name no Prometheus and no default Prometheus is set (BATON_PROMETHEUS_URL)',
    ]);
    expect(await getSloStatus(baton.db, 'checkout/requests-availability')).toMatchObject({
      lastError: expect.stringContaining('BATON_PROMETHEUS_URL'),
      openAlerts: [],
    });
  });
});
