/**
 * The SLO read API end to end on both databases: SLO documents and a status are stored as the
 * apply and the evaluation duty store them, then read back through HTTP by callers who may see
 * all, part or none of the services.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SloStatus } from '../../contract/slos.js';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { putSloStatus, saveSloDocument } from './store.js';

const CATALOG = `
apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [alice]}
---
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [bob]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout, description: Takes the money.}
spec: {owner: payments, lifecycle: production}
---
apiVersion: baton/v1
kind: Service
metadata: {name: search}
spec: {owner: sre, lifecycle: experimental}
`;

/** An SLO on Baton's own executions of the checkout service. */
const DEPLOYS = `apiVersion: baton/v1
kind: SLO
metadata: {name: deploys, displayName: Deploys succeed}
spec:
  service: checkout
  description: Deploys of checkout succeed.
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {states: [succeeded]}}}
        total: {metricSource: {type: Baton}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`;

/** A service only OpenSLO documents name, with no owner, and a Prometheus-backed SLO. */
const LEGACY_SERVICE = `apiVersion: openslo/v1
kind: Service
metadata: {name: legacy}
spec: {description: The old shop.}
`;
const LEGACY_SLO = `apiVersion: openslo/v1
kind: SLO
metadata: {name: availability}
spec:
  service: legacy
  indicator:
    metadata: {name: legacy-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'http_total{code!~"5.."}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: http_total}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.995}]
`;

/** Prometheus-backed, but over calendar months: Sloth's rules cannot express it. */
const LEGACY_MONTHLY = LEGACY_SLO.replace('name: availability', 'name: monthly').replace(
  '{duration: 28d, isRolling: true}',
  '{duration: 1M, calendar: {startTime: "2026-01-01 00:00:00", timeZone: UTC}}',
);

function burningStatus(): SloStatus {
  return {
    slo: 'checkout/deploys',
    service: 'checkout',
    name: 'deploys',
    displayName: 'Deploys succeed',
    description: 'Deploys of checkout succeed.',
    format: 'baton/v1',
    project: null,
    window: '28d rolling',
    periodStart: '2026-11-10T00:00:00.000Z',
    periodEnd: '2026-12-08T00:00:00.000Z',
    budgetingMethod: 'Occurrences',
    source: 'executions',
    objectives: [],
    sli: 0.97,
    budgetRemainingRatio: -2,
    burnRates: [{ window: '1h', rate: 20 }],
    timeToExhaustionMs: null,
    health: 'burning',
    openAlerts: [],
    noDataSince: null,
    lastError: null,
    evaluatedAt: '2026-12-08T00:00:00.000Z',
  };
}

