import { describe, expect, it } from 'vitest';
import type { TeamUsage, UsageDay } from '../api/usage';
import {
  formatMinutes,
  manualMinutesPerRun,
  outcomesPerDay,
  readUsageFilters,
  successRatePerDay,
  teamsPerDay,
  usageApiQuery,
  usageTotals,
} from './usage-data';

const WINDOW = { since: '2025-03-01T00:00:00.000Z', until: '2025-03-04T00:00:00.000Z' };
const DAYS: UsageDay[] = [
  { day: '2025-03-01', executions: 3, succeeded: 2, failed: 0, other: 0 },
  { day: '2025-03-03', executions: 4, succeeded: 1, failed: 2, other: 1 },
];

describe('usage numbers', () => {
  it('reads the window and filters from the URL; a window not offered is the default 30 days', () => {
    expect(readUsageFilters(new URLSearchParams('days=7&job=ops/restart&team=sre'))).toEqual({
      days: 7,
      project: '',
      job: 'ops/restart',
      team: 'sre',
    });
    expect(readUsageFilters(new URLSearchParams('days=13')).days).toBe(30);
    expect(usageApiQuery(readUsageFilters(new URLSearchParams('days=90&project=ops')))).toEqual({
      since: '90d',
      project: 'ops',
      job: undefined,
      team: undefined,
    });
  });

  it('totals the window and rates success over succeeded and failed only', () => {
    expect(usageTotals(DAYS)).toEqual({
      executions: 7,
      succeeded: 3,
      failed: 2,
      other: 1,
      successRate: 3 / 5,
    });
    expect(usageTotals([]).successRate).toBeNull();
  });

  it('gives every day of the window its outcomes, quiet days as zeros, unfinished ones apart', () => {
    expect(outcomesPerDay({ window: WINDOW, days: DAYS })).toEqual({
      days: ['2025-03-01', '2025-03-02', '2025-03-03'],
      succeeded: [2, 0, 1],
      failed: [0, 0, 2],
      other: [0, 0, 1],
      // One execution of the first day had not finished when the report was made.
      unfinished: [1, 0, 0],
    });
  });

  it('rates success per day in percent, with a gap on a day without a verdict', () => {
    const days: UsageDay[] = [
      ...DAYS,
      { day: '2025-03-02', executions: 1, succeeded: 0, failed: 0, other: 1 },
    ];
    expect(successRatePerDay({ window: WINDOW, days })).toEqual([100, null, (100 * 1) / 3]);
  });

  it('draws the busiest teams and sums the rest as one line', () => {
    const team = (name: string, executions: number): TeamUsage => ({
      team: name,
      executions,
      successRate: null,
      days: [{ day: '2025-03-02', executions }],
    });
    const teams = [team('a', 9), team('b', 5), team('c', 3), team('d', 1)];
    expect(teamsPerDay(WINDOW, teams, 3)).toEqual([
      { team: 'a', values: [0, 9, 0] },
      { team: 'b', values: [0, 5, 0] },
      { team: '2 other teams', values: [0, 4, 0] },
    ]);
    // No line of "others" when every team fits.
    expect(teamsPerDay(WINDOW, teams, 4).map((line) => line.team)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('averages the declared manual minutes per run', () => {
    expect(manualMinutesPerRun({ executions: 4, manualMinutes: 50 })).toBe(12.5);
    expect(manualMinutesPerRun({ executions: 0, manualMinutes: 0 })).toBeNull();
  });

  it('writes minutes as hours and minutes, negative savings included', () => {
    expect(formatMinutes(0)).toBe('0 min');
    expect(formatMinutes(42.4)).toBe('42 min');
    expect(formatMinutes(60)).toBe('1 h');
    expect(formatMinutes(95)).toBe('1 h 35 min');
    expect(formatMinutes(1505)).toBe('25 h 05 min');
    expect(formatMinutes(-4)).toBe('−4 min');
  });
});
