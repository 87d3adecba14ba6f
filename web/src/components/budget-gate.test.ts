import { describe, expect, it } from 'vitest';
import type { BudgetCheck } from '../api/slos';
import { gateNotice, overrideRequest } from './budget-gate';

function check(over: Partial<BudgetCheck>): BudgetCheck {
  return {
    job: 'shop/deploy',
    service: 'checkout',
    purpose: 'change',
    gated: true,
    decision: 'admit',
    reason: 'budget left: 40%',
    because: null,
    approvers: [],
    policy: 'payments-budget',
    rule: 'freeze-when-exhausted',
    slos: [],
    override: { allowed: false, permission: 'override-budget on service/checkout', holdsFor: null },
    ...over,
  };
}

describe('the budget gate in the run form', () => {
  it('says nothing while the budget lasts or when the job is not gated', () => {
    expect(gateNotice(check({}))).toBeNull();
    expect(gateNotice(check({ gated: false, decision: 'refuse' }))).toBeNull();
  });

  it('names the approvers of a change that needs approval, and does not block Run', () => {
    expect(
      gateNotice(check({ decision: 'approve', approvers: ['team/payments'], reason: 'budget below 10%' })),
    ).toEqual({
      tone: 'approve',
      text: 'This change needs approval from team/payments: budget below 10%',
      overridable: false,
      blocks: false,
    });
  });

  it('blocks a refused change, offering the override only to those allowed it', () => {
    const refused = gateNotice(
      check({ decision: 'refuse', reason: 'checkout/availability has no budget left' }),
    );
    expect(refused).toMatchObject({
      text: 'Refused: checkout/availability has no budget left',
      blocks: true,
    });
    expect(refused?.overridable).toBe(false);
    const overridable = gateNotice(
      check({ decision: 'refuse', override: { allowed: true, permission: 'x', holdsFor: '2h' } }),
    );
    expect(overridable?.overridable).toBe(true);
  });

  it('sends the override reason, trimmed, and refuses an empty one', () => {
    expect(overrideRequest(false, 'anything')).toEqual({});
    expect(overrideRequest(true, '  hotfix for INC-42 ')).toEqual({
      overrideBudget: { reason: 'hotfix for INC-42' },
    });
    expect(overrideRequest(true, '   ')).toEqual({ problem: 'say why the error budget is overridden' });
  });

  it("says the rule and the numbers once, not the terminal's sentence with its override hint", () => {
    const rule =
      'error budget policy checkout-budget rule low (budget below 50.0% → approve): SLO checkout/checks has ' +
      '33.3% of its error budget left (0.5 of 1.5 bad events), burn rate 0.67× over 1h';
    const hint =
      '; to override, run: baton run shop/deploy --override-budget "REASON" (needs override-budget on service/checkout)';
    expect(
      gateNotice(
        check({
          decision: 'approve',
          approvers: ['team/payments'],
          reason: `change shop/deploy needs approval from team/payments: ${rule}${hint}`,
          because: rule,
        }),
      )?.text,
    ).toBe(`This change needs approval from team/payments: ${rule}`);
    expect(
      gateNotice(
        check({ decision: 'refuse', reason: `change shop/deploy refused by ${rule}${hint}`, because: rule }),
      )?.text,
    ).toBe(`Refused: ${rule}`);
  });
});
