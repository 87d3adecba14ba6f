/**
 * Cron expressions and time zones, without I/O: a mistake is reported with its field, value and
 * column; fire times follow the zone across daylight saving changes.
 */
import { describe, expect, it } from 'vitest';
import { cronProblem, nextFireTime, nextFireTimes, timeZoneProblem } from './cron.js';
import { misfireDecision, MISFIRE_GRACE_MS } from './model.js';

const utc = (text: string) => Date.parse(text);
const isoTimes = (times: number[]) => times.map((time) => new Date(time).toISOString());

describe('cron validation', () => {
  it.each([
    '* * * * *',
    '*/5 * * * * *',
    '0 30 2 * * *',
    '0 9 * * MON-FRI',
    '15 4 1,15 jan-mar *',
    '0 0 L * *',
    '0 0 15W * *',
    '0 0 * * 5L',
    '0 0 * * MON#2',
    '0 0 ? * 0-7',
    '0-30/10 * * * *',
    '@daily',
    '@hourly',
  ])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    ['0 0 32 * *', 'field 3 (day of month) "32" at column 5: must be 1-31'],
    ['0 0 1,32 * *', 'field 3 (day of month) "32" at column 7: must be 1-31'],
    ['61 * * * * *', 'field 1 (second) "61" at column 1: must be 0-59'],
    ['0 24 * * *', 'field 2 (hour) "24" at column 3: must be 0-23'],
    ['0 0 * 13 *', 'field 4 (month) "13" at column 7: must be 1-12'],
    ['0 0 * * 8', 'field 5 (day of week) "8" at column 9: must be 0-7'],
    [
      '0 0 * * MNO',
      'field 5 (day of week) "MNO" at column 9: must be 0-7 or a name (SUN-SAT) (did you mean "MON"?)',
    ],
    [
      '0 0 * JNA *',
      'field 4 (month) "JNA" at column 7: must be 1-12 or a name (JAN-DEC) (did you mean "JAN"?)',
    ],
    [
      '5/10 * * * *',
      'field 1 (minute) "5/10" at column 1: a step needs * or a range before it: write */10 or 5-59/10',
    ],
    ['*/0 * * * *', 'field 1 (minute) "*/0" at column 1: a step of 0 never advances'],
    ['*/90 * * * *', 'field 1 (minute) "*/90" at column 1: step 90 is larger than the field\'s range (0-59)'],
    [
      '0 0 20-10 * *',
      'field 3 (day of month) "20-10" at column 5: range 20-10 goes backwards: write the smaller value first (ranges do not wrap)',
    ],
    ['0,,5 * * * *', 'field 1 (minute) "0,,5" at column 1: is empty (two commas, or a comma at an end)'],
    ['? * * * *', 'field 1 (minute) "?" at column 1: "?" is only for day of month or day of week: use *'],
    [
      '0 0 * * 1#6',
      'field 5 (day of week) "1#6" at column 9: "#6" must be #1-#5 (the nth such weekday of the month)',
    ],
    [
      '0 0 * * L',
      'field 5 (day of week) "L" at column 9: "L" needs a weekday before it: 5L is the last Friday',
    ],
    ['0 0 1.5 * *', 'field 3 (day of month) "1.5" at column 5: must be a number 1-31'],
  ])('reports %s with its field and column', (expression, message) => {
    expect(cronProblem(expression)).toBe(message);
  });

  it('counts fields, and knows the nicknames', () => {
    expect(cronProblem('* * * *')).toMatch(/^has 4 fields: expected 5 .* or 6 \(second first\)$/);
    expect(cronProblem('0 0 1 1 * 2030 x')).toMatch(/^has 7 fields/);
    expect(cronProblem('')).toMatch(/^has 0 fields/);
    expect(cronProblem('@dialy')).toBe(
      'unknown nickname "@dialy" (did you mean "@daily"?): use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
    );
  });
});

