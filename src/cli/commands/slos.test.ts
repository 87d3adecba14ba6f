/**
 * `baton slos`, `baton slo`, `baton slo rules`, the SLO columns of `baton services` and the gate's
 * note in `baton execution` as a user runs them: the compiled CLI against a real Baton. The
 * documents go in with `baton apply`, the SLI comes from health checks run with `baton run`, and
 * the status from a round of the real evaluation duty (asked for here, so it counts those runs).
 *
 * The shop's example numbers: a 90% SLO over two checks, one failed, allows 0.2 bad events and
 * has spent 1; `baton slo` once printed that as "-1 of 0 events left".
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
---
apiVersion: baton/v1
kind: Job
metadata: {name: check, project: shop}
spec:
  service: checkout
  purpose: diagnostic
  options: [{name: fail, type: boolean, default: false}]
  steps:
    - {name: check, script: 'if [ "$BATON_OPTION_FAIL" = "true" ]; then exit 1; fi'}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy, project: shop}
spec:
  service: checkout
  purpose: change
  steps: [{name: ship, command: [echo, shipped]}]
`;

const SLOS = `apiVersion: baton/v1
kind: SLO
metadata: {name: checks}
spec:
  service: checkout
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: shop/check, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: shop/check}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9}]
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  services: [checkout]
  rules:
    - {name: spent, when: {budgetExhausted: true}, then: refuse}
  override: {holdsFor: 1h}
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

let server: CliServer;

beforeAll(async () => {
  // No round runs by itself: the one below is asked for after the runs it must count.
  server = await startCliServer({ config: { sloIntervalMs: 0, killGraceMs: 1000 } });
  expect((await server.cli(['users', 'create', 'alice'])).code).toBe(0);
  await fs.writeFile(path.join(server.work, 'catalog.yaml'), CATALOG);
  await fs.writeFile(path.join(server.work, 'slos.yaml'), SLOS);
  await fs.writeFile(path.join(server.work, 'sloth.yaml'), SLOTH);
  expect(await server.cli(['apply', '-f', 'catalog.yaml'])).toMatchObject({ code: 0, stderr: '' });
  expect(await server.cli(['apply', '-f', 'slos.yaml'])).toMatchObject({ code: 0, stderr: '' });
  // No Prometheus is configured for the Sloth file: its queries are not checked, and apply says so.
  expect((await server.cli(['apply', '-f', 'sloth.yaml'])).code).toBe(0);

  const good = await server.cli(['run', 'shop/check', '--follow']);
  expect(good.code, good.stderr).toBe(0);
  const bad = await server.cli(['run', 'shop/check', '-o', 'fail=true', '--follow']);
  expect(bad.code, bad.stderr).not.toBe(0);
  const report = await server.baton.sloEvaluation.evaluateNow(Date.now());
  // The Sloth SLO has no Prometheus to read; the SLO on executions must have evaluated cleanly.
  expect(report.errors.filter((error) => error.startsWith('checkout/'))).toEqual([]);
});

afterAll(async () => {
  await server?.stop();
});

describe('baton slos and slo', () => {
  it('lists SLOs by service with target, SLI, budget left, health and alerts; one with no Prometheus to read has no data', async () => {
    const result = await server.cli(['slos']);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SLO\s+SERVICE\s+TARGET\s+SLI\s+BUDGET LEFT\s+HEALTH\s+ALERTS$/);
    // One good check, one failed: half against 90%, four times the budget of 0.2 spent, a page and a ticket alert.
    expect(lines[1]).toMatch(/^checks\s+checkout\s+90%\s+50\.000%\s+-400\.0%\s+exhausted\s+2$/);
    expect(lines[2]).toMatch(/^availability\s+legacy\s+99\.5%\s+-\s+-\s+no-data\s+0$/);

    const json = await server.cli(['slos', '--service', 'checkout', '--output', 'json']);
    expect(JSON.parse(json.stdout).slos.map((slo: { slo: string }) => slo.slo)).toEqual(['checkout/checks']);
  });

  it('refuses a health it does not know before asking the server', async () => {
    const result = await server.cli(['slos', '--health', 'on-fire']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown health "on-fire": use one of ok, burning, exhausted, no-data/);
  });

  it('shows one SLO: window, budget in ratio and in events at a precision they can be read, burn rates, open alerts', async () => {
    const result = await server.cli(['slo', 'checkout/checks']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Window:    rolling 7d, Occurrences, SLI from executions');
    expect(result.stdout).toContain('Exhausted: already: no budget left');
    expect(result.stdout).toMatch(/\n1\s+90%\s+50\.000%\s+-400\.0%\s+-0\.8 of 0\.2 events left\n/);
    // An error ratio of 0.5 against a budget of 0.1 in every window.
    expect(result.stdout).toMatch(/BURN 5m\s+BURN 30m\s+BURN 1h.*\n5×\s+5×\s+5×/);
    // Above the page factor for 7 days (14.4 × 7 / 30 = 3.36) over 1h and 5m, and the ticket's (3 × 7 / 30).
    expect(result.stdout).toMatch(
      /\n\d+\s+page\s+.*open\s+burn rate 5\.0× over 1h and 5\.0× over 5m \(threshold 3\.36×\)\n/,
    );
    expect(result.stdout).toMatch(
      /\n\d+\s+ticket\s+.*open\s+burn rate 5\.0× over 1d and 5\.0× over 2h \(threshold 0\.7×\)\n/,
    );
    expect(result.stdout.endsWith('\n')).toBe(true);
  });

  it('ends with a newline when there is no alert to list', async () => {
    const result = await server.cli(['slo', 'legacy/availability']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/\nNo open alerts\.\n$/);
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
    // Attainment is the SLI over the target: 50% of 90%.
    expect(lines[1]).toMatch(/^checkout\s+payments\s+production\s+1\s+55\.6%\s+-400\.0%\s+frozen$/);
    expect(lines[2]).toMatch(/^legacy\s+no owner\s+-\s+1\s+-\s+-\s+open$/);
  });
});

describe('baton execution', () => {
  it("has a line for the error budget's note: what it said and who overrode it, until when, why", async () => {
    const refused = await server.cli(['run', 'shop/deploy']);
    expect(refused.code).toBe(6);
    const run = await server.cli([
      'run',
      'shop/deploy',
      '--override-budget',
      'hotfix for INC-42',
      '--follow',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const id = /execution (\d+)/.exec(run.stdout + run.stderr)![1]!;
    const shown = await server.cli(['execution', id]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(
      /\n {2}error-budget: +overridden: .*-400\.0% of its error budget left \(-0\.8 of 0\.2 bad events\).*; overridden by admin until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: hotfix for INC-42\n/,
    );
    // The failed check counts when it fell in the slice the deploy started in, else no check has
    // run after it yet: either way one line for the SLO, saying how little of the span has passed.
    expect(shown.stdout).toMatch(
      /\n {2}budget cost: +(this change consumed 500\.0% of checkout\/checks's 7d budget|no data for checkout\/checks) in the 4 h after it \([^)]+ measured so far\)\n/,
    );
  });
});
