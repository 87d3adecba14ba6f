/**
 * An SLO read from a real Prometheus (Debian's /usr/bin/prometheus on loopback) scraping a tiny
 * HTTP target this test serves, whose counters count 9 good requests and 1 bad one per scrape.
 * The evaluation is asked now (for the slice in progress), then at an instant just after the
 * slice holding the scrapes has ended, so no test waits for a clock: it waits (by condition)
 * only for Prometheus to have scraped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import { silentLogger } from '../../platform/logging.js';
import { Metrics } from '../../platform/metrics.js';
import { createSloEvaluation } from './evaluation.js';
import { PrometheusClient } from './prometheus-client.js';
import { OCCURRENCES_SLICE_MS, sliceStartOf } from './sources.js';
import { getSloStatus, saveSloDocument } from './store.js';

const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let target: http.Server;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let dataDir: string;
let scrapes = 0;

async function startPrometheus(): Promise<void> {
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dataDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  prometheus = child;
  await eventually('Prometheus to be ready', async () => {
    const ready = await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined);
    return ready?.ok ? true : undefined;
  });
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus;
  prometheus = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  target = http.createServer((_request, response) => {
    // Each scrape sees 9 more good and 1 more bad request: a 90% SLI at any slice.
    scrapes++;
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end(
      [
        '# TYPE demo_requests_total counter',
        `demo_requests_total{code="200"} ${9 * scrapes}`,
        `demo_requests_total{code="500"} ${scrapes}`,
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const { port } = target.address() as net.AddressInfo;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-prometheus-'));
  fs.writeFileSync(
    path.join(dataDir, 'prometheus.yml'),
    `global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: demo
    static_configs: [{targets: ['127.0.0.1:${port}']}]
`,
  );
  await startPrometheus();
  // Enough samples in Prometheus for increase() to have something to say.
  await eventually(
    'Prometheus to have scraped the target 5 times',
    async () => {
      const client = new PrometheusClient({ url: prometheusUrl });
      const series = await client.query('count_over_time(demo_requests_total{code="500"}[10m])', Date.now());
      return (series[0]?.values[0]?.[1] ?? 0) >= 5 ? true : undefined;
    },
    60_000,
  );
}, 120_000);

afterAll(async () => {
  await stopPrometheus();
  await new Promise((resolve) => target.close(resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const documents = (url: string) => [
  {
    key: { apiVersion: 'openslo/v1', kind: 'Service', name: 'demo' },
    document: {
      apiVersion: 'openslo/v1',
      kind: 'Service',
      metadata: { name: 'demo', annotations: { 'baton.dev/owner': 'sre' } },
      spec: {},
    },
  },
  {
    key: { apiVersion: 'openslo/v1', kind: 'DataSource', name: 'prom' },
    document: {
      apiVersion: 'openslo/v1',
      kind: 'DataSource',
      metadata: { name: 'prom' },
      spec: { type: 'Prometheus', connectionDetails: { url } },
    },
  },
  ...[
    { name: 'availability', good: 'demo_requests_total{code="200"}', total: 'demo_requests_total' },
    { name: 'broken', good: 'demo_requests_total{code="200"', total: 'demo_requests_total' },
  ].map(({ name, good, total }) => ({
    key: { apiVersion: 'openslo/v1', kind: 'SLO', name },
    document: {
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name },
      spec: {
        service: 'demo',
        indicator: {
          metadata: { name: `${name}-requests` },
          spec: {
            ratioMetric: {
              counter: true,
              good: { metricSource: { metricSourceRef: 'prom', spec: { query: good } } },
              total: { metricSource: { metricSourceRef: 'prom', spec: { query: total } } },
            },
          },
        },
        timeWindow: [{ duration: '7d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ target: 0.8 }],
      },
    },
  })),
];

describe.each(DIALECTS)('SLOs from a real Prometheus on %s', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    if (!prometheus) await startPrometheus();
    database = await openTestDatabase(dialect);
    for (const { key, document } of documents(prometheusUrl)) {
      await saveSloDocument(database.db, key, {
        document,
        source: '',
        digest: key.name,
        actor: 'admin',
        now: 0,
      });
    }
  });
  afterAll(() => database.close());

  it('measures the SLI from the counters, says what is wrong with a bad query, and keeps the numbers while Prometheus is down', async () => {
    const evaluation = createSloEvaluation({ db: database.db, metrics: new Metrics(), logger: silentLogger });
    // Now: the slice in progress is measured as far as it has come, so the 5-minute burn rate
    // has data (10% errors against a 20% budget: 0.5) once that slice holds two scrapes.
    const fiveMinutes = await eventually('the slice in progress to be measured', async () => {
      await evaluation.evaluateNow(Date.now());
      const status = await getSloStatus(database.db, 'demo/availability');
      return status?.burnRates.find((rate) => rate.window === '5m')?.rate ?? undefined;
    });
    expect(fiveMinutes).toBeCloseTo(0.5, 6);
    // Just after the slice holding the scrapes so far has ended, so that it is measured whole.
    const now = sliceStartOf(Date.now(), OCCURRENCES_SLICE_MS, 0) + OCCURRENCES_SLICE_MS + 1_000;
    const report = await evaluation.evaluateNow(now);
    expect(report.errors).toEqual([
      expect.stringMatching(/^demo\/broken: Prometheus at http:\/\/127\.0\.0\.1:\d+ answered 400 bad_data: /),
    ]);

    const status = await getSloStatus(database.db, 'demo/availability');
    expect(status).toMatchObject({ source: 'prometheus', lastError: null, noDataSince: null });
    expect(status!.sli).toBeCloseTo(0.9, 6);
    expect(status!.objectives[0]!.budget!.remainingRatio).toBeCloseTo(0.5, 6);
    const broken = await getSloStatus(database.db, 'demo/broken');
    expect(broken).toMatchObject({ health: 'no-data', sli: null });
    // Without data since the first round, the one at the real time.
    expect(Date.parse(broken!.noDataSince!)).toBeLessThan(now);

    await stopPrometheus();
    const down = await evaluation.evaluateNow(now + 60_000);
    expect(down.errors).toContainEqual(
      expect.stringMatching(/^demo\/availability: Prometheus at .* unreachable: /),
    );
    const kept = await getSloStatus(database.db, 'demo/availability');
    expect(kept!.sli).toBeCloseTo(0.9, 6);
    expect(kept!.lastError).toMatch(/unreachable/);
    expect(kept!.noDataSince).toBe(new Date(now + 60_000).toISOString());
    // Still down a round later: since when stays.
    await evaluation.evaluateNow(now + 120_000);
    expect((await getSloStatus(database.db, 'demo/availability'))!.noDataSince).toBe(
      new Date(now + 60_000).toISOString(),
    );
  });
});
