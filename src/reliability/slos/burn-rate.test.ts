import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { budgetSpent, burnRate, burnRates, errorRatioOver, timeToExhaustionMs } from './burn-rate.js';
import { SloSpecError } from './errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-05-04T12:00:00Z');

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

describe('burn rates', () => {
  it('divides the error ratio by the error budget', () => {
    expect(burnRate(0.001, 0.999)).toBe(1);
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4, 12); // 0.0144 has no exact binary form
    expect(burnRate(0, 0.99)).toBe(0);
    expect(burnRate(0.05, 0.95)).toBe(1);
  });

  it('spends b·w/T of the budget over a window', () => {
    expect(budgetSpent(14.4, HOUR, 30 * DAY)).toBe(0.02);
    expect(budgetSpent(6, 6 * HOUR, 30 * DAY)).toBe(0.05);
    expect(budgetSpent(1, 30 * DAY, 30 * DAY)).toBe(1);
  });

  it('runs out after r·T/b, never when nothing burns, at once when nothing is left', () => {
    expect(timeToExhaustionMs(0.5, 1, 30 * DAY)).toBe(15 * DAY);
    expect(timeToExhaustionMs(1, 14.4, 30 * DAY)).toBe(50 * HOUR);
    expect(timeToExhaustionMs(0.3, 0, 30 * DAY)).toBe(Infinity);
    expect(timeToExhaustionMs(0, 2, 30 * DAY)).toBe(0);
    expect(timeToExhaustionMs(-0.2, 0, 30 * DAY)).toBe(0);
  });

  it('measures the error ratio over each window from the samples in it', () => {
    const samples = [
      { startMs: NOW - 4 * MINUTE, good: 90, total: 100 }, // in every window
      { startMs: NOW - 20 * MINUTE, good: 100, total: 100 }, // 30m and longer
      { startMs: NOW - 2 * DAY, good: 0, total: 800 }, // 3d only
      { startMs: NOW, good: 0, total: 100 }, // not yet: windows end before now
    ];
    expect(errorRatioOver(samples, NOW, 5 * MINUTE)).toBe(0.1);
    expect(errorRatioOver(samples, NOW, 30 * MINUTE)).toBe(0.05);
    expect(errorRatioOver(samples, NOW, 72 * HOUR)).toBe(0.81);
    expect(errorRatioOver(samples, NOW - HOUR, 5 * MINUTE)).toBeNull();
    expect(errorRatioOver([{ startMs: NOW - MINUTE, ratio: 0.75 }], NOW, 5 * MINUTE)).toBe(0.25);
    const rates = burnRates(samples, NOW, 0.9);
    expect(rates['5m']).toBeCloseTo(1, 12);
    expect(rates['1d']).toBeCloseTo(0.5, 12);
    expect(rates['3d']).toBeCloseTo(8.1, 12);
    expect(Object.keys(rates)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(burnRates([], NOW, 0.9)['1h']).toBeNull();
  });

  it('refuses a target of 1 or more and rates or lengths that mean nothing', () => {
    expect(errorOf(() => burnRate(0.1, 1)).field).toBe('target');
    expect(errorOf(() => burnRate(1.5, 0.9)).field).toBe('errorRatio');
    expect(errorOf(() => budgetSpent(-1, HOUR, DAY)).field).toBe('burnRate');
    expect(errorOf(() => budgetSpent(1, 0, DAY)).field).toBe('window');
    expect(errorOf(() => timeToExhaustionMs(0.5, 1, -DAY)).field).toBe('period');
  });
});
