import { describe, expect, it } from 'vitest';
import type { SloStatus } from '../../contract/slos.js';
import { errorBudgetPolicySpec, type ErrorBudgetPolicy } from './document.js';
import { burnThreshold, decideBudget, meets, policyFor, verdictOf, type BudgetInput } from './policy.js';

const NOW = Date.parse('2026-05-20T12:00:00Z');
const HOUR = 3_600_000;

/** A 30-day SLO of checkout with the given remaining budget and 1h burn rate. */
function status(
  overrides: Partial<SloStatus> & { remaining?: number | null; burn1h?: number | null } = {},
): SloStatus {
  const { remaining = 0.8, burn1h = 0.5, ...rest } = overrides;
  return {
    slo: 'checkout/availability',
    service: 'checkout',
    name: 'availability',
    displayName: null,
    description: null,
    format: 'baton/v1',
    project: null,
    window: '30d rolling',
    periodStart: '2026-04-20T12:00:00.000Z',
    periodEnd: '2026-05-20T12:00:00.000Z',
    budgetingMethod: 'Occurrences',
    source: 'pushed',
    objectives: [
      {
        displayName: null,
        target: 0.999,
        sli: remaining === null ? null : 0.9995,
        budget:
          remaining === null
            ? null
            : {
                unit: 'events',
                allowed: 400,
                consumed: 400 * (1 - remaining),
                remaining: 400 * remaining,
                remainingRatio: remaining,
              },
        burnRates: [],
        timeToExhaustionMs: null,
      },
    ],
    sli: remaining === null ? null : 0.9995,
    budgetRemainingRatio: remaining,
    burnRates: [
      { window: '5m', rate: burn1h },
      { window: '1h', rate: burn1h },
      { window: '6h', rate: burn1h },
      { window: '1d', rate: burn1h },
    ],
    timeToExhaustionMs: null,
    health: remaining === null ? 'no-data' : remaining <= 0 ? 'exhausted' : 'ok',
    openAlerts: [],
    noDataSince: remaining === null ? '2026-05-20T10:00:00.000Z' : null,
    lastError: null,
    evaluatedAt: new Date(NOW).toISOString(),
    ...rest,
  };
}

function policy(spec: unknown, name = 'checkout-budget'): ErrorBudgetPolicy {
  return { name, spec: errorBudgetPolicySpec.parse(spec) };
}

const standard = policy({
  services: ['checkout'],
  rules: [
    { when: { budgetExhausted: true }, then: 'refuse' },
    { when: { burnRateAbove: 'page' }, then: 'refuse' },
    { when: { budgetRemainingBelow: '25%' }, then: 'approve', approvers: ['owner'] },
  ],
  exceptions: { jobLabels: ['security', 'rollback'] },
  override: { holdsFor: '2h' },
});

function input(overrides: Partial<BudgetInput> = {}): BudgetInput {
  return {
    policy: standard,
    statuses: [status()],
    job: { name: 'shop/deploy', service: 'checkout', purpose: 'change', labels: {} },
    owner: 'payments',
    now: NOW,
    ...overrides,
  };
}

