import { describe, expect, it } from 'vitest';
import { SloSpecError } from './errors.js';
import {
  addDays,
  addMonths,
  checkTimeZone,
  daysInMonth,
  instantOf,
  localAt,
  offsetAt,
  parseStartTime,
} from './zoned-time.js';

const HOUR = 3_600_000;
const utc = (text: string) => Date.parse(`${text}Z`);
const at = (year: number, month: number, day: number, hour = 0, minute = 0) => ({
  year,
  month,
  day,
  hour,
  minute,
  second: 0,
});

describe('wall-clock time in a zone', () => {
  it('knows the offsets on both sides of a DST change', () => {
    expect(offsetAt(utc('2026-03-29T00:59:59'), 'Europe/Berlin')).toBe(HOUR);
    expect(offsetAt(utc('2026-03-29T01:00:00'), 'Europe/Berlin')).toBe(2 * HOUR);
    expect(offsetAt(utc('2026-11-01T05:59:59'), 'America/New_York')).toBe(-4 * HOUR);
    expect(offsetAt(utc('2026-11-01T06:00:00'), 'America/New_York')).toBe(-5 * HOUR);
  });

  it('moves a skipped local time forward by the gap and takes the earlier of a repeated one', () => {
    // Berlin 2026-03-29 02:30 does not exist: 03:30 CEST = 01:30Z.
    expect(new Date(instantOf(at(2026, 3, 29, 2, 30), 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // Berlin 2026-10-25 02:30 happens twice: first in CEST = 00:30Z.
    expect(new Date(instantOf(at(2026, 10, 25, 2, 30), 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    // New York 2026-11-01 01:30 happens twice: first in EDT = 05:30Z.
    expect(new Date(instantOf(at(2026, 11, 1, 1, 30), 'America/New_York')).toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(localAt(utc('2026-07-01T12:00:00'), 'America/New_York')).toEqual(at(2026, 7, 1, 8, 0));
  });
});

describe('calendar arithmetic on local dates', () => {
  it('clamps a month step to the end of a shorter month and knows leap years', () => {
    expect(addMonths(at(2026, 1, 31), 1)).toEqual(at(2026, 2, 28));
    expect(addMonths(at(2024, 1, 31), 1)).toEqual(at(2024, 2, 29));
    expect(addMonths(at(2026, 1, 31), 2)).toEqual(at(2026, 3, 31));
    expect(addMonths(at(2026, 11, 30), 3)).toEqual(at(2027, 2, 28));
    expect(addMonths(at(2026, 3, 31), -1)).toEqual(at(2026, 2, 28));
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(addDays(at(2024, 2, 28, 9), 1)).toEqual(at(2024, 2, 29, 9));
    expect(addDays(at(2026, 12, 31), 1)).toEqual(at(2027, 1, 1));
  });

  it('reads startTime strictly and knows zone names', () => {
    expect(parseStartTime('2024-02-29 23:59:59', 'f')).toEqual({ ...at(2024, 2, 29, 23, 59), second: 59 });
    expect(() => parseStartTime('2024-13-01 00:00:00', 'f')).toThrow(SloSpecError);
    expect(checkTimeZone('America/New_York', 'f')).toBe('America/New_York');
    expect(() => checkTimeZone('', 'f')).toThrow(SloSpecError);
    expect(() => checkTimeZone('Europe/Atlantis', 'f')).toThrow('f: expected an IANA time zone name');
  });
});
