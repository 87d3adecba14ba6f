import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import type { SliceSample } from './budget.js';
import { SloSpecError } from './errors.js';
import { evaluateSlo, parseSloMath } from './evaluate.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-05-04T12:00:00Z');

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

/** 5-minute slices of 2,000 requests over the last 30 days: 1 error each (burn 0.5 at 99.9%), 40 (burn 20) in the last `hotSlices`. */
function traffic(hotSlices: number): SliceSample[] {
  const count = (30 * DAY) / (5 * MINUTE);
  return Array.from({ length: count }, (_, i) => ({
    startMs: NOW - (count - i) * 5 * MINUTE,
    good: 2000 - (i >= count - hotSlices ? 40 : 1),
    total: 2000,
  }));
}

const rolling30d = {
  timeWindow: [{ duration: '30d', isRolling: true }],
  budgetingMethod: 'Occurrences',
  objectives: [{ target: 0.999 }],
};

describe('an SLO evaluated at one instant', () => {
  it('pages after an hour at 20× while a slow leak alone raises nothing', () => {
    const slo = parseSloMath(rolling30d);
    const calm = evaluateSlo(slo, { nowMs: NOW, samples: [traffic(0)], missingSlices: 'skip' });
    expect(calm.objectives[0]!.alerts.map((a) => a.firing)).toEqual([false, false, false, false]);
    expect(calm.objectives[0]!.budget.consumedRatio).toBe(0.5);
    expect(calm.objectives[0]!.currentBurnRate).toBeCloseTo(0.5, 12);
    // Half the budget left at half the sustainable rate: 30 days to go.
    expect(calm.objectives[0]!.timeToExhaustionMs).toBeCloseTo(30 * DAY, 0);

    const hot = evaluateSlo(slo, { nowMs: NOW, samples: [traffic(12)], missingSlices: 'skip' });
    const evaluation = hot.objectives[0]!;
    expect(evaluation.alerts.map((a) => [a.window.severity, a.window.speed, a.firing])).toEqual([
      ['page', 'quick', true],
      ['page', 'slow', false], // 6h: (5 × 0.5 + 1 × 20) / 6 = 3.75, under 6
      ['ticket', 'quick', false],
      ['ticket', 'slow', false],
    ]);
    expect(evaluation.burnRates['1h']).toBeCloseTo(20, 9);
    expect(evaluation.burnRates['6h']).toBeCloseTo(3.75, 9);
    const bad = (8640 - 12) * 1 + 12 * 40;
    expect(evaluation.budget.consumed).toBe(bad);
    expect(evaluation.budget.allowed).toBe(8640 * 2000 * 0.001);
    const remaining = 1 - bad / 17_280;
    expect(evaluation.timeToExhaustionMs).toBeCloseTo((remaining * 30 * DAY) / 20, 0);
    expect(hot.period.lengthMs).toBe(30 * DAY);
    expect(hot.composite).toBeUndefined();
  });

  it('combines several objectives by their weights', () => {
    const slo = parseSloMath({
      ...rolling30d,
      objectives: [{ target: 0.999 }, { target: 0.99, compositeWeight: 3 }],
    });
    const result = evaluateSlo(slo, { nowMs: NOW, samples: [traffic(0), traffic(0)], missingSlices: 'skip' });
    expect(result.objectives[1]!.budget.consumedRatio).toBeCloseTo(0.05, 12);
    expect(result.composite?.consumedRatio).toBeCloseTo((0.5 + 3 * 0.05) / 4, 12);
  });

  it('refuses a window too short for the alerts it would raise, unless they are turned off', () => {
    const daily = { ...rolling30d, timeWindow: [{ duration: '1d', isRolling: true }] };
    expect(errorOf(() => parseSloMath(daily)).message).toBe(
      'timeWindow[0].duration: expected a window longer than the ticket alert\'s long window (24h), or alerting.ticket: false, got "1d"',
    );
    expect(
      parseSloMath({ ...daily, alerting: { ticket: false } }).alertWindows.map((w) => w.severity),
    ).toEqual(['page', 'page']);
    const sixHours = {
      ...daily,
      timeWindow: [{ duration: '6h', isRolling: true }],
      alerting: { ticket: false },
    };
    expect(errorOf(() => parseSloMath(sixHours)).expected).toContain('alerting.page: false');
    const quiet = parseSloMath({ ...daily, alerting: { page: false, ticket: false } });
    expect(quiet.alertWindows).toEqual([]);
    expect(
      evaluateSlo(quiet, { nowMs: NOW, samples: [traffic(0)], missingSlices: 'skip' }).objectives[0]!.alerts,
    ).toEqual([]);
  });

  it('names the field of a malformed SLO', () => {
    expect(errorOf(() => parseSloMath({ ...rolling30d, timeWindow: [] })).field).toBe('timeWindow');
    expect(errorOf(() => parseSloMath({ ...rolling30d, objectives: [] })).field).toBe('objectives');
    expect(errorOf(() => parseSloMath({ ...rolling30d, objectives: [{ target: 1 }] })).field).toBe(
      'objectives[0].target',
    );
    expect(errorOf(() => parseSloMath({ ...rolling30d, budgetingMethod: 'Timeslices' })).field).toBe(
      'objectives[0].timeSliceWindow',
    );
    expect(errorOf(() => parseSloMath({ ...rolling30d, alerting: { page: 'yes' } })).field).toBe(
      'alerting.page',
    );
    expect(
      errorOf(() => evaluateSlo(parseSloMath(rolling30d), { nowMs: NOW, samples: [], missingSlices: 'skip' }))
        .field,
    ).toBe('samples');
  });
});
