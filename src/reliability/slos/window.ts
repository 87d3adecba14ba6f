/**
 * SLO time windows (OpenSLO v1 `spec.timeWindow[0]`) and the period each one covers at an instant.
 *
 * - Rolling, `{duration, isRolling: true}`: the period is [now − duration, now). It is always
 *   full (elapsed fraction 1). A rolling `M`/`Q`/`Y` steps back on the UTC calendar (a rolling 1M
 *   on 31 March starts on 28 or 29 February), since a rolling window has no zone.
 * - Calendar, `{duration, calendar: {startTime, timeZone}}`: periods are laid end to end from
 *   `startTime` in `timeZone`, before and after it, and the period is the one that holds `now`.
 *   `m`/`h` periods are fixed lengths of real time; `d`/`w` periods start at the same wall-clock
 *   time each day (a Berlin day that springs forward is 23 hours long); `M`/`Q`/`Y` periods start
 *   on the same day of the month, clamped to shorter months and always counted from startTime,
 *   so a start on 31 January gives periods starting 31 Jan, 28/29 Feb, 31 Mar, 30 Apr, … with no
 *   drift.
 *
 * Rules from the OpenSLO spec and its go-sdk (`pkg/openslo/v1/slo.go`): `calendar` is present
 * exactly when the window is not rolling; startTime is `YYYY-MM-DD HH:MM:SS`; the zone is an IANA
 * name. Time is a parameter: nothing here reads a clock.
 */
import { SloSpecError, shown } from './errors.js';
import {
  calendarMonths,
  fixedDurationMs,
  parseOpensloDuration,
  type OpensloDuration,
  formatOpensloDuration,
} from './openslo-duration.js';
import {
  addDays,
  addMonths,
  checkTimeZone,
  instantOf,
  localAt,
  parseStartTime,
  type LocalDateTime,
} from './zoned-time.js';

export type TimeWindow =
  | { readonly kind: 'rolling'; readonly duration: OpensloDuration }
  | {
      readonly kind: 'calendar';
      readonly duration: OpensloDuration;
      readonly startTime: LocalDateTime;
      readonly timeZone: string;
    };

/** A time window as the document writes it (OpenSLO `timeWindow[0]`), before checking. */
export interface TimeWindowSpec {
  readonly duration?: unknown;
  readonly isRolling?: unknown;
  readonly calendar?: { readonly startTime?: unknown; readonly timeZone?: unknown } | null;
}

/** The stretch of time an SLO is judged over at one instant. */
export interface Period {
  /** First millisecond of the period (inclusive). */
  readonly startMs: number;
  /** End of the period (exclusive); for a rolling window, `now`. */
  readonly endMs: number;
  /** endMs − startMs: the SLO period T of the budget and burn-rate formulas. */
  readonly lengthMs: number;
  /** The instant it was computed for. */
  readonly nowMs: number;
  /** How much of the period lies before now, in [0, 1]; always 1 for a rolling window. */
  readonly elapsedFraction: number;
  /**
   * Where the grid of time slices is anchored: the period start for a calendar window, the Unix
   * epoch for a rolling one (so the same slices stay the same slices as the window rolls on).
   */
  readonly sliceAnchorMs: number;
}

/** Check a time window as written; a `SloSpecError` naming the field under `field` otherwise. */
export function parseTimeWindow(spec: TimeWindowSpec, field = 'timeWindow[0]'): TimeWindow {
  const duration = parseOpensloDuration(spec.duration, `${field}.duration`);
  const hasCalendar = spec.calendar !== undefined && spec.calendar !== null;
  if (spec.isRolling !== undefined && typeof spec.isRolling !== 'boolean') {
    throw new SloSpecError(`${field}.isRolling`, 'true or false', shown(spec.isRolling));
  }
  if (spec.isRolling === true) {
    if (hasCalendar) {
      throw new SloSpecError(
        `${field}.calendar`,
        'no calendar on a rolling window (isRolling: true)',
        'a calendar',
      );
    }
    return { kind: 'rolling', duration };
  }
  if (!hasCalendar) {
    throw new SloSpecError(
      `${field}.calendar`,
      'a calendar {startTime, timeZone} when the window is not rolling (or isRolling: true)',
      'nothing',
    );
  }
  const calendar = spec.calendar!;
  const timeZone = checkTimeZone(calendar.timeZone, `${field}.calendar.timeZone`);
  const startTime = parseStartTime(calendar.startTime, `${field}.calendar.startTime`);
  return { kind: 'calendar', duration, startTime, timeZone };
}

/** The period of `window` that holds `nowMs` (see the module comment for each kind). */
export function periodAt(window: TimeWindow, nowMs: number): Period {
  if (window.kind === 'rolling') {
    const startMs = rollingStart(window.duration, nowMs);
    return { startMs, endMs: nowMs, lengthMs: nowMs - startMs, nowMs, elapsedFraction: 1, sliceAnchorMs: 0 };
  }
  const startOf = calendarStepper(window);
  // Guess the index from the first period's length, then walk to the period that holds now: a
  // few steps, since the guess is off only by month-length and DST differences.
  let index = Math.floor((nowMs - startOf(0)) / Math.max(1, startOf(1) - startOf(0)));
  while (startOf(index) > nowMs) index--;
  while (startOf(index + 1) <= nowMs) index++;
  const startMs = startOf(index);
  const endMs = startOf(index + 1);
  return {
    startMs,
    endMs,
    lengthMs: endMs - startMs,
    nowMs,
    elapsedFraction: (nowMs - startMs) / (endMs - startMs),
    sliceAnchorMs: startMs,
  };
}

/** Start of a rolling window ending at now. */
function rollingStart(duration: OpensloDuration, nowMs: number): number {
  const months = calendarMonths(duration);
  if (months === undefined) return nowMs - fixedDurationMs(duration, 'duration');
  const back = addMonths(localAt(nowMs, 'UTC'), -months);
  return instantOf(back, 'UTC') + (((nowMs % 1000) + 1000) % 1000);
}

/** A function from period index (0 = the one starting at startTime) to that period's start instant. */
function calendarStepper(window: Extract<TimeWindow, { kind: 'calendar' }>): (index: number) => number {
  const { duration, startTime, timeZone } = window;
  const anchorMs = instantOf(startTime, timeZone);
  const months = calendarMonths(duration);
  if (months !== undefined) return (index) => instantOf(addMonths(startTime, index * months), timeZone);
  if (duration.unit === 'd' || duration.unit === 'w') {
    const days = duration.unit === 'w' ? 7 * duration.amount : duration.amount;
    return (index) => instantOf(addDays(startTime, index * days), timeZone);
  }
  const stepMs = fixedDurationMs(duration, 'duration');
  return (index) => anchorMs + index * stepMs;
}

/** A window as a person reads it: `rolling 28d`, `calendar 1M from 2024-01-01 00:00:00 Europe/Berlin`. */
export function describeTimeWindow(window: TimeWindow): string {
  const duration = formatOpensloDuration(window.duration);
  if (window.kind === 'rolling') return `rolling ${duration}`;
  const t = window.startTime;
  const two = (n: number) => String(n).padStart(2, '0');
  const start = `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
  return `calendar ${duration} from ${start} ${window.timeZone}`;
}