describe.each(DIALECTS)('SLO reads on %s', (dialect) => {
  let baton: TestBaton;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    alice = (await baton.addUser('alice')).headers;
    bob = (await baton.addUser('bob')).headers;
    await baton.applyYaml(CATALOG);
    const documents: [string, string, string, string][] = [
      ['baton/v1', 'SLO', 'deploys', DEPLOYS],
      ['openslo/v1', 'Service', 'legacy', LEGACY_SERVICE],
      ['openslo/v1', 'SLO', 'availability', LEGACY_SLO],
      ['openslo/v1', 'SLO', 'monthly', LEGACY_MONTHLY],
    ];
    for (const [apiVersion, kind, name, source] of documents) {
      await saveSloDocument(
        baton.db,
        { apiVersion, kind, name },
        { document: parse(source), source, digest: name, actor: 'admin', now: Date.now() },
      );
    }
    await putSloStatus(baton.db, burningStatus(), Date.now());
  });
  afterAll(() => baton.stop());

  const get = async (url: string, headers?: Record<string, string>) => {
    const response = await baton.request('GET', url, undefined, headers);
    return { status: response.statusCode, body: response.body, json: () => response.json(), response };
  };

  it('lists the SLOs of visible services, with the status or null before the first evaluation', async () => {
    const all = (await get('/api/v1/slos')).json();
    expect(all.slos.map((slo: { slo: string }) => slo.slo)).toEqual([
      'checkout/deploys',
      'legacy/availability',
      'legacy/monthly',
    ]);
    expect(all.slos[0]).toMatchObject({
      owner: { kind: 'team', team: 'payments', from: 'baton-service' },
      target: 0.99,
      status: { health: 'burning', sli: 0.97 },
    });
    expect(all.slos[1]).toMatchObject({ owner: { kind: 'none' }, format: 'openslo/v1', status: null });

    const mine = (await get('/api/v1/slos', alice)).json();
    expect(mine.slos.map((slo: { slo: string }) => slo.slo)).toEqual(['checkout/deploys']);
    expect((await get('/api/v1/slos', bob)).json()).toEqual({ slos: [] });
  });

  it('filters by service and health, counting an SLO not evaluated yet as no-data', async () => {
    const noData = (await get('/api/v1/slos?health=no-data')).json();
    expect(noData.slos.map((slo: { slo: string }) => slo.slo)).toEqual([
      'legacy/availability',
      'legacy/monthly',
    ]);
    const burning = (await get('/api/v1/slos?health=burning&service=checkout')).json();
    expect(burning.slos.map((slo: { slo: string }) => slo.slo)).toEqual(['checkout/deploys']);
    const bad = await get('/api/v1/slos?health=on-fire');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('querystring.health');
  });

  it('shows one SLO with its document, and answers a hidden or unknown one with 404', async () => {
    const detail = await get('/api/v1/slos/checkout/deploys', alice);
    expect(detail.status).toBe(200);
    expect(detail.json()).toMatchObject({
      slo: 'checkout/deploys',
      description: 'Deploys of checkout succeed.',
      source: DEPLOYS,
      status: { health: 'burning' },
    });
    const hidden = await get('/api/v1/slos/checkout/deploys', bob);
    const missing = await get('/api/v1/slos/checkout/nope', alice);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    // The same answer, so a name cannot be probed.
    expect(hidden.json().error.code).toBe(missing.json().error.code);
  });

  it('lists every service with health and gate: catalog ones and those only SLO documents name', async () => {
    const { services } = (await get('/api/v1/services/health')).json();
    expect(services.map((service: { name: string }) => service.name)).toEqual([
      'checkout',
      'legacy',
      'search',
    ]);
    const [checkout, legacy, search] = services;
    expect(checkout).toMatchObject({
      owner: { kind: 'team', team: 'payments' },
      lifecycle: 'production',
      description: 'Takes the money.',
      budgetRemainingRatio: -2,
      gate: { state: 'open' },
    });
    expect(checkout.attainment).toBeCloseTo(0.97 / 0.99, 12);
    expect(legacy).toMatchObject({
      owner: { kind: 'none' },
      lifecycle: null,
      description: 'The old shop.',
      attainment: null,
      budgetRemainingRatio: null,
    });
    expect(legacy.slos).toHaveLength(2);
    expect(search).toMatchObject({ slos: [], attainment: null, owner: { kind: 'team', team: 'sre' } });

    const bobs = (await get('/api/v1/services/health', bob)).json();
    expect(bobs.services.map((service: { name: string }) => service.name)).toEqual(['search']);
  });

  it('writes Prometheus rules for the visible Prometheus-backed SLOs only', async () => {
    const rules = await get('/api/v1/slos/rules');
    expect(rules.status).toBe(200);
    expect(rules.response.headers['content-type']).toMatch(/^application\/yaml/);
    const file = parse(rules.body) as { groups: { name: string }[] };
    expect(file.groups.map((group) => group.name)).toContain('baton-slo-sli-recordings-legacy-availability');
    expect(rules.body).not.toContain('checkout');
    expect(file.groups.map((group) => group.name)).not.toContain('baton-slo-sli-recordings-legacy-monthly');
    expect(rules.body).toMatch(
      /^# Skipped legacy\/monthly: a calendar window \(the rules need a rolling period\)\.$/m,
    );

    const alices = parse((await get('/api/v1/slos/rules', alice)).body) as { groups: unknown[] };
    expect(alices.groups).toEqual([]);
  });
});
