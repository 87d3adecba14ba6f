/**
 * OpenSLO duration shorthands: an integer and one unit among `m h d w M Q Y` (`m` minutes, `M`
 * months, `Q` quarters, `Y` years), as the OpenSLO v1 spec writes `timeWindow.duration`,
 * `timeSliceWindow`, `lookbackWindow` and `alertAfter` (OpenSLO README; go-sdk
 * `pkg/openslo/v1/duration_shorthand.go`, which accepts `[0-9]+[mhdwMQY]`).
 *
 * Differences from the go-sdk, on purpose: zero is refused (the spec says a positive integer; a
 * zero-length window has no budget), sizes are bounded, and `M`/`Q`/`Y` have no fixed length here.
 * The go-sdk converts them to 30/90/365 days; a calendar window of `1M` starting on 1 February ends
 * on 1 March, 28 days later, so `window.ts` steps them on the calendar instead. Where a length is
 * needed before a period is known (storage estimates), `nominalMs` gives the go-sdk's figures.
 */
import { SloSpecError, shown } from './errors.js';

export type DurationUnit = 'm' | 'h' | 'd' | 'w' | 'M' | 'Q' | 'Y';

/** A parsed shorthand: `{ amount: 4, unit: 'w' }` for `4w`. */
export interface OpensloDuration {
  readonly amount: number;
  readonly unit: DurationUnit;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Milliseconds per unit for the units of fixed length; `d` and `w` are 24-hour days here. */
const FIXED_UNIT_MS: Partial<Record<DurationUnit, number>> = {
  m: MINUTE_MS,
  h: 60 * MINUTE_MS,
  d: DAY_MS,
  w: 7 * DAY_MS,
};

const MONTHS_PER_UNIT: Partial<Record<DurationUnit, number>> = { M: 1, Q: 3, Y: 12 };

/**
 * The largest amount per unit: ten years in every unit, the same ceiling as the rest of Baton
 * (`MAX_DURATION_MS` in src/contract/time.ts), so that a period start plus a duration stays far
 * inside a safe integer and no window keeps samples for longer than anyone means.
 */
export const MAX_AMOUNT: Readonly<Record<DurationUnit, number>> = {
  m: 3650 * 24 * 60,
  h: 3650 * 24,
  d: 3650,
  w: 521,
  M: 120,
  Q: 40,
  Y: 10,
};

const SHAPE = /^(\d+)([A-Za-z]+)$/;
const UNITS = new Set<string>(['m', 'h', 'd', 'w', 'M', 'Q', 'Y']);
const EXPECTED = 'a positive integer and a unit among m h d w M Q Y (e.g. 5m, 28d, 1M, 1Q)';

/** Parse `28d`, `1M`, `5m`; a `SloSpecError` on `field` for anything else. */
export function parseOpensloDuration(text: unknown, field: string): OpensloDuration {
  if (typeof text !== 'string') throw new SloSpecError(field, EXPECTED, shown(text));
  const match = SHAPE.exec(text);
  if (!match) throw new SloSpecError(field, EXPECTED, shown(text));
  const digits = match[1]!;
  const unit = match[2]!;
  if (!UNITS.has(unit)) {
    throw new SloSpecError(
      field,
      `a unit among m h d w M Q Y (case matters: m is minutes, M months)`,
      shown(text),
    );
  }
  const amount = Number(digits);
  const max = MAX_AMOUNT[unit as DurationUnit];
  if (amount < 1) throw new SloSpecError(field, `a positive amount (at least 1${unit})`, shown(text));
  if (amount > max) throw new SloSpecError(field, `at most ${max}${unit} (ten years)`, shown(text));
  return { amount, unit: unit as DurationUnit };
}

/** The shorthand as a document writes it: `28d`. */
export function formatOpensloDuration(duration: OpensloDuration): string {
  return `${duration.amount}${duration.unit}`;
}

/** Whether the unit is a calendar one (months, quarters, years), whose length depends on where it starts. */
export function isCalendarUnit(unit: DurationUnit): boolean {
  return MONTHS_PER_UNIT[unit] !== undefined;
}

/** How many calendar months a duration spans, or undefined for a fixed-length one. */
export function calendarMonths(duration: OpensloDuration): number | undefined {
  const perUnit = MONTHS_PER_UNIT[duration.unit];
  return perUnit === undefined ? undefined : perUnit * duration.amount;
}

/**
 * Milliseconds of a fixed-length duration (`m h d w`). A calendar one (`M Q Y`) raises a
 * `SloSpecError` on `field`: the caller needs a length where no calendar is at hand
 * (a time slice, a lookback window), and a month has none.
 */
export function fixedDurationMs(duration: OpensloDuration, field: string): number {
  const unitMs = FIXED_UNIT_MS[duration.unit];
  if (unitMs === undefined) {
    throw new SloSpecError(
      field,
      'a fixed-length duration in m, h, d or w (months, quarters and years vary in length)',
      shown(formatOpensloDuration(duration)),
    );
  }
  return duration.amount * unitMs;
}

/**
 * A length for estimates only (how many samples a window may hold): fixed units exactly, and the
 * go-sdk's 30, 90 and 365 days for a month, quarter and year.
 */
export function nominalMs(duration: OpensloDuration): number {
  const unitMs = FIXED_UNIT_MS[duration.unit];
  if (unitMs !== undefined) return duration.amount * unitMs;
  const nominalDays = { M: 30, Q: 90, Y: 365 }[duration.unit as 'M' | 'Q' | 'Y'];
  return duration.amount * nominalDays * DAY_MS;
}
