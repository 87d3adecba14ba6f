import { describe, expect, it } from 'vitest';
import {
  formatBudgetNatural,
  formatBurnRate,
  formatGate,
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
    ).toBe('-12.5 of 1008 min left');
  });

  it('says why the gate is not open', () => {
    expect(formatGate({ state: 'open', reason: null, policy: null, rule: null })).toBe('open');
    expect(formatGate({ state: 'frozen', reason: 'budget exhausted', policy: 'p', rule: 'r' })).toBe(
      'frozen: budget exhausted',
    );
  });
});
