import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { combineComposite, computeBudget, type BudgetInput, type SliceSample } from './budget.js';
import { SloSpecError } from './errors.js';
import { parseObjective, type ObjectiveSpec, type BudgetingMethod } from './objective.js';
import { parseTimeWindow, periodAt, type TimeWindowSpec } from './window.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-05-04T12:00:00Z');

function input(
  method: BudgetingMethod,
  objective: ObjectiveSpec,
  samples: SliceSample[],
  options: { window?: TimeWindowSpec; now?: number; missingSlices?: BudgetInput['missingSlices'] } = {},
): BudgetInput {
  const window = parseTimeWindow(options.window ?? { duration: '1d', isRolling: true });
  return {
    method,
    objective: parseObjective(objective, method, window, 'objectives[0]'),
    period: periodAt(window, options.now ?? NOW),
    samples,
    missingSlices: options.missingSlices ?? 'skip',
  };
}

/** One sample per slice of `sliceMs` ending at now, `count` of them, from a function of the slice index. */
function slices(
  count: number,
  sliceMs: number,
  sample: (index: number) => { good: number; total: number } | { ratio: number },
  now = NOW,
) {
  return Array.from({ length: count }, (_, index) => ({
    startMs: now - (count - index) * sliceMs,
    ...sample(index),
  }));
}

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

