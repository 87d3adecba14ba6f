import { describe, expect, it } from 'vitest';
import {
  formatAdmissionNote,
  formatBudgetAmount,
  formatBudgetNatural,
  formatBurnRate,
  formatExecutionBudgetCost,
  formatGate,
  formatHours,
  formatPercent,
  formatSli,
  formatTarget,
} from './slo-format.js';

describe('SLO numbers for people', () => {
  it('writes targets as written, without binary noise', () => {
    expect(formatTarget(0.999)).toBe('99.9%');
    expect(formatTarget(99.9 / 100)).toBe('99.9%');
    expect(formatTarget(0.95)).toBe('95%');
    expect(formatTarget(0.99995)).toBe('99.995%');
  });

  it('shows an SLI with three decimals and a budget or attainment with one, below 0 when overspent', () => {
    expect(formatSli(0.99953)).toBe('99.953%');
    expect(formatSli(null)).toBe('-');
    expect(formatPercent(-2)).toBe('-200.0%');
    expect(formatPercent(0.4256)).toBe('42.6%');
    expect(formatPercent(null, '—')).toBe('—');
  });

  it('writes burn rates as multiples', () => {
    expect(formatBurnRate(14.4)).toBe('14.4×');
    expect(formatBurnRate(0.25)).toBe('0.25×');
    expect(formatBurnRate(1)).toBe('1×');
    expect(formatBurnRate(null)).toBe('-');
  });

  it('gives the budget in events or minutes', () => {
    expect(
      formatBudgetNatural({ unit: 'events', allowed: 10, consumed: 7, remaining: 3, remainingRatio: 0.3 }),
    ).toBe('3 of 10 events left');
    expect(
      formatBudgetNatural({
        unit: 'minutes',
        allowed: 1008,
        consumed: 1020.5,
        remaining: -12.5,
        remainingRatio: -0.01,
      }),
    ).toBe('-13 of 1008 min left');
  });

  it('gives small budgets the precision their size needs', () => {
    // A 90% SLO over two health checks, one failed: the budget of `baton slo shop/health-checks-pass`.
    expect(
      formatBudgetNatural({ unit: 'events', allowed: 0.2, consumed: 1, remaining: -0.8, remainingRatio: -4 }),
    ).toBe('-0.8 of 0.2 events left');
    expect(formatBudgetAmount(0.2 + 0.1)).toBe('0.3');
    expect(formatBudgetAmount(0.05)).toBe('0.05');
    expect(formatBudgetAmount(0.012345)).toBe('0.012');
    expect(formatBudgetAmount(0.0001)).toBe('0.0001');
    expect(formatBudgetAmount(1e-9)).toBe('0');
    expect(formatBudgetAmount(-1e-9)).toBe('0');
    expect(formatBudgetAmount(0)).toBe('0');
    expect(formatBudgetAmount(1.25)).toBe('1.3');
    expect(formatBudgetAmount(-3)).toBe('-3');
    expect(formatBudgetAmount(9.96)).toBe('10');
    expect(formatBudgetAmount(10.4)).toBe('10');
    expect(formatBudgetAmount(1008)).toBe('1008');
  });

  it('says why the gate is not open', () => {
    expect(formatGate({ state: 'open', reason: null, policy: null, rule: null })).toBe('open');
    expect(formatGate({ state: 'frozen', reason: 'budget exhausted', policy: 'p', rule: 'r' })).toBe(
      'frozen: budget exhausted',
    );
  });

  it("puts a gate's note on one line: decision, reason, and who overrode it until when", () => {
    const reason = 'SLO checkout/checks has -14.3% of its error budget left (-0.3 of 1.8 bad events)';
    const time = (iso: string) => `<${iso}>`;
    expect(formatAdmissionNote({ gate: 'error-budget', decision: 'approval', reason }, time)).toBe(
      `approval required: ${reason}`,
    );
    expect(
      formatAdmissionNote(
        {
          gate: 'error-budget',
          decision: 'overridden',
          reason,
          override: { by: 'operator', reason: 'hotfix for INC-42', until: '2026-12-08T05:00:00.000Z' },
        },
        time,
      ),
    ).toBe(
      `overridden: ${reason}; overridden by operator until <2026-12-08T05:00:00.000Z>: hotfix for INC-42`,
    );
    expect(
      formatAdmissionNote(
        { gate: 'error-budget', decision: 'overridden', reason, override: { by: 'ops', reason: 'rollback' } },
        time,
      ),
    ).toBe(`overridden: ${reason}; overridden by ops: rollback`);
  });

  it('says what a change cost an SLO, and how much of the span has passed', () => {
    const cost = {
      slo: 'checkout/availability',
      displayName: null,
      window: '30d',
      budgetConsumedRatio: 0.1234,
      hours: 4,
      hoursMeasured: 4,
    };
    expect(formatExecutionBudgetCost(cost)).toBe(
      "this change consumed 12.3% of checkout/availability's 30d budget in the 4 h after it",
    );
    expect(formatExecutionBudgetCost({ ...cost, hoursMeasured: 2 })).toBe(
      "this change consumed 12.3% of checkout/availability's 30d budget in the 4 h after it (2 h measured so far)",
    );
    expect(formatExecutionBudgetCost({ ...cost, budgetConsumedRatio: null, hoursMeasured: 0.25 })).toBe(
      'no data for checkout/availability in the 4 h after it (15 min measured so far)',
    );
    expect(formatHours(2.54)).toBe('2.5 h');
    expect(formatHours(1)).toBe('1 h');
    expect(formatHours(0.5)).toBe('30 min');
    expect(formatHours(0.001)).toBe('<1 min');
  });
});
