import { describe, expect, it } from 'vitest';
import {
  dayStartSeconds,
  formatDayTick,
  formatDurationTick,
  shorten,
  stackForOverdraw,
  utcDays,
  valuesByDay,
} from './series';

describe('chart series', () => {
  it('lists every UTC day a window touches, the end excluded', () => {
    expect(utcDays('2025-03-01T00:00:00.000Z', '2025-03-04T00:00:00.000Z')).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
    ]);
    // A rolling window (since=7d) starts and ends inside days.
    expect(utcDays('2025-02-27T15:00:00Z', '2025-03-01T09:30:00Z')).toEqual([
      '2025-02-27',
      '2025-02-28',
      '2025-03-01',
    ]);
    expect(utcDays('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z')).toEqual([]);
  });

  it("puts a day's bar at its UTC midnight, in seconds", () => {
    expect(dayStartSeconds('2025-03-01')).toBe(Date.UTC(2025, 2, 1) / 1000);
  });

  it('fills days without a row with the missing value', () => {
    const rows = [
      { day: '2025-03-01', n: 4 },
      { day: '2025-03-03', n: 2 },
    ];
    const days = ['2025-03-01', '2025-03-02', '2025-03-03'];
    expect(valuesByDay(days, rows, (row) => row.n, 0)).toEqual([4, 0, 2]);
    expect(valuesByDay(days, rows, (row) => row.n, null)).toEqual([4, null, 2]);
  });

  it('stacks series so that drawing them in order shows each as its own band', () => {
    const succeeded = [3, 0, 1];
    const failed = [1, 2, 0];
    const other = [0, 1, 1];
    const [total, failedAndOther, otherOnly] = stackForOverdraw([succeeded, failed, other]);
    expect(total).toEqual([4, 3, 2]);
    expect(failedAndOther).toEqual([1, 3, 1]);
    expect(otherOnly).toEqual(other);
    // Each band's height is the series' own value.
    expect(total!.map((value, index) => value - failedAndOther![index]!)).toEqual(succeeded);
  });

  it('shortens long names with an ellipsis, to the length given', () => {
    expect(shorten('examples/disk-report', 30)).toBe('examples/disk-report');
    expect(shorten('examples/disk-report', 10)).toBe('examples/…');
    expect(shorten('examples/disk-report', 10)).toHaveLength(10);
  });

  it('labels day ticks with the UTC day, whatever the zone of the reader', () => {
    expect(formatDayTick(Date.UTC(2025, 2, 14) / 1000)).toBe('14 Mar');
    expect(formatDayTick(Date.UTC(2025, 11, 31) / 1000)).toBe('31 Dec');
  });

  it('labels run-time ticks briefly, in the largest unit that fits', () => {
    expect(formatDurationTick(0)).toBe('0');
    expect(formatDurationTick(500)).toBe('500 ms');
    expect(formatDurationTick(15_000)).toBe('15 s');
    expect(formatDurationTick(90_000)).toBe('1.5 min');
    expect(formatDurationTick(7_200_000)).toBe('2 h');
  });
});
