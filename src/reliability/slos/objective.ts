/**
 * An SLO objective as the math needs it, checked against the OpenSLO v1 rules (OpenSLO README
 * "Objectives"; go-sdk `pkg/openslo/v1/slo.go`): exactly one of `target` in [0, 1) and
 * `targetPercent` in [0, 100); `timeSliceTarget` in (0, 1] and `timeSliceWindow` for Timeslices;
 * `timeSliceWindow` for RatioTimeslices; neither for Occurrences. A bare number for
 * `timeSliceWindow` is minutes, as the spec says. `compositeWeight`, when given, is above 0
 * (default 1).
 */
import { SloSpecError, shown } from './errors.js';
import { fixedDurationMs, parseOpensloDuration } from './openslo-duration.js';
import type { TimeWindow } from './window.js';

export const BUDGETING_METHODS = ['Occurrences', 'Timeslices', 'RatioTimeslices'] as const;
export type BudgetingMethod = (typeof BUDGETING_METHODS)[number];

/** A checked objective. */
export interface Objective {
  /** The share of good events, slices or slice ratio the SLO promises, in [0, 1). */
  readonly target: number;
  /** Timeslices: the SLI a slice must reach to count as good, in (0, 1]. */
  readonly timeSliceTarget?: number;
  /** Timeslices and RatioTimeslices: the length of a slice. */
  readonly timeSliceMs?: number;
  /** Its weight in a composite SLO. */
  readonly compositeWeight: number;
}

