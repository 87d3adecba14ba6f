import { describe, expect, it } from 'vitest';
import { percentile } from '../../platform/percentile.js';
import { dailyUsage, DAY_MS, outcomesOf, parseUsageWindow, summarizeDurations } from './model.js';
import { InputError } from '../../platform/errors.js';

describe('usage statistics arithmetic', () => {
  it('takes nearest-rank percentiles, null for no values and the value itself for one', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(values, 1)).toBe(1);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
  });

  it('summarizes durations in any order', () => {
    expect(summarizeDurations([])).toBeNull();
    expect(summarizeDurations([40, 10, 30, 20])).toEqual({ p50: 20, p95: 40, max: 40 });
  });

  it('counts timed out as failed, cancelled and rejected as neither, and rates only verdicts', () => {
    expect(
      outcomesOf({ succeeded: 3, failed: 1, timed_out: 2, cancelled: 1, rejected: 1, running: 1 }),
    ).toEqual({ executions: 9, succeeded: 3, failed: 3, other: 2, successRate: 0.5 });
    expect(outcomesOf({ cancelled: 1 }).successRate).toBeNull();
  });

  it('lists only days on which something was queued, oldest first', () => {
    expect(
      dailyUsage([
        { day: 20_150, state: 'succeeded', count: 2 },
        { day: 20_148, state: 'failed', count: 1 },
        { day: 20_150, state: 'rejected', count: 1 },
      ]),
    ).toEqual([
      { day: '2025-03-01', executions: 1, succeeded: 0, failed: 1, other: 0 },
      { day: '2025-03-03', executions: 3, succeeded: 2, failed: 0, other: 1 },
    ]);
  });

  it('reads windows as ISO times or durations ago, 30 days by default, at most 400 days', () => {
    const now = Date.UTC(2025, 2, 14, 12);
    expect(parseUsageWindow(undefined, undefined, now)).toEqual({ since: now - 30 * DAY_MS, until: now });
    expect(parseUsageWindow('7d', undefined, now)).toEqual({ since: now - 7 * DAY_MS, until: now });
    expect(parseUsageWindow('2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', now)).toEqual({
      since: Date.UTC(2025, 2, 1),
      until: Date.UTC(2025, 2, 2),
    });
    const problem = (since: string | undefined, until: string | undefined) => {
      try {
        parseUsageWindow(since, until, now);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).problems[0]?.path;
      }
      return undefined;
    };
    expect(problem('last week', undefined)).toBe('querystring.since');
    expect(problem('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z')).toBe('querystring.until');
    expect(problem('401d', undefined)).toBe('querystring.since');
    expect(problem('400d', undefined)).toBeUndefined();
  });
});
