import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { alertWindows, burnRateFactor, evaluateAlerts, GOOGLE_ALERT_WINDOWS } from './alert-windows.js';
import { SloSpecError } from './errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

describe('multi-window, multi-burn-rate alerts', () => {
  it('gives the SRE Workbook factors for 30 days exactly', () => {
    const windows = alertWindows(30 * DAY);
    expect(
      windows.map((w) => [
        w.severity,
        w.longWindowMs / MINUTE,
        w.shortWindowMs / MINUTE,
        w.budgetPercent,
        w.factor,
      ]),
    ).toEqual([
      ['page', 60, 5, 2, 14.4],
      ['page', 360, 30, 5, 6],
      ['ticket', 1440, 120, 10, 3],
      ['ticket', 4320, 360, 10, 1],
    ]);
  });

  it('keeps the windows and scales the factors for 28 days, as Sloth does', () => {
    expect(alertWindows(28 * DAY).map((w) => w.factor)).toEqual([13.44, 5.6, 2.8, 14 / 15]);
    expect(alertWindows(28 * DAY)[3]!.factor).toBe(0.9333333333333333);
    expect(burnRateFactor(2, 31 * DAY, HOUR)).toBe(14.88); // a 31-day calendar month
  });

  it('takes the caller’s windows instead, and refuses a period the long window does not fit in', () => {
    const custom = alertWindows(7 * DAY, [
      { severity: 'page', speed: 'quick', longWindowMs: HOUR, shortWindowMs: 5 * MINUTE, budgetPercent: 5 },
    ]);
    expect(custom[0]!.factor).toBe(8.4);
    const short = errorOf(() => alertWindows(3 * DAY));
    expect(short.message).toBe(
      "timeWindow[0].duration: expected a period longer than the ticket alert's long window (72h), got 72h",
    );
    expect(
      errorOf(() => alertWindows(DAY, [{ ...GOOGLE_ALERT_WINDOWS[0]!, shortWindowMs: 2 * HOUR }])).field,
    ).toBe('alertWindows[0]');
    expect(errorOf(() => alertWindows(DAY, [{ ...GOOGLE_ALERT_WINDOWS[0]!, budgetPercent: 0 }])).field).toBe(
      'alertWindows[0].budgetPercent',
    );
  });

  it('fires when both the long and the short window burn above the factor, not when only one does', () => {
    const windows = alertWindows(30 * DAY);
    const rates = (table: Record<number, number | null>) => (ms: number) => table[ms] ?? 0;
    // A burst an hour long that is still going: page quick fires.
    const burning = evaluateAlerts(
      windows,
      rates({ [HOUR]: 15, [5 * MINUTE]: 20, [6 * HOUR]: 3, [30 * MINUTE]: 18 }),
    );
    expect(burning.map((a) => a.firing)).toEqual([true, false, false, false]);
    // The same hour, but the short window says it has stopped: nothing fires.
    const stopped = evaluateAlerts(windows, rates({ [HOUR]: 15, [5 * MINUTE]: 0.5 }));
    expect(stopped.some((a) => a.firing)).toBe(false);
    // Exactly at the factor is not above it.
    expect(evaluateAlerts(windows, () => 14.4)[0]!.firing).toBe(false);
    expect(evaluateAlerts(windows, () => 14.41).map((a) => a.firing)).toEqual([true, true, true, true]);
    // A slow leak: 1.5× over three days and six hours raises the slow ticket only.
    const leak = evaluateAlerts(windows, () => 1.5);
    expect(leak.map((a) => a.firing)).toEqual([false, false, false, true]);
  });

  it('says when a window had no data instead of firing', () => {
    const states = evaluateAlerts(alertWindows(30 * DAY), (ms) => (ms === 5 * MINUTE ? null : 100));
    expect(states[0]).toMatchObject({ firing: false, noData: true, shortBurnRate: null, longBurnRate: 100 });
    expect(states[1]).toMatchObject({ firing: true, noData: false });
  });
});
