import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../../test/thrown.js';
import { SloSpecError } from './errors.js';
import { describeTimeWindow, parseTimeWindow, periodAt, type TimeWindowSpec } from './window.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const utc = (text: string) => Date.parse(`${text}Z`);

function period(spec: TimeWindowSpec, now: string) {
  const p = periodAt(parseTimeWindow(spec), utc(now));
  return { ...p, start: new Date(p.startMs).toISOString(), end: new Date(p.endMs).toISOString() };
}

const errorOf = (run: () => unknown) => thrownBy(SloSpecError, run);

describe('time windows', () => {
  it('rolls a fixed window back from now, always full', () => {
    const p = period({ duration: '28d', isRolling: true }, '2026-03-15T10:00:00');
    expect(p.start).toBe('2026-02-15T10:00:00.000Z');
    expect(p.end).toBe('2026-03-15T10:00:00.000Z');
    expect(p.lengthMs).toBe(28 * DAY);
    expect(p.elapsedFraction).toBe(1);
  });

  it('rolls a month back on the UTC calendar, clamping to the shorter month', () => {
    expect(period({ duration: '1M', isRolling: true }, '2026-03-31T08:00:00.250').start).toBe(
      '2026-02-28T08:00:00.250Z',
    );
    expect(period({ duration: '1M', isRolling: true }, '2024-03-31T08:00:00').start).toBe(
      '2024-02-29T08:00:00.000Z',
    );
  });

  it('aligns calendar months to startTime in the zone, across a DST change', () => {
    const spec = {
      duration: '1M',
      calendar: { startTime: '2026-01-01 00:00:00', timeZone: 'Europe/Berlin' },
    };
    const p = period(spec, '2026-03-30T12:00:00');
    expect(p.start).toBe('2026-02-28T23:00:00.000Z'); // 1 March 00:00 CET
    expect(p.end).toBe('2026-03-31T22:00:00.000Z'); // 1 April 00:00 CEST
    expect(p.lengthMs).toBe(31 * DAY - HOUR);
    expect(p.elapsedFraction).toBeCloseTo((29 * DAY + 13 * HOUR) / (31 * DAY - HOUR), 12);
    expect(p.sliceAnchorMs).toBe(p.startMs);
    // The instant a period starts belongs to it; the one before belongs to the previous one.
    expect(period(spec, '2026-02-28T23:00:00').start).toBe('2026-02-28T23:00:00.000Z');
    expect(period(spec, '2026-02-28T22:59:59.999').start).toBe('2026-01-31T23:00:00.000Z');
  });

  it('makes the day clocks spring forward 23 hours long and the day they fall back 25', () => {
    const berlin = {
      duration: '1d',
      calendar: { startTime: '2026-01-01 00:00:00', timeZone: 'Europe/Berlin' },
    };
    expect(period(berlin, '2026-03-29T12:00:00').lengthMs).toBe(23 * HOUR);
    expect(period(berlin, '2026-10-25T12:00:00').lengthMs).toBe(25 * HOUR);
    const newYork = {
      duration: '1w',
      calendar: { startTime: '2026-01-04 00:00:00', timeZone: 'America/New_York' },
    };
    const week = period(newYork, '2026-03-10T12:00:00');
    expect(week.start).toBe('2026-03-08T05:00:00.000Z'); // Sunday 8 March 00:00 EST
    expect(week.end).toBe('2026-03-15T04:00:00.000Z'); // Sunday 15 March 00:00 EDT
    expect(week.lengthMs).toBe(7 * DAY - HOUR);
  });

  it('counts months from a 31st without drifting', () => {
    const spec = { duration: '1M', calendar: { startTime: '2026-01-31 00:00:00', timeZone: 'UTC' } };
    expect(period(spec, '2026-02-10T00:00:00').start).toBe('2026-01-31T00:00:00.000Z');
    expect(period(spec, '2026-02-10T00:00:00').end).toBe('2026-02-28T00:00:00.000Z');
    expect(period(spec, '2026-03-15T00:00:00').start).toBe('2026-02-28T00:00:00.000Z');
    expect(period(spec, '2026-03-15T00:00:00').end).toBe('2026-03-31T00:00:00.000Z');
    expect(period(spec, '2026-04-30T00:00:00').start).toBe('2026-04-30T00:00:00.000Z');
    // A leap year: 31 January + 1M = 29 February.
    const leap = { duration: '1M', calendar: { startTime: '2024-01-31 00:00:00', timeZone: 'UTC' } };
    expect(period(leap, '2024-02-10T00:00:00').end).toBe('2024-02-29T00:00:00.000Z');
    expect(period(leap, '2024-02-10T00:00:00').lengthMs).toBe(29 * DAY);
  });

  it('lays quarters and years end to end, before startTime too', () => {
    const quarter = { duration: '1Q', calendar: { startTime: '2025-01-01 00:00:00', timeZone: 'UTC' } };
    const q = period(quarter, '2026-05-20T00:00:00');
    expect([q.start, q.end]).toEqual(['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']);
    expect(q.lengthMs).toBe(91 * DAY);
    const before = period(quarter, '2024-02-29T12:00:00');
    expect([before.start, before.end]).toEqual(['2024-01-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
    expect(before.lengthMs).toBe(91 * DAY); // 2024 is a leap year
    const year = period(
      { duration: '1Y', calendar: { startTime: '2023-07-01 00:00:00', timeZone: 'UTC' } },
      '2024-08-01T00:00:00',
    );
    expect(year.lengthMs).toBe(365 * DAY);
    expect(
      period(
        { duration: '1Y', calendar: { startTime: '2023-07-01 00:00:00', timeZone: 'UTC' } },
        '2024-06-01T00:00:00',
      ).lengthMs,
    ).toBe(366 * DAY);
  });

  it('starts a daily period the clock skips at the same instant the clock moves forward to', () => {
    // Daily from 02:30 Berlin time; 29 March 2026 has no 02:30, so that day starts at 03:30 CEST.
    const spec = {
      duration: '1d',
      calendar: { startTime: '2026-03-01 02:30:00', timeZone: 'Europe/Berlin' },
    };
    const p = period(spec, '2026-03-29T02:00:00');
    expect(p.start).toBe('2026-03-29T01:30:00.000Z');
    expect(p.end).toBe('2026-03-30T00:30:00.000Z');
    expect(p.lengthMs).toBe(23 * HOUR);
  });

  it('steps minute and hour periods in real time', () => {
    const spec = {
      duration: '6h',
      calendar: { startTime: '2026-03-29 00:00:00', timeZone: 'Europe/Berlin' },
    };
    const p = period(spec, '2026-03-29T05:00:00');
    expect(p.lengthMs).toBe(6 * HOUR);
    // 00:00 CET (23:00Z) + 6 real hours: 05:00Z, which the clock shows as 07:00 CEST.
    expect(p.start).toBe('2026-03-29T05:00:00.000Z');
  });

  it('describes a window as a person reads it', () => {
    expect(describeTimeWindow(parseTimeWindow({ duration: '28d', isRolling: true }))).toBe('rolling 28d');
    expect(
      describeTimeWindow(
        parseTimeWindow({
          duration: '1M',
          calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'Europe/Berlin' },
        }),
      ),
    ).toBe('calendar 1M from 2024-01-01 00:00:00 Europe/Berlin');
  });

  it('has a calendar exactly when the window is not rolling', () => {
    const calendar = { startTime: '2024-01-01 00:00:00', timeZone: 'UTC' };
    expect(errorOf(() => parseTimeWindow({ duration: '1M', isRolling: true, calendar })).field).toBe(
      'timeWindow[0].calendar',
    );
    expect(errorOf(() => parseTimeWindow({ duration: '1M' })).field).toBe('timeWindow[0].calendar');
    expect(errorOf(() => parseTimeWindow({ duration: '1M', isRolling: false })).field).toBe(
      'timeWindow[0].calendar',
    );
    expect(parseTimeWindow({ duration: '1M', isRolling: false, calendar }).kind).toBe('calendar');
    expect(errorOf(() => parseTimeWindow({ duration: '1M', isRolling: 'yes', calendar })).field).toBe(
      'timeWindow[0].isRolling',
    );
  });

  it('refuses a start in another format, an impossible date and an unknown zone', () => {
    for (const startTime of [
      '2024-01-01T00:00:00',
      '2024-01-01',
      '2024-1-1 00:00:00',
      '2024-01-01 00:00:00Z',
      20240101,
    ]) {
      const error = errorOf(() =>
        parseTimeWindow({ duration: '1M', calendar: { startTime, timeZone: 'UTC' } }),
      );
      expect(error.field).toBe('timeWindow[0].calendar.startTime');
      expect(error.expected).toContain('YYYY-MM-DD HH:MM:SS');
    }
    const feb30 = errorOf(() =>
      parseTimeWindow({ duration: '1M', calendar: { startTime: '2023-02-29 00:00:00', timeZone: 'UTC' } }),
    );
    expect(feb30.expected).toBe('a day from 01 to 28 in that month');
    expect(
      errorOf(() =>
        parseTimeWindow({ duration: '1M', calendar: { startTime: '2024-01-01 24:00:00', timeZone: 'UTC' } }),
      ).expected,
    ).toContain('23:59:59');
    const zone = errorOf(() =>
      parseTimeWindow({
        duration: '1M',
        calendar: { startTime: '2024-01-01 00:00:00', timeZone: 'Mars/Olympus' },
      }),
    );
    expect(zone.field).toBe('timeWindow[0].calendar.timeZone');
    expect(zone.message).toContain('"Mars/Olympus"');
  });
});