describe('decideBudget', () => {
  it('admits a change while the budget holds, naming the policy', () => {
    const decision = decideBudget(input());
    expect(decision).toMatchObject({ decision: 'admit', gated: true, policy: 'checkout-budget', rule: null });
    expect(decision.reason).toContain('within budget');
  });

  it('refuses a change on an exhausted budget, naming SLO, remaining budget, burn rate, rule and the override', () => {
    const decision = decideBudget(input({ statuses: [status({ remaining: -0.1, burn1h: 2 })] }));
    expect(decision).toMatchObject({
      decision: 'refuse',
      gated: true,
      rule: 'checkout-budget#1',
      slo: 'checkout/availability',
      approvers: [],
    });
    expect(decision.reason).toContain('SLO checkout/availability');
    expect(decision.reason).toContain('-10.0% of its error budget left (-40 of 400 bad events)');
    expect(decision.reason).toContain('burn rate 2× over 1h');
    expect(decision.reason).toContain('rule 1 (budget exhausted → refuse)');
    expect(decision.reason).toContain('baton run shop/deploy --override-budget "REASON"');
    expect(decision.reason).toContain('override-budget on service/checkout');
    // What the pages show beside the gate's state: the rule and the numbers, no verdict, no job.
    expect(decision.because).toMatch(/^error budget policy checkout-budget rule 1 /);
    expect(decision.because).toContain('-10.0% of its error budget left');
    expect(decision.because).not.toContain('shop/deploy');
    expect(verdictOf(decision)).toBe(`refused by ${decision.because}`);
  });

  it("refuses above the page burn rate, the SLO period's factor (14.4 over 1h for 30 days)", () => {
    expect(decideBudget(input({ statuses: [status({ burn1h: 14.5 })] }))).toMatchObject({
      decision: 'refuse',
      rule: 'checkout-budget#2',
    });
    expect(decideBudget(input({ statuses: [status({ burn1h: 14.3 })] })).decision).toBe('admit');
  });

  it('asks the owning team to approve below 25% left', () => {
    const decision = decideBudget(input({ statuses: [status({ remaining: 0.2 })] }));
    expect(decision).toMatchObject({
      decision: 'approve',
      approvers: ['team/payments'],
      rule: 'checkout-budget#3',
    });
    expect(decision.reason).toContain('needs approval from team/payments');
    expect(verdictOf(decision)).toBe(`approval by team/payments required by ${decision.because}`);
    expect(decision.reason).toContain('20.0% of its error budget left (80 of 400 bad events)');
  });

  it('takes the first matching rule in order, on the worst SLO', () => {
    const latency = status({ slo: 'checkout/latency', name: 'latency', remaining: -0.5 });
    const decision = decideBudget(input({ statuses: [status({ remaining: 0.2 }), latency] }));
    expect(decision).toMatchObject({
      decision: 'refuse',
      rule: 'checkout-budget#1',
      slo: 'checkout/latency',
    });
  });

  it('lets a job with an exception label through, saying what it would have met', () => {
    const decision = decideBudget(
      input({
        statuses: [status({ remaining: -0.1 })],
        job: { name: 'shop/deploy', service: 'checkout', purpose: 'change', labels: { security: 'true' } },
      }),
    );
    expect(decision).toMatchObject({ decision: 'admit', gated: false, rule: 'checkout-budget#1' });
    expect(decision.reason).toContain('has label security');
    expect(decision.reason).toContain('otherwise: refused');
  });

  it('does not count an exception label set to "false"', () => {
    const decision = decideBudget(
      input({
        statuses: [status({ remaining: -0.1 })],
        job: { name: 'shop/deploy', service: 'checkout', purpose: 'change', labels: { security: 'false' } },
      }),
    );
    expect(decision.decision).toBe('refuse');
  });

  it.each(['remediation', 'diagnostic', 'maintenance', 'routine'] as const)(
    'never gates a %s job, whatever the budget',
    (purpose) => {
      const decision = decideBudget(
        input({
          statuses: [status({ remaining: -1 })],
          job: { name: 'shop/fix', service: 'checkout', purpose, labels: {} },
        }),
      );
      expect(decision).toMatchObject({ decision: 'admit', gated: false });
      expect(decision.reason).toContain(`is a ${purpose} job`);
    },
  );

  it('admits when no policy covers the service', () => {
    const decision = decideBudget(input({ policy: undefined, statuses: [status({ remaining: -1 })] }));
    expect(decision).toMatchObject({ decision: 'admit', gated: false, policy: null });
    expect(decision.reason).toBe('no error budget policy covers service checkout');
  });

  it('admits a change job without a service', () => {
    const decision = decideBudget(
      input({ job: { name: 'shop/deploy', service: undefined, purpose: 'change', labels: {} } }),
    );
    expect(decision).toMatchObject({ decision: 'admit', gated: false });
  });

  it('treats an SLO without data as not breaching, unless a noData rule decides', () => {
    const silent = status({ remaining: null, burn1h: null });
    expect(decideBudget(input({ statuses: [silent] })).decision).toBe('admit');
    const strict = policy({ services: ['checkout'], rules: [{ when: { noData: true }, then: 'refuse' }] });
    const decision = decideBudget(input({ policy: strict, statuses: [silent] }));
    expect(decision).toMatchObject({ decision: 'refuse', rule: 'checkout-budget#1' });
    expect(decision.reason).toContain('has no data since 2026-05-20T10:00:00.000Z');
  });

  it('admits while nothing has been evaluated yet', () => {
    expect(decideBudget(input({ statuses: [] })).reason).toContain('has been evaluated yet');
  });

  it('lets an allowed override through a refusal, holding for the policy holdsFor', () => {
    const decision = decideBudget(
      input({
        statuses: [status({ remaining: -0.1 })],
        overrideRequest: { by: 'alice', reason: 'hotfix for INC-42', allowed: true },
      }),
    );
    expect(decision).toMatchObject({
      decision: 'admit',
      overridden: {
        from: 'refuse',
        by: 'alice',
        reason: 'hotfix for INC-42',
        until: NOW + 2 * HOUR,
        given: true,
      },
    });
    expect(decision.reason).toContain('overridden by alice: "hotfix for INC-42"');
  });

  it('answers forbidden to an override by someone without the permission', () => {
    const decision = decideBudget(
      input({
        statuses: [status({ remaining: -0.1 })],
        overrideRequest: { by: 'bob', reason: 'please', allowed: false },
      }),
    );
    expect(decision.decision).toBe('refuse');
    expect(decision.forbidden).toBe(
      'bob may not override the error budget of service checkout: that needs override-budget on service/checkout',
    );
  });

  it('needs no override when the budget admits anyway', () => {
    const decision = decideBudget(input({ overrideRequest: { by: 'bob', reason: 'x', allowed: false } }));
    expect(decision.decision).toBe('admit');
    expect(decision.forbidden).toBeUndefined();
  });

  it('lets an override held by the person through an approval, until it expires', () => {
    const held = { by: 'alice', reason: 'incident', until: NOW + HOUR };
    const low = [status({ remaining: 0.1 })];
    expect(decideBudget(input({ statuses: low, held }))).toMatchObject({
      decision: 'admit',
      overridden: { from: 'approve', given: false },
    });
    expect(decideBudget(input({ statuses: low, held: { ...held, until: NOW } })).decision).toBe('approve');
  });

  it('holds an override for that run only when the policy sets no holdsFor', () => {
    const noHold = policy({
      services: ['checkout'],
      rules: [{ when: { budgetExhausted: true }, then: 'refuse' }],
    });
    const decision = decideBudget(
      input({
        policy: noHold,
        statuses: [status({ remaining: 0 })],
        overrideRequest: { by: 'alice', reason: 'r', allowed: true },
      }),
    );
    expect(decision.overridden?.until).toBeNull();
  });

  it('refuses an approval nobody can give (owner approves, the service has no owner)', () => {
    const decision = decideBudget(input({ owner: undefined, statuses: [status({ remaining: 0.1 })] }));
    expect(decision.decision).toBe('refuse');
    expect(decision.reason).toContain('has no owner');
  });
});