describe('time zones', () => {
  it('accepts IANA names and UTC', () => {
    expect(timeZoneProblem('UTC')).toBeUndefined();
    expect(timeZoneProblem('Europe/Paris')).toBeUndefined();
    expect(timeZoneProblem('America/Argentina/Buenos_Aires')).toBeUndefined();
  });

  it('suggests the closest name for an unknown one', () => {
    expect(timeZoneProblem('Europe/Pariss')).toBe(
      'unknown time zone "Europe/Pariss" (did you mean "Europe/Paris"?): use an IANA name such as UTC, Europe/Paris or America/New_York',
    );
    expect(timeZoneProblem('Mars/Olympus_Mons')).toMatch(
      /^unknown time zone "Mars\/Olympus_Mons": use an IANA name/,
    );
  });
});

describe('fire times', () => {
  it('are strictly after the given time, to the second', () => {
    expect(isoTimes(nextFireTimes('* * * * * *', 'UTC', utc('2025-01-01T00:00:00.000Z'), 2))).toEqual([
      '2025-01-01T00:00:01.000Z',
      '2025-01-01T00:00:02.000Z',
    ]);
    expect(nextFireTime('*/15 * * * * *', 'UTC', utc('2025-01-01T00:00:14.999Z'))).toBe(
      utc('2025-01-01T00:00:15.000Z'),
    );
  });

  it('read the expression in its zone', () => {
    // 09:00 in New York is 14:00 UTC in winter, 13:00 in summer.
    expect(isoTimes(nextFireTimes('0 9 * * *', 'America/New_York', utc('2025-03-07T00:00:00Z'), 3))).toEqual([
      '2025-03-07T14:00:00.000Z',
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T13:00:00.000Z',
    ]);
  });

  it('run a time that daylight saving skips once, after the gap', () => {
    // Paris springs forward on 2025-03-30 at 02:00 to 03:00: 02:30 does not exist that day.
    expect(isoTimes(nextFireTimes('30 2 * * *', 'Europe/Paris', utc('2025-03-28T12:00:00Z'), 4))).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
      '2025-04-01T00:30:00.000Z',
    ]);
  });

  it('run a time that daylight saving repeats once, and an interval on both occurrences', () => {
    // Paris falls back on 2025-10-26 at 03:00 to 02:00: 02:30 happens twice.
    expect(isoTimes(nextFireTimes('30 2 * * *', 'Europe/Paris', utc('2025-10-25T12:00:00Z'), 2))).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
    expect(isoTimes(nextFireTimes('*/30 * * * *', 'Europe/Paris', utc('2025-10-26T00:15:00Z'), 4))).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-26T01:00:00.000Z',
      '2025-10-26T01:30:00.000Z',
      '2025-10-26T02:00:00.000Z',
    ]);
  });

  it('end when no date matches', () => {
    expect(nextFireTime('0 0 30 2 *', 'UTC', Date.now())).toBeUndefined();
  });
});

describe('misfires', () => {
  const due = utc('2025-01-01T00:00:00Z');

  it('are fires later than the grace', () => {
    expect(misfireDecision({ misfire: 'skip' }, due, due + 1_000)).toEqual({ misfire: false });
    expect(misfireDecision({ misfire: 'skip' }, due, due + MISFIRE_GRACE_MS)).toEqual({ misfire: false });
    expect(misfireDecision({ misfire: 'skip' }, due, due + MISFIRE_GRACE_MS + 1)).toMatchObject({
      misfire: true,
      run: false,
    });
  });

  it('run once or not at all by policy, and say why', () => {
    const late = due + 5 * 60_000;
    expect(misfireDecision({ misfire: 'skip' }, due, late)).toEqual({
      misfire: true,
      run: false,
      reason: 'missed 2025-01-01T00:00:00.000Z by 300s (no server was firing schedules); misfire: skip',
    });
    expect(misfireDecision({ misfire: 'runOnce' }, due, late)).toEqual({
      misfire: true,
      run: true,
      reason:
        'missed 2025-01-01T00:00:00.000Z by 300s (no server was firing schedules); misfire: runOnce, so it runs once now',
    });
  });
});
