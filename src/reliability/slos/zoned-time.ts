/**
 * Wall-clock time in an IANA time zone, with nothing but `Intl.DateTimeFormat` (Node ships full
 * ICU): the offset of a zone at an instant, the instant of a local date-time, and calendar
 * arithmetic on local dates. Calendar SLO windows stand on it: a month, a quarter or a day
 * starts at the same local time in the SLO's zone whatever DST does in between.
 *
 * A local time that a DST change skips or repeats resolves as Temporal's `disambiguation:
 * 'compatible'` does (TC39 Temporal, `ZonedDateTime.from`): a skipped time (02:30 on the night
 * clocks go forward) moves forward by the gap (03:30); a repeated one (02:30 on the night they go
 * back) takes the earlier instant, the first time the clock shows it.
 */
import { SloSpecError, shown } from './errors.js';

/** A date and time as a wall clock shows it, without zone; month is 1-12. */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter of a zone, made once; throws RangeError for a name ICU does not know. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Check an IANA zone name (`Europe/Berlin`, `UTC`); a `SloSpecError` on `field` when ICU does not know it. */
export function checkTimeZone(timeZone: unknown, field: string): string {
  const expected = 'an IANA time zone name such as Europe/Berlin or UTC';
  if (typeof timeZone !== 'string' || timeZone === '')
    throw new SloSpecError(field, expected, shown(timeZone));
  try {
    formatterFor(timeZone);
  } catch {
    throw new SloSpecError(field, expected, shown(timeZone));
  }
  return timeZone;
}

/** What a wall clock in `timeZone` shows at `instantMs` (to the second). */
export function localAt(instantMs: number, timeZone: string): LocalDateTime {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs)))
    fields[part.type] = part.value;
  const yearOfEra = Number(fields.year);
  return {
    year: fields.era === 'BC' ? 1 - yearOfEra : yearOfEra,
    month: Number(fields.month),
    day: Number(fields.day),
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
  };
}

/** Milliseconds since the epoch of a local date-time read as if it were UTC. */
function asUtcMs(local: LocalDateTime): number {
  const date = new Date(0);
  date.setUTCFullYear(local.year, local.month - 1, local.day);
  date.setUTCHours(local.hour, local.minute, local.second, 0);
  return date.getTime();
}

/** The zone's offset from UTC at an instant, in milliseconds (+3,600,000 for CET). */
export function offsetAt(instantMs: number, timeZone: string): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return asUtcMs(localAt(wholeSecond, timeZone)) - wholeSecond;
}

const DAY_MS = 86_400_000;

/**
 * The instant a wall clock in `timeZone` shows `local`, resolved as Temporal's 'compatible'
 * disambiguation does (see the module comment). Zone changes less than two days apart, which no
 * zone has had, could resolve one side of the pair wrongly.
 */
export function instantOf(local: LocalDateTime, timeZone: string): number {
  const wall = asUtcMs(local);
  const offsetBefore = offsetAt(wall - DAY_MS, timeZone);
  const offsetAfter = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => wall - offset)
    .filter((instant) => asUtcMs(localAt(instant, timeZone)) === wall)
    .sort((a, b) => a - b);
  // Repeated (two candidates): the earlier. Skipped (none): the offset in force before the gap,
  // which lands as far past the gap as the wall time was into it.
  return candidates[0] ?? wall - offsetBefore;
}

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/**
 * A local date-time moved by whole months, the day clamped to the end of a shorter month
 * (31 January + 1 month = 28 or 29 February), time of day kept.
 */
export function addMonths(local: LocalDateTime, months: number): LocalDateTime {
  const index = local.year * 12 + (local.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { ...local, year, month, day: Math.min(local.day, daysInMonth(year, month)) };
}

/** A local date-time moved by whole days on the calendar, time of day kept. */
export function addDays(local: LocalDateTime, days: number): LocalDateTime {
  const date = new Date(0);
  date.setUTCFullYear(local.year, local.month - 1, local.day + days);
  return { ...local, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

const START_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parse an OpenSLO calendar `startTime`, `YYYY-MM-DD HH:MM:SS` with no zone (the zone is
 * `calendar.timeZone`); a `SloSpecError` on `field` for another format or an impossible date.
 */
export function parseStartTime(text: unknown, field: string): LocalDateTime {
  const expected = 'a date and time written YYYY-MM-DD HH:MM:SS, without a zone (e.g. 2024-01-01 00:00:00)';
  if (typeof text !== 'string') throw new SloSpecError(field, expected, shown(text));
  const match = START_TIME.exec(text);
  if (!match) throw new SloSpecError(field, expected, shown(text));
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) throw new SloSpecError(field, 'a month from 01 to 12', shown(text));
  if (day < 1 || day > daysInMonth(year, month)) {
    throw new SloSpecError(field, `a day from 01 to ${daysInMonth(year, month)} in that month`, shown(text));
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new SloSpecError(field, 'a time from 00:00:00 to 23:59:59', shown(text));
  }
  return { year, month, day, hour, minute, second };
}