describe('meets', () => {
  it('requires every condition of a rule', () => {
    const when = { budgetRemainingBelow: 0.5, burnRateAbove: 2 } as const;
    expect(meets(when, status({ remaining: 0.4, burn1h: 3 }))).toBe(true);
    expect(meets(when, status({ remaining: 0.4, burn1h: 1 }))).toBe(false);
    expect(meets(when, status({ remaining: 0.6, burn1h: 3 }))).toBe(false);
  });

  it('reads the burn rate over the window the rule names', () => {
    const six = {
      ...status(),
      burnRates: [
        { window: '6h' as const, rate: 7 },
        { window: '1h' as const, rate: 1 },
      ],
    };
    expect(meets({ burnRateAbove: 6, window: '6h' }, six)).toBe(true);
    expect(meets({ burnRateAbove: 6 }, six)).toBe(false);
  });
});

describe('burnThreshold', () => {
  it('scales the page and ticket factors to the period (SRE.md: 14.4 and 3 for 30 days, 13.44 for 28)', () => {
    const days = (n: number) => ({
      periodStart: '2026-01-01T00:00:00Z',
      periodEnd: new Date(Date.parse('2026-01-01T00:00:00Z') + n * 24 * HOUR).toISOString(),
    });
    expect(burnThreshold({ burnRateAbove: 'page' }, days(30))).toEqual({
      window: '1h',
      threshold: expect.closeTo(14.4, 9),
    });
    expect(burnThreshold({ burnRateAbove: 'ticket' }, days(30))).toEqual({
      window: '1d',
      threshold: expect.closeTo(3, 9),
    });
    expect(burnThreshold({ burnRateAbove: 'page' }, days(28)).threshold).toBeCloseTo(13.44, 9);
  });
});