/** An objective as the document writes it, before checking. */
export interface ObjectiveSpec {
  readonly target?: unknown;
  readonly targetPercent?: unknown;
  readonly timeSliceTarget?: unknown;
  readonly timeSliceWindow?: unknown;
  readonly compositeWeight?: unknown;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Check a budgeting method name; a `SloSpecError` on `field` for anything else. */
export function parseBudgetingMethod(value: unknown, field = 'budgetingMethod'): BudgetingMethod {
  if (typeof value === 'string' && (BUDGETING_METHODS as readonly string[]).includes(value)) {
    return value as BudgetingMethod;
  }
  throw new SloSpecError(field, `one of ${BUDGETING_METHODS.join(', ')}`, shown(value));
}

/** The target as a fraction from `target` or `targetPercent`, exactly one of them. */
export function parseTarget(spec: ObjectiveSpec, field: string): number {
  const { target, targetPercent } = spec;
  if (target !== undefined && targetPercent !== undefined) {
    throw new SloSpecError(`${field}.targetPercent`, 'either target or targetPercent, not both', 'both');
  }
  if (target !== undefined) {
    if (typeof target !== 'number' || !Number.isFinite(target) || target < 0 || target >= 1) {
      throw new SloSpecError(
        `${field}.target`,
        'a number in [0, 1), e.g. 0.999 (a target of 1 leaves no budget)',
        shown(target),
      );
    }
    return target;
  }
  if (targetPercent !== undefined) {
    if (
      typeof targetPercent !== 'number' ||
      !Number.isFinite(targetPercent) ||
      targetPercent < 0 ||
      targetPercent >= 100
    ) {
      throw new SloSpecError(
        `${field}.targetPercent`,
        'a number in [0, 100), e.g. 99.9 (a target of 100% leaves no budget)',
        shown(targetPercent),
      );
    }
    return targetPercent / 100;
  }
  throw new SloSpecError(`${field}.target`, 'target in [0, 1) or targetPercent in [0, 100)', 'neither');
}

/**
 * Check one objective for a method and window; `field` is its path (`objectives[0]`). The slice
 * must fit in the shortest period the window can have, or the period would hold no whole slice.
 */
export function parseObjective(
  spec: ObjectiveSpec,
  method: BudgetingMethod,
  window: TimeWindow,
  field: string,
): Objective {
  const target = parseTarget(spec, field);
  const compositeWeight = parseCompositeWeight(spec.compositeWeight, `${field}.compositeWeight`);
  if (method === 'Occurrences') {
    if (spec.timeSliceTarget !== undefined) {
      throw new SloSpecError(
        `${field}.timeSliceTarget`,
        'no timeSliceTarget with budgetingMethod Occurrences',
        shown(spec.timeSliceTarget),
      );
    }
    if (spec.timeSliceWindow !== undefined) {
      throw new SloSpecError(
        `${field}.timeSliceWindow`,
        'no timeSliceWindow with budgetingMethod Occurrences (it counts events, not slices)',
        shown(spec.timeSliceWindow),
      );
    }
    return { target, compositeWeight };
  }
  const timeSliceMs = parseTimeSliceWindow(spec.timeSliceWindow, `${field}.timeSliceWindow`, method);
  const shortest = shortestPeriodMs(window);
  if (timeSliceMs > shortest) {
    throw new SloSpecError(
      `${field}.timeSliceWindow`,
      `a slice no longer than the time window's shortest period (${Math.floor(shortest / MINUTE_MS)} minutes)`,
      shown(spec.timeSliceWindow),
    );
  }
  if (method === 'RatioTimeslices') {
    if (spec.timeSliceTarget !== undefined) {
      throw new SloSpecError(
        `${field}.timeSliceTarget`,
        'no timeSliceTarget with RatioTimeslices (it averages slice ratios; Timeslices counts good slices)',
        shown(spec.timeSliceTarget),
      );
    }
    return { target, timeSliceMs, compositeWeight };
  }
  const sliceTarget = spec.timeSliceTarget;
  if (
    typeof sliceTarget !== 'number' ||
    !Number.isFinite(sliceTarget) ||
    sliceTarget <= 0 ||
    sliceTarget > 1
  ) {
    throw new SloSpecError(
      `${field}.timeSliceTarget`,
      'a number in (0, 1] with Timeslices: the SLI a slice must reach to be good',
      shown(sliceTarget),
    );
  }
  return { target, timeSliceTarget: sliceTarget, timeSliceMs, compositeWeight };
}

function parseTimeSliceWindow(value: unknown, field: string, method: BudgetingMethod): number {
  if (value === undefined) {
    throw new SloSpecError(field, `a timeSliceWindow with ${method} (e.g. 1m or 5m)`, 'nothing');
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 1440) {
      throw new SloSpecError(
        field,
        'a whole number of minutes from 1 to 1440, or a duration such as 5m',
        shown(value),
      );
    }
    return value * MINUTE_MS;
  }
  return fixedDurationMs(parseOpensloDuration(value, field), field);
}

function parseCompositeWeight(value: unknown, field: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SloSpecError(field, 'a number greater than 0 (default 1)', shown(value));
  }
  return value;
}

/**
 * The shortest period a window can have: its length for `m`/`h` and rolling `d`/`w`, an hour
 * less for calendar days and weeks (a DST night), 28 days a month for `M`/`Q`/`Y`.
 */
export function shortestPeriodMs(window: TimeWindow): number {
  const { amount, unit } = window.duration;
  switch (unit) {
    case 'm':
    case 'h':
      return fixedDurationMs(window.duration, 'duration');
    case 'd':
    case 'w':
      return fixedDurationMs(window.duration, 'duration') - (window.kind === 'calendar' ? HOUR_MS : 0);
    case 'M':
      return amount * 28 * DAY_MS;
    case 'Q':
      return amount * 3 * 28 * DAY_MS;
    case 'Y':
      return amount * 12 * 28 * DAY_MS;
  }
}

/**
 * The error budget as a fraction, 1 − target, rounded to 12 decimals. Targets are decimals people
 * write (0.95, 99.9%), and 1 − 0.95 in binary is 0.05000000000000004, which would make the
 * worked example's 1,008 bad minutes 1,008.0000000000009; twelve decimals is far past any target
 * anyone writes (99.9999999% has nine).
 */
export function errorBudgetFraction(target: number): number {
  return Math.round((1 - target) * 1e12) / 1e12;
}
