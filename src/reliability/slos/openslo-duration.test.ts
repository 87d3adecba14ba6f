import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { SloSpecError } from './errors.js';
import {
  calendarMonths,
  fixedDurationMs,
  formatOpensloDuration,
  isCalendarUnit,
  MAX_AMOUNT,
  nominalMs,
  parseOpensloDuration,
} from './openslo-duration.js';

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

describe('OpenSLO duration shorthands', () => {
  it('reads an integer and a unit, m as minutes and M as months', () => {
    expect(parseOpensloDuration('5m', 'f')).toEqual({ amount: 5, unit: 'm' });
    expect(parseOpensloDuration('1M', 'f')).toEqual({ amount: 1, unit: 'M' });
    expect(parseOpensloDuration('28d', 'f')).toEqual({ amount: 28, unit: 'd' });
    expect(formatOpensloDuration(parseOpensloDuration('4w', 'f'))).toBe('4w');
  });

  it('converts fixed units to milliseconds', () => {
    expect(fixedDurationMs(parseOpensloDuration('5m', 'f'), 'f')).toBe(300_000);
    expect(fixedDurationMs(parseOpensloDuration('2h', 'f'), 'f')).toBe(7_200_000);
    expect(fixedDurationMs(parseOpensloDuration('30d', 'f'), 'f')).toBe(30 * 86_400_000);
    expect(fixedDurationMs(parseOpensloDuration('2w', 'f'), 'f')).toBe(14 * 86_400_000);
  });

  it('gives months, quarters and years no fixed length, only a month count and a nominal estimate', () => {
    const quarter = parseOpensloDuration('1Q', 'f');
    expect(isCalendarUnit('Q')).toBe(true);
    expect(isCalendarUnit('w')).toBe(false);
    expect(calendarMonths(quarter)).toBe(3);
    expect(calendarMonths(parseOpensloDuration('2Y', 'f'))).toBe(24);
    expect(calendarMonths(parseOpensloDuration('7d', 'f'))).toBeUndefined();
    expect(nominalMs(quarter)).toBe(90 * 86_400_000);
    const error = errorOf(() =>
      fixedDurationMs(parseOpensloDuration('1M', 'f'), 'objectives[0].timeSliceWindow'),
    );
    expect(error.field).toBe('objectives[0].timeSliceWindow');
    expect(error.message).toContain('fixed-length');
  });

  it('refuses other shapes, naming the field and the grammar', () => {
    for (const bad of ['', '5', 'm5', '5 m', '1.5h', '-1d', '5s', '5min', '1y', '1D', 5, null]) {
      const error = errorOf(() => parseOpensloDuration(bad, 'timeWindow[0].duration'));
      expect(error.field).toBe('timeWindow[0].duration');
    }
    expect(errorOf(() => parseOpensloDuration('1y', 'f')).expected).toContain('M months');
    expect(errorOf(() => parseOpensloDuration('5x', 'f')).message).toBe(
      'f: expected a unit among m h d w M Q Y (case matters: m is minutes, M months), got "5x"',
    );
  });

  it('refuses zero and anything past ten years', () => {
    expect(errorOf(() => parseOpensloDuration('0d', 'f')).expected).toContain('positive');
    expect(parseOpensloDuration(`${MAX_AMOUNT.d}d`, 'f').amount).toBe(3650);
    expect(errorOf(() => parseOpensloDuration('3651d', 'f')).expected).toBe('at most 3650d (ten years)');
    expect(errorOf(() => parseOpensloDuration('11Y', 'f')).expected).toBe('at most 10Y (ten years)');
    expect(errorOf(() => parseOpensloDuration('99999999999999999999m', 'f')).field).toBe('f');
  });
});