describe('policyFor', () => {
  const rules = [{ when: { budgetExhausted: true }, then: 'refuse' }];
  const star = policy({ services: ['*'], rules }, 'default');
  const critical = policy({ selector: { matchLabels: { tier: 'critical' } }, rules }, 'critical-budget');
  const euCritical = policy(
    { selector: { matchLabels: { tier: 'critical', region: 'eu' } }, rules },
    'eu-critical-budget',
  );

  it('prefers the policy naming the service over a * policy', () => {
    expect(policyFor([star, standard], 'checkout', {})?.name).toBe('checkout-budget');
    expect(policyFor([star, standard], 'search', {})?.name).toBe('default');
    expect(policyFor([standard], 'search', {})).toBeUndefined();
  });

  it('ranks a policy naming the service over a matching selector, and a matching selector over *', () => {
    const all = [star, critical, standard];
    expect(policyFor(all, 'checkout', { tier: 'critical' })?.name).toBe('checkout-budget');
    expect(policyFor(all, 'search', { tier: 'critical' })?.name).toBe('critical-budget');
    expect(policyFor(all, 'search', { tier: 'internal' })?.name).toBe('default');
    expect(policyFor(all, 'search', {})?.name).toBe('default');
    expect(policyFor([critical], 'search', {})).toBeUndefined();
  });

  it('matches a selector only when the service carries every label it asks for, with the same value', () => {
    expect(policyFor([euCritical], 'search', { tier: 'critical' })).toBeUndefined();
    expect(policyFor([euCritical], 'search', { tier: 'critical', region: 'us' })).toBeUndefined();
    expect(policyFor([euCritical], 'search', { tier: 'critical', region: 'eu', team: 'x' })?.name).toBe(
      'eu-critical-budget',
    );
  });
});

describe('errorBudgetPolicySpec', () => {
  it('takes exactly one of services or selector, and a selector with at least one label', () => {
    const rules = [{ when: { budgetExhausted: true }, then: 'refuse' }];
    const issues = (spec: unknown) => {
      const result = errorBudgetPolicySpec.safeParse(spec);
      return result.success
        ? []
        : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(issues({ selector: { matchLabels: { tier: 'critical' } }, rules })).toEqual([]);
    expect(
      issues({ services: ['checkout'], selector: { matchLabels: { tier: 'critical' } }, rules }),
    ).toEqual(['selector: give exactly one of services or selector, not both']);
    expect(issues({ rules })).toEqual([
      ": needs services (names, or '*') or selector (matchLabels): which services the policy covers",
    ]);
    expect(issues({ selector: { matchLabels: {} }, rules })).toEqual([
      'selector.matchLabels: needs at least one label',
    ]);
    expect(issues({ selector: { matchLabels: { 'bad key!': 'x' } }, rules })[0]).toMatch(
      /^selector\.matchLabels\.bad key!/,
    );
  });

  it('refuses a rule without a condition, approvers on a refusal and a window without burnRateAbove', () => {
    const result = errorBudgetPolicySpec.safeParse({
      services: ['checkout'],
      rules: [
        { when: {}, then: 'refuse' },
        { when: { budgetExhausted: true }, then: 'refuse', approvers: ['owner'] },
        { when: { window: '1h', budgetExhausted: true }, then: 'refuse' },
        { when: { budgetRemainingBelow: '250%' }, then: 'approve' },
      ],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'rules.0.when',
        'rules.1.approvers',
        'rules.2.when.window',
        'rules.3.when.budgetRemainingBelow',
      ]),
    );
  });
});
