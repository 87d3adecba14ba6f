import { describe, expect, it } from 'vitest';
import { apiTimeBound, describeTimeRange, fieldOfProblem, timeBoundProblem } from './time-bound';

describe('time bounds as typed in a filter', () => {
  it('accepts what the API accepts: durations ago, ISO dates and times, or nothing', () => {
    for (const text of [
      '',
      '  ',
      '7d',
      '12h',
      '1h30m',
      '90s',
      '2025-03-14',
      '2025-03-14T09:00',
      '2025-03-14T09:00:00Z',
    ]) {
      expect(timeBoundProblem(text), text).toBeNull();
    }
  });

  it('explains a bound the API would refuse, with examples of right ones', () => {
    for (const text of ['last week', '7 days', '14/03/2025', '2025-13-45', 'd7']) {
      expect(timeBoundProblem(text), text).toMatch(/2025-03-14.*7d/);
    }
  });

  it('sends durations and zoned times as written', () => {
    expect(apiTimeBound('7d')).toBe('7d');
    expect(apiTimeBound('2025-03-14T09:00:00Z')).toBe('2025-03-14T09:00:00Z');
    expect(apiTimeBound('2025-03-14T09:00+02:00')).toBe('2025-03-14T09:00+02:00');
    expect(apiTimeBound('')).toBeUndefined();
  });

  it("reads a date or time without a zone on the person's own clock", () => {
    expect(apiTimeBound('2025-03-14')).toBe(new Date(2025, 2, 14, 0, 0).toISOString());
    expect(apiTimeBound('2025-03-14T09:30')).toBe(new Date(2025, 2, 14, 9, 30).toISOString());
  });

  it('says the range in words', () => {
    expect(describeTimeRange('7d', '')).toBe('last 7 d');
    expect(describeTimeRange('2025-03-01', '2025-03-02')).toBe('since 2025-03-01 until 2025-03-02');
    expect(describeTimeRange('7d', '1d')).toBe('since 7d until 1d');
    expect(describeTimeRange('', '')).toBe('all time');
  });

  it('maps the field path of a refusal to the filter', () => {
    expect(fieldOfProblem('querystring.since')).toBe('since');
    expect(fieldOfProblem('body.comment')).toBe('body.comment');
  });
});
