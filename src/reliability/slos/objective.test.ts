import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { SloSpecError } from './errors.js';
import {
  errorBudgetFraction,
  parseBudgetingMethod,
  parseObjective,
  parseTarget,
  shortestPeriodMs,
} from './objective.js';
import { parseTimeWindow } from './window.js';

const DAY = 86_400_000;
const rolling28d = parseTimeWindow({ duration: '28d', isRolling: true });
const calendarMonth = parseTimeWindow({
  duration: '1M',
  calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'UTC' },
});

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

describe('objectives', () => {
  it('takes target or targetPercent, below 1 and 100%', () => {
    expect(parseTarget({ target: 0.999 }, 'o')).toBe(0.999);
    expect(parseTarget({ targetPercent: 99.5 }, 'o')).toBe(0.995);
    expect(parseTarget({ target: 0 }, 'o')).toBe(0);
    for (const target of [1, 1.5, -0.1, '0.9', Number.NaN]) {
      expect(errorOf(() => parseTarget({ target }, 'objectives[0]')).field).toBe('objectives[0].target');
    }
    const percent = errorOf(() => parseTarget({ targetPercent: 100 }, 'objectives[2]'));
    expect(percent.message).toBe(
      'objectives[2].targetPercent: expected a number in [0, 100), e.g. 99.9 (a target of 100% leaves no budget), got 100',
    );
    expect(errorOf(() => parseTarget({ target: 0.9, targetPercent: 90 }, 'o')).expected).toContain(
      'not both',
    );
    expect(errorOf(() => parseTarget({}, 'o')).got).toBe('neither');
  });

  it('gives the error budget as the decimal people compute', () => {
    expect(errorBudgetFraction(0.95)).toBe(0.05);
    expect(errorBudgetFraction(0.999)).toBe(0.001);
    expect(errorBudgetFraction(0.99999)).toBe(0.00001);
  });

  it('asks each method for its own fields', () => {
    expect(parseObjective({ target: 0.99 }, 'Occurrences', rolling28d, 'o')).toEqual({
      target: 0.99,
      compositeWeight: 1,
    });
    expect(
      parseObjective(
        { target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: '5m' },
        'Timeslices',
        rolling28d,
        'o',
      ),
    ).toEqual({
      target: 0.99,
      timeSliceTarget: 0.95,
      timeSliceMs: 300_000,
      compositeWeight: 1,
    });
    expect(
      parseObjective(
        { target: 0.99, timeSliceWindow: 5, compositeWeight: 2 },
        'RatioTimeslices',
        rolling28d,
        'o',
      ),
    ).toEqual({
      target: 0.99,
      timeSliceMs: 300_000,
      compositeWeight: 2,
    });
    expect(
      errorOf(() =>
        parseObjective({ target: 0.99, timeSliceWindow: '5m' }, 'Timeslices', rolling28d, 'objectives[0]'),
      ).field,
    ).toBe('objectives[0].timeSliceTarget');
    expect(
      errorOf(() =>
        parseObjective(
          { target: 0.99, timeSliceTarget: 0, timeSliceWindow: '5m' },
          'Timeslices',
          rolling28d,
          'o',
        ),
      ).expected,
    ).toContain('(0, 1]');
    expect(
      errorOf(() => parseObjective({ target: 0.99, timeSliceTarget: 0.9 }, 'Timeslices', rolling28d, 'o'))
        .field,
    ).toBe('o.timeSliceWindow');
    expect(errorOf(() => parseObjective({ target: 0.99 }, 'RatioTimeslices', rolling28d, 'o')).field).toBe(
      'o.timeSliceWindow',
    );
    expect(
      errorOf(() => parseObjective({ target: 0.99, timeSliceWindow: '5m' }, 'Occurrences', rolling28d, 'o'))
        .field,
    ).toBe('o.timeSliceWindow');
    expect(
      errorOf(() =>
        parseObjective(
          { target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: '5m' },
          'RatioTimeslices',
          rolling28d,
          'o',
        ),
      ).field,
    ).toBe('o.timeSliceTarget');
    expect(
      errorOf(() => parseObjective({ target: 0.99, compositeWeight: 0 }, 'Occurrences', rolling28d, 'o'))
        .field,
    ).toBe('o.compositeWeight');
    expect(errorOf(() => parseBudgetingMethod('Slices')).message).toBe(
      'budgetingMethod: expected one of Occurrences, Timeslices, RatioTimeslices, got "Slices"',
    );
  });

  it('refuses a slice the window cannot hold, or one of calendar length', () => {
    const rolling1h = parseTimeWindow({ duration: '1h', isRolling: true });
    const tooLong = errorOf(() =>
      parseObjective({ target: 0.9, timeSliceWindow: '2h' }, 'RatioTimeslices', rolling1h, 'objectives[0]'),
    );
    expect(tooLong.message).toBe(
      'objectives[0].timeSliceWindow: expected a slice no longer than the time window\'s shortest period (60 minutes), got "2h"',
    );
    expect(
      parseObjective({ target: 0.9, timeSliceWindow: '28d' }, 'RatioTimeslices', calendarMonth, 'o')
        .timeSliceMs,
    ).toBe(28 * DAY);
    expect(
      errorOf(() =>
        parseObjective({ target: 0.9, timeSliceWindow: '29d' }, 'RatioTimeslices', calendarMonth, 'o'),
      ).field,
    ).toBe('o.timeSliceWindow');
    expect(
      errorOf(() =>
        parseObjective({ target: 0.9, timeSliceWindow: '1M' }, 'RatioTimeslices', calendarMonth, 'o'),
      ).expected,
    ).toContain('fixed-length');
    expect(
      errorOf(() =>
        parseObjective({ target: 0.9, timeSliceWindow: 0 }, 'RatioTimeslices', calendarMonth, 'o'),
      ).field,
    ).toBe('o.timeSliceWindow');
    expect(
      shortestPeriodMs(
        parseTimeWindow({
          duration: '1d',
          calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'Europe/Berlin' },
        }),
      ),
    ).toBe(23 * 3_600_000);
  });
});
