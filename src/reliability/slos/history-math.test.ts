import { describe, expect, it } from 'vitest';
import { budgetSeries, changeCost, downsample, type SeriesPoint } from './history-math.js';
import { parseSloMath } from './evaluate.js';
import { periodAt } from './window.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2026-05-01T00:00:00Z');

const calendar30d = (method: string, objective: Record<string, unknown>) =>
  parseSloMath({
    timeWindow: [{ duration: '30d', calendar: { startTime: '2026-05-01 00:00:00', timeZone: 'UTC' } }],
    budgetingMethod: method,
    objectives: [objective],
  });

describe('the budget burn-down over a period', () => {
  it('spends Occurrences budget by bad events against an allowance that grows with traffic', () => {
    const slo = calendar30d('Occurrences', { target: 0.9 });
    const period = periodAt(slo.window, START + 20 * MINUTE);
    const series = budgetSeries({
      method: 'Occurrences',
      objective: slo.objectives[0]!,
      period,
      sliceMs: 5 * MINUTE,
      samples: [
        { startMs: START, good: 100, total: 100 },
        { startMs: START + 5 * MINUTE, good: 95, total: 100 },
        { startMs: START + 10 * MINUTE, good: 80, total: 100 },
        { startMs: START - 5 * MINUTE, good: 0, total: 100 }, // before the period
      ],
    });
    expect(series.map((p) => p.atMs - START)).toEqual([5 * MINUTE, 10 * MINUTE, 15 * MINUTE]);
    expect(series.map((p) => p.sli)).toEqual([1, 0.95, 0.8]);
    // Allowed 10, 20, 30 bad events; spent 0, 5, 25.
    expect(series.map((p) => p.budgetRemainingRatio)).toEqual([1, 0.75, 1 - 25 / 30]);
  });

  it('spends Timeslices budget by whole bad slices out of the period allowance', () => {
    const slo = calendar30d('Timeslices', { target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: '1h' });
    const period = periodAt(slo.window, START + 3 * HOUR);
    const series = budgetSeries({
      method: 'Timeslices',
      objective: slo.objectives[0]!,
      period,
      sliceMs: HOUR,
      samples: [
        { startMs: START, good: 96, total: 100 },
        { startMs: START + HOUR, good: 90, total: 100 },
      ],
    });
    // 1% of 30 days is 432 minutes; one bad hour spends 60 of them.
    expect(series.map((p) => p.budgetRemainingRatio)).toEqual([1, 1 - 60 / 432]);
  });

  it('downsamples to at most the asked points, keeping the burn-down at the end of each bucket', () => {
    const points: SeriesPoint[] = Array.from({ length: 1000 }, (_, i) => ({
      atMs: i,
      sli: i % 2,
      budgetRemainingRatio: 1 - i / 1000,
    }));
    const down = downsample(points, 300);
    expect(down.length).toBeLessThanOrEqual(300);
    expect(down.at(-1)).toEqual({ atMs: 999, sli: expect.any(Number), budgetRemainingRatio: 1 - 999 / 1000 });
    expect(down[0]!.sli).toBeCloseTo(1 / 3, 10); // points 0, 1, 2
    expect(downsample(points.slice(0, 10), 300)).toHaveLength(10);
  });
});

describe('what a change cost', () => {
  const slo = calendar30d('Occurrences', { target: 0.99 });
  const samples = Array.from({ length: 12 * 24 }, (_, i) => ({
    startMs: START + i * 5 * MINUTE,
    good: i >= 24 && i < 36 ? 90 : 100, // 2h to 3h: 10 bad per slice
    total: 100,
  }));

  it('is the budget share spent in the hours after the change started', () => {
    const cost = changeCost({
      method: 'Occurrences',
      objective: slo.objectives[0]!,
      sliceMs: 5 * MINUTE,
      samples,
      allowed: 288, // 1% of 28,800 events
      startMs: START + 2 * HOUR,
      hoursAfter: 4,
    });
    expect(cost).toBeCloseTo(120 / 288, 12);
    // A change after the burn cost nothing; one in a stretch without data has no cost.
    expect(
      changeCost({
        method: 'Occurrences',
        objective: slo.objectives[0]!,
        sliceMs: 5 * MINUTE,
        samples,
        allowed: 288,
        startMs: START + 4 * HOUR,
        hoursAfter: 4,
      }),
    ).toBe(0);
    expect(
      changeCost({
        method: 'Occurrences',
        objective: slo.objectives[0]!,
        sliceMs: 5 * MINUTE,
        samples,
        allowed: 288,
        startMs: START + 2 * DAY,
        hoursAfter: 4,
      }),
    ).toBeNull();
  });
});
