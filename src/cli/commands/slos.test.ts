/**
 * `baton slos`, `baton slo`, `baton slo rules` and the SLO columns of `baton services` as a user
 * runs them: the compiled CLI against a real Baton holding SLO documents and a stored status.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { putSloStatus, saveSloDocument } from '../../reliability/slos/store.js';
import type { SloStatus } from '../../contract/slos.js';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';

const CATALOG = `apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [alice]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout}
spec: {owner: payments, lifecycle: production}
`;

const DEPLOYS = `apiVersion: baton/v1
kind: SLO
metadata: {name: deploys}
spec:
  service: checkout
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {states: [succeeded]}}}
        total: {metricSource: {type: Baton}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`;

const SLOTH = `version: prometheus/v1
service: legacy
slos:
  - name: availability
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_total[{{.window}}]))
    alerting: {name: LegacyErrors}
`;

const STATUS: SloStatus = {
  slo: 'checkout/deploys',
  service: 'checkout',
  name: 'deploys',
  displayName: null,
  description: null,
  format: 'baton/v1',
  project: null,
  window: '28d rolling',
  periodStart: '2026-11-10T00:00:00.000Z',
  periodEnd: '2026-12-08T00:00:00.000Z',
  budgetingMethod: 'Occurrences',
  source: 'executions',
  objectives: [
    {
      displayName: null,
      target: 0.99,
      sli: 0.985,
      budget: { unit: 'events', allowed: 2, consumed: 3, remaining: -1, remainingRatio: -0.5 },
      burnRates: [],
      timeToExhaustionMs: null,
    },
  ],
  sli: 0.985,
  budgetRemainingRatio: -0.5,
  burnRates: [
    { window: '5m', rate: null },
    { window: '1h', rate: 14.4 },
  ],
  timeToExhaustionMs: null,
  health: 'exhausted',
  openAlerts: [
    {
      id: 7,
      severity: 'page',
      openedAt: '2026-12-07T23:00:00.000Z',
      resolvedAt: null,
      summary: 'burn rate 14.4× over 1h',
    },
  ],
  noDataSince: null,
  lastError: null,
  evaluatedAt: '2026-12-08T00:00:00.000Z',
};

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
  expect((await server.cli(['users', 'create', 'alice'])).code).toBe(0);
  await fs.writeFile(path.join(server.work, 'catalog.yaml'), CATALOG);
  expect(await server.cli(['apply', '-f', 'catalog.yaml'])).toMatchObject({ code: 0, stderr: '' });
  const documents: [string, string, string, string][] = [
    ['baton/v1', 'SLO', 'deploys', DEPLOYS],
    ['prometheus/v1', 'Sloth', 'legacy', SLOTH],
  ];
  for (const [apiVersion, kind, name, source] of documents) {
    await saveSloDocument(
      server.baton.db,
      { apiVersion, kind, name },
      { document: parse(source), source, digest: name, actor: 'admin', now: Date.now() },
    );
  }
  await putSloStatus(server.baton.db, STATUS, Date.now());
});

afterAll(async () => {
  await server?.stop();
});

describe('baton slos and slo', () => {
  it('lists SLOs by service with target, SLI, budget left, health and alerts; not evaluated ones say so', async () => {
    const result = await server.cli(['slos']);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SLO\s+SERVICE\s+TARGET\s+SLI\s+BUDGET LEFT\s+HEALTH\s+ALERTS$/);
    expect(lines[1]).toMatch(/^deploys\s+checkout\s+99%\s+98\.500%\s+-50\.0%\s+exhausted\s+1$/);
    expect(lines[2]).toMatch(/^availability\s+legacy\s+99\.5%\s+-\s+-\s+not evaluated\s+0$/);

    const json = await server.cli(['slos', '--service', 'checkout', '--output', 'json']);
    expect(JSON.parse(json.stdout).slos.map((slo: { slo: string }) => slo.slo)).toEqual(['checkout/deploys']);
  });

  it('refuses a health it does not know before asking the server', async () => {
    const result = await server.cli(['slos', '--health', 'on-fire']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown health "on-fire": use one of ok, burning, exhausted, no-data/);
  });

  it('shows one SLO: window, budget in ratio and events, burn rates, open alerts', async () => {
    const result = await server.cli(['slo', 'checkout/deploys']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Window:    28d rolling, Occurrences, SLI from executions');
    expect(result.stdout).toContain('Exhausted: already: no budget left');
    expect(result.stdout).toMatch(/1\s+99%\s+98\.500%\s+-50\.0%\s+-1 of 2 events left/);
    expect(result.stdout).toMatch(/BURN 5m\s+BURN 1h\n-\s+14\.4×/);
    expect(result.stdout).toMatch(/7\s+page\s+.*open\s+burn rate 14\.4× over 1h/);
  });

  it('answers an unknown SLO with exit 4 and a malformed one with exit 2', async () => {
    expect((await server.cli(['slo', 'checkout/nope'])).code).toBe(4);
    const malformed = await server.cli(['slo', 'checkout']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('expected SERVICE/NAME');
  });

  it('writes the Prometheus rules of the Prometheus-backed SLOs to a file', async () => {
    const result = await server.cli(['slo', 'rules', 'legacy', '-o', 'rules.yaml']);
    expect(result).toMatchObject({ code: 0, stderr: 'wrote rules.yaml\n' });
    const rules = parse(await fs.readFile(path.join(server.work, 'rules.yaml'), 'utf8')) as {
      groups: { name: string; rules: { alert?: string }[] }[];
    };
    expect(rules.groups.map((group) => group.name)).toEqual([
      'baton-slo-sli-recordings-legacy-availability',
      'baton-slo-meta-recordings-legacy-availability',
      'baton-slo-alerts-legacy-availability',
    ]);
    expect(rules.groups[2]!.rules.map((rule) => rule.alert)).toEqual(['LegacyErrors', 'LegacyErrors']);
    const stdout = await server.cli(['slo', 'rules']);
    expect(stdout.stdout).toMatch(/^# Generated by Baton/);
  });
});

describe('baton services', () => {
  it('adds SLOs, attainment, budget left and gate, and lists services only SLO documents name', async () => {
    const result = await server.cli(['services']);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SERVICE\s+OWNER\s+LIFECYCLE\s+SLOS\s+ATTAINMENT\s+BUDGET LEFT\s+GATE\s+DESCRIPTION$/,
    );
    expect(lines[1]).toMatch(/^checkout\s+payments\s+production\s+1\s+99\.5%\s+-50\.0%\s+open$/);
    expect(lines[2]).toMatch(/^legacy\s+no owner\s+-\s+1\s+-\s+-\s+open$/);
  });
});