/** A small deterministic generator for property checks (no Math.random in tests). */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('error budgets', () => {
  it('gives the OpenSLO worked example: 2 weeks at 95% with 1-minute slices allow 1,008 bad minutes (16 h 48 m)', () => {
    const samples = slices(20_160, MINUTE, (i) =>
      i % 200 === 0 ? { good: 5, total: 10 } : { good: 10, total: 10 },
    );
    const report = computeBudget(
      input('Timeslices', { target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: '1m' }, samples, {
        window: { duration: '2w', isRolling: true },
      }),
    );
    expect(report.unit).toBe('minutes');
    expect(report.allowed).toBe(1008);
    expect(report.allowed * MINUTE).toBe(16 * HOUR + 48 * MINUTE);
    expect(report.slices?.allowedBad).toBe(1008);
    expect(report.slices).toMatchObject({ judged: 20_160, good: 20_059, bad: 101, missing: 0 });
    expect(report.consumed).toBe(101);
    expect(report.remaining).toBe(907);
    expect(report.consumedRatio).toBe(101 / 1008);
    expect(report.attainment).toBe(20_059 / 20_160);
  });

  it('budgets Occurrences in bad events against the events seen so far', () => {
    const samples = slices(10, 5 * MINUTE, (i) => ({ good: i === 3 ? 9_950 : 10_000, total: 10_000 }));
    const report = computeBudget(input('Occurrences', { target: 0.999 }, samples));
    expect(report.events).toEqual({ good: 99_950, total: 100_000, bad: 50 });
    expect(report.unit).toBe('events');
    expect(report.allowed).toBe(100);
    expect(report.consumed).toBe(50);
    expect(report.remaining).toBe(50);
    expect(report.consumedRatio).toBe(0.5);
    expect(report.remainingRatio).toBe(0.5);
    expect(report.attainment).toBe(0.9995);
  });

  it('reads targetPercent as target / 100 and a bad/total SLI as its good complement', () => {
    const report = computeBudget(
      input('Occurrences', { targetPercent: 99 }, [{ startMs: NOW - MINUTE, good: 980, total: 1000 }]),
    );
    expect(report.target).toBe(0.99);
    expect(report.allowed).toBe(10);
    expect(report.consumedRatio).toBe(2);
    expect(report.remainingRatio).toBe(-1); // overspent: twice the budget
  });

  it('reports no attainment and a whole budget when nothing was measured', () => {
    const report = computeBudget(
      input('Occurrences', { target: 0.99 }, [{ startMs: NOW - MINUTE, good: 0, total: 0 }]),
    );
    expect(report.attainment).toBeNull();
    expect(report).toMatchObject({ allowed: 0, consumed: 0, consumedRatio: 0, remainingRatio: 1 });
  });

  it('ignores samples outside the period', () => {
    const report = computeBudget(
      input('Occurrences', { target: 0.9 }, [
        { startMs: NOW - 25 * HOUR, good: 0, total: 1000 },
        { startMs: NOW - HOUR, good: 100, total: 100 },
        { startMs: NOW + MINUTE, good: 0, total: 1000 },
      ]),
    );
    expect(report.events).toEqual({ good: 100, total: 100, bad: 0 });
  });

  it('counts slices without data as the caller says: skipped, good or bad', () => {
    // Ten due 1-hour slices of the last ten hours; three have no sample and one counted no events.
    const samples = slices(10, HOUR, (i) => ({ good: i === 9 ? 0 : 100, total: i === 9 ? 0 : 100 })).filter(
      (_, i) => i !== 2 && i !== 5 && i !== 7,
    );
    const spec = { target: 0.5, timeSliceTarget: 0.99, timeSliceWindow: '1h' };
    const window = { duration: '10h', isRolling: true };
    const skip = computeBudget(input('Timeslices', spec, samples, { window, missingSlices: 'skip' }));
    expect(skip.slices).toMatchObject({ judged: 6, good: 6, bad: 0, missing: 4 });
    expect(skip.attainment).toBe(1);
    expect(skip.consumed).toBe(0);
    const bad = computeBudget(input('Timeslices', spec, samples, { window, missingSlices: 'bad' }));
    expect(bad.slices).toMatchObject({ judged: 10, good: 6, bad: 4, missing: 4 });
    expect(bad.attainment).toBe(0.6);
    expect(bad.consumed).toBe(240);
    expect(bad.allowed).toBe(300);
    const good = computeBudget(input('Timeslices', spec, samples, { window, missingSlices: 'good' }));
    expect(good.slices).toMatchObject({ judged: 10, good: 10, bad: 0, missing: 4 });
  });

  it('judges a slice good when its ratio reaches timeSliceTarget, and exactly at it too', () => {
    const samples = slices(4, HOUR, (i) => ({ good: [99, 98, 100, 97][i]!, total: 100 }));
    const report = computeBudget(
      input('Timeslices', { target: 0.5, timeSliceTarget: 0.98, timeSliceWindow: '1h' }, samples, {
        window: { duration: '4h', isRolling: true },
      }),
    );
    expect(report.slices).toMatchObject({ good: 3, bad: 1 });
    expect(report.consumed).toBe(60);
  });

  it('averages slice ratios for RatioTimeslices and spends the bad share of each slice', () => {
    const samples = slices(4, HOUR, (i) => ({ ratio: [1, 0.9, 0.8, 0.5][i]! }));
    const report = computeBudget(
      input('RatioTimeslices', { target: 0.75, timeSliceWindow: '1h' }, samples, {
        window: { duration: '4h', isRolling: true },
      }),
    );
    expect(report.attainment).toBe((1 + 0.9 + 0.8 + 0.5) / 4);
    expect(report.allowed).toBe(60);
    expect(report.consumed).toBeCloseTo(0.1 * 60 + 0.2 * 60 + 0.5 * 60, 9);
    expect(report.slices).toMatchObject({ judged: 4, good: 1, bad: 3 });
    // Counts in a slice are its ratio.
    const counts = computeBudget(
      input(
        'RatioTimeslices',
        { target: 0.75, timeSliceWindow: '1h' },
        slices(1, HOUR, () => ({ good: 3, total: 4 })),
        {
          window: { duration: '4h', isRolling: true },
        },
      ),
    );
    expect(counts.attainment).toBe(0.75);
  });

  it('budgets a calendar period as a whole while judging only the slices so far', () => {
    const window = { duration: '1d', calendar: { startTime: '2026-01-01 00:00:00', timeZone: 'UTC' } };
    const now = Date.parse('2026-05-04T06:30:00Z');
    const dayStart = Date.parse('2026-05-04T00:00:00Z');
    // Six whole hours and the one in progress, with data; the in-progress one is bad.
    const samples = Array.from({ length: 7 }, (_, i) => ({
      startMs: dayStart + i * HOUR,
      good: i === 6 ? 0 : 1,
      total: 1,
    }));
    const report = computeBudget(
      input('Timeslices', { target: 0.9, timeSliceTarget: 1, timeSliceWindow: '1h' }, samples, {
        window,
        now,
        missingSlices: 'bad',
      }),
    );
    expect(report.allowed).toBe(144); // 10% of 24 hours
    expect(report.slices).toMatchObject({ judged: 7, good: 6, bad: 1, missing: 0, allowedBad: 2.4 });
    expect(report.consumed).toBe(60);
    // Nothing after the first hour: five missing slices (hours 1-5), the one in progress is not missing.
    const sparse = computeBudget(
      input('Timeslices', { target: 0.9, timeSliceTarget: 1, timeSliceWindow: '1h' }, samples.slice(0, 1), {
        window,
        now,
        missingSlices: 'bad',
      }),
    );
    expect(sparse.slices).toMatchObject({ judged: 6, good: 1, bad: 5, missing: 5 });
  });

  it('always has consumed + remaining = allowed and the two ratios summing to 1', () => {
    const random = lcg(42);
    for (let round = 0; round < 50; round++) {
      const method = (['Occurrences', 'Timeslices', 'RatioTimeslices'] as const)[round % 3]!;
      const target = Math.floor(random() * 1000) / 1000;
      const samples = slices(48, 30 * MINUTE, () => {
        const total = Math.floor(random() * 50);
        return { good: Math.floor(random() * (total + 1)), total };
      });
      const spec =
        method === 'Occurrences'
          ? { target }
          : { target, timeSliceWindow: '30m', ...(method === 'Timeslices' ? { timeSliceTarget: 0.9 } : {}) };
      const missingSlices = (['skip', 'good', 'bad'] as const)[round % 3]!;
      const report = computeBudget(input(method, spec, samples, { missingSlices }));
      expect(report.consumed + report.remaining).toBeCloseTo(report.allowed, 9);
      expect(report.consumedRatio + report.remainingRatio).toBeCloseTo(1, 12);
      expect(report.consumed).toBeGreaterThanOrEqual(0);
      if (report.attainment !== null) {
        expect(report.attainment).toBeGreaterThanOrEqual(0);
        expect(report.attainment).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses negative counts, more good than total, ratios outside [0, 1], naming the sample', () => {
    const objective = { target: 0.9 };
    expect(
      errorOf(() =>
        computeBudget(input('Occurrences', objective, [{ startMs: NOW - MINUTE, good: -1, total: 5 }])),
      ).field,
    ).toBe('samples[0].good');
    expect(
      errorOf(() =>
        computeBudget(input('Occurrences', objective, [{ startMs: NOW - MINUTE, good: 1, total: -5 }])),
      ).field,
    ).toBe('samples[0].total');
    const tooGood = errorOf(() =>
      computeBudget(
        input('Occurrences', objective, [
          { startMs: NOW - 2 * MINUTE, good: 1, total: 1 },
          { startMs: NOW - MINUTE, good: 6, total: 5 },
        ]),
      ),
    );
    expect(tooGood.message).toBe('samples[1].good: expected at most the total (5) events, got 6');
    expect(
      errorOf(() =>
        computeBudget(
          input('Occurrences', objective, [{ startMs: NOW - MINUTE, good: Number.NaN, total: 5 }]),
        ),
      ).field,
    ).toBe('samples[0].good');
    expect(
      errorOf(() =>
        computeBudget(
          input('RatioTimeslices', { target: 0.9, timeSliceWindow: '1m' }, [
            { startMs: NOW - MINUTE, ratio: 1.2 },
          ]),
        ),
      ).field,
    ).toBe('samples[0].ratio');
    expect(
      errorOf(() => computeBudget(input('Occurrences', objective, [{ startMs: NOW - MINUTE, ratio: 0.5 }])))
        .expected,
    ).toContain('good and total counts with Occurrences');
  });
});

describe('composite objectives', () => {
  const report = (consumedRatio: number, attainment: number | null) => ({
    ...computeBudget(input('Occurrences', { target: 0.9 }, [])),
    consumedRatio,
    remainingRatio: 1 - consumedRatio,
    attainment,
  });

  it('spends the composite budget as the weighted mean of the parts’ shares', () => {
    const composite = combineComposite([
      { weight: 1, report: report(0.2, 0.99) },
      { weight: 3, report: report(0.6, 0.95) },
    ]);
    expect(composite.consumedRatio).toBeCloseTo(0.5, 12); // (0.2 + 3 × 0.6) / 4
    expect(composite.remainingRatio).toBeCloseTo(0.5, 12);
    expect(composite.attainment).toBeCloseTo((0.99 + 3 * 0.95) / 4, 12);
  });

  it('leaves parts without data out of the attainment but not out of the budget', () => {
    const composite = combineComposite([
      { weight: 1, report: report(0, null) },
      { weight: 1, report: report(1, 0.9) },
    ]);
    expect(composite.attainment).toBe(0.9);
    expect(composite.consumedRatio).toBe(0.5);
    expect(combineComposite([{ weight: 2, report: report(0, null) }]).attainment).toBeNull();
  });

  it('refuses a weight of zero or less and an empty composite', () => {
    expect(
      errorOf(() =>
        combineComposite([
          { weight: 1, report: report(0, 1) },
          { weight: 0, report: report(0, 1) },
        ]),
      ).field,
    ).toBe('objectives[1].compositeWeight');
    expect(errorOf(() => combineComposite([])).field).toBe('objectives');
  });
});
