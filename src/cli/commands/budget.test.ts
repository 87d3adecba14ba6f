/**
 * The error-budget gate as people meet it on the command line: the compiled CLI against a real
 * Baton (SQLite). A refused change is one line and exit code 6; `--override-budget` lets it
 * through for someone allowed; `baton budget check` says what would happen first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../../test/baton.js';
import { finished, startCliServer, type CliServer } from '../../../test/cli-harness.js';
import { insertToken, insertUser } from '../../access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../../access/tokens.js';
import type { SloStatus } from '../../contract/slos.js';
import { putSloStatus } from '../../reliability/slos/store.js';

const DOCUMENTS = `apiVersion: baton/v1
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
kind: Policy
metadata: {name: shop-people}
spec:
  rules:
    - {subjects: [user/alice, user/bob], actions: [run], resources: [project/shop], effect: allow}
    - {subjects: [user/alice], actions: [override-budget], resources: [service/checkout], effect: allow}
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  services: [checkout]
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
  override: {holdsFor: 30m}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy, project: shop}
spec:
  service: checkout
  purpose: change
  steps: [{name: ship, command: [echo, shipped]}]
`;

const HOUR = 3_600_000;

function exhausted(now: number): SloStatus {
  return {
    slo: 'checkout/availability',
    service: 'checkout',
    name: 'availability',
    displayName: null,
    description: null,
    format: 'baton/v1',
    project: null,
    window: '30d rolling',
    periodStart: new Date(now - 720 * HOUR).toISOString(),
    periodEnd: new Date(now).toISOString(),
    budgetingMethod: 'Occurrences',
    source: 'pushed',
    objectives: [],
    sli: 0.98,
    budgetRemainingRatio: -1,
    burnRates: [{ window: '1h', rate: 20 }],
    timeToExhaustionMs: null,
    health: 'exhausted',
    openAlerts: [],
    noDataSince: null,
    lastError: null,
    evaluatedAt: new Date(now).toISOString(),
  };
}

let server: CliServer;
type Person = 'alice' | 'bob';
const tokens = {} as Record<Person, string>;
const cli = (person: Person, args: string[]) => finished(server.start(args, { token: tokens[person] }));

beforeAll(async () => {
  server = await startCliServer({ config: { killGraceMs: 1000 } });
  const { baton } = server;
  for (const person of ['alice', 'bob'] as const) {
    const userId = await insertUser(baton.db, { name: person, isAdmin: false, now: Date.now() });
    tokens[person] = generateToken();
    await insertToken(baton.db, {
      userId,
      name: 'test',
      prefix: tokenPrefix(tokens[person]),
      hash: hashToken(tokens[person]),
      now: Date.now(),
    });
  }
  await baton.apply.apply({ files: [{ name: 'budget.yaml', content: DOCUMENTS }] }, admin);
  await putSloStatus(baton.db, exhausted(Date.now()), Date.now());
});

afterAll(async () => {
  await server?.stop();
});

describe('baton run and baton budget check on a spent budget', () => {
  it('says what a run would meet before it is run', async () => {
    const check = await cli('bob', ['budget', 'check', 'shop/deploy']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(
      /^shop\/deploy: refused: change shop\/deploy refused by error budget policy checkout-budget/,
    );
    expect(check.stdout).toContain(
      '  service checkout, purpose change, gated by error budget policy checkout-budget (rule checkout-budget#1)',
    );
    expect(check.stdout).toContain(
      '  override: you may not (override-budget on service/checkout); an override holds for 30m',
    );
    const service = await finished(server.start(['budget', 'check', 'checkout'])); // as the admin
    expect(service.code, service.stderr).toBe(0);
    expect(service.stdout).toMatch(
      /^a change to checkout: refused: refused by error budget policy checkout-budget rule 1 /,
    );
  });

  it('refuses a change in one line with exit code 6', async () => {
    const run = await cli('bob', ['run', 'shop/deploy']);
    expect(run.code).toBe(6);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^baton: change shop\/deploy refused by error budget policy checkout-budget rule 1 \(budget exhausted → refuse\): SLO checkout\/availability has -100\.0% of its error budget left, burn rate 20× over 1h; to override, run: baton run shop\/deploy --override-budget "REASON"/,
    );
  });

  it('refuses an override without the permission (exit 3), and lets an allowed one through, saying so', async () => {
    const refused = await cli('bob', ['run', 'shop/deploy', '--override-budget', 'please']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('bob may not override the error budget of service checkout');

    const empty = await cli('alice', ['run', 'shop/deploy', '--override-budget', ' ']);
    expect(empty.code).toBe(2);

    const run = await cli('alice', ['run', 'shop/deploy', '--override-budget', 'hotfix for INC-7']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^execution \d+ queued\n/);
    expect(run.stdout).toContain('error-budget: error budget overridden by alice: "hotfix for INC-7"');
  });
});
