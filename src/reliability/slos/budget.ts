/**
 * Error budgets for the three OpenSLO budgeting methods, from what the SLI measured per time slice.
 *
 * Formulas: error budget = 1 − target (Google SRE Workbook, "Implementing SLOs"); Occurrences,
 * Timeslices and RatioTimeslices as OpenSLO defines them (README "budgetingMethod";
 * `examples/budgeting-method/README.md`, whose worked number is checked in budget.test.ts:
 * 2 weeks, 95%, 1-minute slices → 1,008 bad minutes).
 *
 * - Occurrences: attainment = good / total events in the period so far; the budget is
 *   (1 − target) × total events so far, consumed by the bad events. The future traffic of a
 *   calendar period is unknown, so the allowance grows with it (as Sloth, Pyrra and the Workbook
 *   compute it).
 * - Timeslices: a slice is good when its SLI (good/total, or the ratio sampled) reaches
 *   `timeSliceTarget`; attainment = good slices / judged slices. The budget is the whole period's
 *   (1 − target) × period minutes, consumed by the minutes of bad slices, and in slices
 *   (1 − target) × period / slice.
 * - RatioTimeslices: attainment = the mean of the slice ratios; the budget is the same minutes as
 *   Timeslices, consumed by (1 − ratio) × slice minutes of every slice, so a slice at 90% spends
 *   a tenth of its minutes.
 *
 * Slices lie on a grid of `timeSliceMs` from `period.sliceAnchorMs`; the last one of a calendar
 * period may be cut short by the period end. A rolling window's grid is anchored at the epoch, so
 * the slice its start cuts through is left out of the slice methods (at most one slice, and the
 * same slices stay the same as the window moves). A slice is **due** once it has ended before `now`.
 * A slice without data is one with no sample, or with samples totalling zero events: nothing was
 * measured, which is not the same as all good. What a due slice without data counts as is the
 * caller's explicit choice, `missingSlices`: `skip` (judged neither way; attainment is over
 * measured slices only, no budget spent), `good`, or `bad` (spends the slice, the strict choice
 * for "no data means down"). The slice in progress counts with what it has so far, and is never
 * missing. Occurrences needs no such choice: a slice without events adds no events.
 */
import { SloSpecError, shown } from './errors.js';
import { errorBudgetFraction, type BudgetingMethod, type Objective } from './objective.js';
import type { Period } from './window.js';

/** What the SLI measured over one time slice starting at `startMs`: event counts, or a ratio in [0, 1]. */
export type SliceSample =
  | { readonly startMs: number; readonly good: number; readonly total: number }
  | { readonly startMs: number; readonly ratio: number };

export type MissingSlices = 'skip' | 'good' | 'bad';

export interface BudgetInput {
  readonly method: BudgetingMethod;
  readonly objective: Objective;
  readonly period: Period;
  /** Samples in any order; those outside the period are ignored. */
  readonly samples: readonly SliceSample[];
  /** How due slices without data count (Timeslices, RatioTimeslices); see the module comment. */
  readonly missingSlices: MissingSlices;
}

export interface SliceCounts {
  readonly sliceMs: number;
  /** Slices whose data counts so far (measured, plus missing ones counted good or bad). */
  readonly judged: number;
  /** Timeslices: slices that reached timeSliceTarget. RatioTimeslices: slices at a ratio of 1. */
  readonly good: number;
  /** The other judged slices: those that spent budget. */
  readonly bad: number;
  /** Due slices without data. */
  readonly missing: number;
  /** Bad slices the whole period allows: (1 − target) × period / slice. */
  readonly allowedBad: number;
}

export interface BudgetReport {
  readonly method: BudgetingMethod;
  readonly target: number;
  /** The SLI over the period so far; null when nothing was measured (no events, no judged slice). */
  readonly attainment: number | null;
  /** The natural unit of the amounts below: bad events, or bad minutes. */
  readonly unit: 'events' | 'minutes';
  /** The error budget for the period. */
  readonly allowed: number;
  readonly consumed: number;
  /** allowed − consumed; below zero once the budget is overspent. */
  readonly remaining: number;
  /** consumed / allowed (0 when nothing is allowed because nothing was measured). */
  readonly consumedRatio: number;
  /** 1 − consumedRatio; below zero once overspent. */
  readonly remainingRatio: number;
  /** Occurrences: the events counted. */
  readonly events?: { readonly good: number; readonly total: number; readonly bad: number };
  /** Timeslices and RatioTimeslices: the slices counted. */
  readonly slices?: SliceCounts;
}

const MINUTE_MS = 60_000;

/** The error budget of one objective over a period (see the module comment for each method). */
export function computeBudget(input: BudgetInput): BudgetReport {
  const { method, objective, period } = input;
  const samples = input.samples.map((sample, index) => checkSample(sample, index));
  const inPeriod = samples.filter((s) => s.startMs >= period.startMs && s.startMs < period.endMs);
  if (method === 'Occurrences') return occurrences(objective, inPeriod);
  const sliceMs = objective.timeSliceMs;
  if (sliceMs === undefined) {
    throw new SloSpecError('timeSliceWindow', `a time slice length with ${method}`, 'nothing');
  }
  if (sliceMs > period.lengthMs) {
    throw new SloSpecError(
      'timeSliceWindow',
      `a slice no longer than the period (${period.lengthMs / MINUTE_MS} minutes)`,
      `${sliceMs / MINUTE_MS} minutes`,
    );
  }
  return timeslices(method, objective, period, sliceMs, inPeriod, input.missingSlices);
}

interface CheckedSample {
  /** Where it was in the input, for messages (`samples[3]`): an index, made a string only for one. */
  readonly index: number;
  readonly startMs: number;
  readonly good?: number;
  readonly total?: number;
  readonly ratio?: number;
}

function checkSample(sample: SliceSample, index: number): CheckedSample {
  const field = () => `samples[${index}]`;
  if (!Number.isFinite(sample.startMs))
    throw new SloSpecError(`${field()}.startMs`, 'a time in milliseconds', shown(sample.startMs));
  if ('ratio' in sample) {
    if (!Number.isFinite(sample.ratio) || sample.ratio < 0 || sample.ratio > 1) {
      throw new SloSpecError(`${field()}.ratio`, 'a ratio in [0, 1]', shown(sample.ratio));
    }
    return { index, startMs: sample.startMs, ratio: sample.ratio };
  }
  const { good, total } = sample;
  if (!Number.isFinite(total) || total < 0)
    throw new SloSpecError(`${field()}.total`, 'a count of 0 or more', shown(total));
  if (!Number.isFinite(good) || good < 0)
    throw new SloSpecError(`${field()}.good`, 'a count of 0 or more', shown(good));
  if (good > total) {
    throw new SloSpecError(`${field()}.good`, `at most the total (${total}) events`, shown(good));
  }
  return { index, startMs: sample.startMs, good, total };
}

function occurrences(objective: Objective, samples: readonly CheckedSample[]): BudgetReport {
  let good = 0;
  let total = 0;
  for (const sample of samples) {
    if (sample.ratio !== undefined) {
      throw new SloSpecError(
        `samples[${sample.index}].ratio`,
        'good and total counts with Occurrences (a ratio alone can be budgeted with Timeslices or RatioTimeslices)',
        `ratio ${sample.ratio}`,
      );
    }
    good += sample.good!;
    total += sample.total!;
  }
  const bad = total - good;
  const allowed = errorBudgetFraction(objective.target) * total;
  return report('Occurrences', objective.target, total === 0 ? null : good / total, 'events', allowed, bad, {
    events: { good, total, bad },
  });
}

/** The data that fell in one slice of the grid. */
interface Slice {
  good: number;
  total: number;
  ratios: number[];
}

function timeslices(
  method: 'Timeslices' | 'RatioTimeslices',
  objective: Objective,
  period: Period,
  sliceMs: number,
  samples: readonly CheckedSample[],
  missingSlices: MissingSlices,
): BudgetReport {
  const firstMs =
    period.sliceAnchorMs + Math.ceil((period.startMs - period.sliceAnchorMs) / sliceMs) * sliceMs;
  const slices = new Map<number, Slice>();
  const sliceAt = (index: number): Slice => {
    let slice = slices.get(index);
    if (!slice) {
      slice = { good: 0, total: 0, ratios: [] };
      slices.set(index, slice);
    }
    return slice;
  };
  for (const sample of samples) {
    if (sample.startMs < firstMs || sample.startMs >= period.nowMs) continue; // before the first whole slice, or not yet
    const slice = sliceAt(Math.floor((sample.startMs - firstMs) / sliceMs));
    if (sample.ratio !== undefined) slice.ratios.push(sample.ratio);
    else {
      slice.good += sample.good!;
      slice.total += sample.total!;
    }
  }

  const dueCount = Math.max(0, Math.floor((Math.min(period.nowMs, period.endMs) - firstMs) / sliceMs));
  const lastDueEnd = firstMs + dueCount * sliceMs;
  // A cut-short last slice of a calendar period is due once the period has ended.
  const cutShortDue = period.nowMs >= period.endMs && lastDueEnd < period.endMs;
  const due = dueCount + (cutShortDue ? 1 : 0);

  let judged = 0;
  let good = 0;
  let bad = 0;
  let missing = 0;
  let ratioSum = 0;
  let badMs = 0;
  const judge = (ratio: number, lengthMs: number) => {
    judged++;
    ratioSum += ratio;
    if (method === 'RatioTimeslices') {
      badMs += (1 - ratio) * lengthMs;
      if (ratio === 1) good++;
      else bad++;
    } else if (ratio >= objective.timeSliceTarget!) good++;
    else {
      bad++;
      badMs += lengthMs;
    }
  };
  // The slices with data, then the due slices without (the evaluation runs this for every SLO
  // each minute: walking the due slices once, without building a set of them, keeps it cheap).
  // The last slice of a calendar period, and a rolling window's slice in progress, are cut at the end.
  const lengthOf = (index: number) => Math.min(sliceMs, period.endMs - (firstMs + index * sliceMs));
  const judgeMissing = (index: number) => {
    missing++;
    if (missingSlices === 'good') judge(1, lengthOf(index));
    else if (missingSlices === 'bad') judge(0, lengthOf(index));
  };
  for (const [index, slice] of slices) {
    const ratio = sliceRatio(slice);
    if (ratio !== undefined) judge(ratio, lengthOf(index));
    else if (index < due) judgeMissing(index);
  }
  for (let index = 0; index < due; index++) if (!slices.has(index)) judgeMissing(index);

  const attainment = judged === 0 ? null : method === 'Timeslices' ? good / judged : ratioSum / judged;
  const budget = errorBudgetFraction(objective.target);
  const allowed = (budget * period.lengthMs) / MINUTE_MS;
  return report(method, objective.target, attainment, 'minutes', allowed, badMs / MINUTE_MS, {
    slices: {
      sliceMs,
      judged,
      good,
      bad,
      missing,
      allowedBad: (budget * period.lengthMs) / sliceMs,
    },
  });
}

/** The SLI of one slice: mean of sampled ratios and count ratios, or undefined when nothing was measured. */
function sliceRatio(slice: Slice): number | undefined {
  if (slice.ratios.length === 0) return slice.total === 0 ? undefined : slice.good / slice.total;
  const ratios = slice.total === 0 ? slice.ratios : [...slice.ratios, slice.good / slice.total];
  return ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
}

function report(
  method: BudgetingMethod,
  target: number,
  attainment: number | null,
  unit: 'events' | 'minutes',
  allowed: number,
  consumed: number,
  detail: Pick<BudgetReport, 'events' | 'slices'>,
): BudgetReport {
  const consumedRatio = allowed === 0 ? 0 : consumed / allowed;
  return {
    method,
    target,
    attainment,
    unit,
    allowed,
    consumed,
    remaining: allowed - consumed,
    consumedRatio,
    remainingRatio: 1 - consumedRatio,
    ...detail,
  };
}

/** One objective's report and its weight, for `combineComposite`. */
export interface CompositePart {
  readonly weight: number;
  readonly report: BudgetReport;
}

export interface CompositeReport {
  /** Weighted mean of the parts' attainments (parts without data left out); null when none has data. */
  readonly attainment: number | null;
  /** Weighted mean of the parts' consumed shares of their own budgets. */
  readonly consumedRatio: number;
  readonly remainingRatio: number;
}

/**
 * A composite SLO (OpenSLO: an indicator per objective, each with `compositeWeight`): each part
 * is judged against its own target and budget, and the composite's budget share is the weighted
 * mean of the parts' shares, so a part with weight 2 spends the composite budget twice as fast as
 * one with weight 1. This is the weighted-average composite of Nobl9 and Elastic; the natural
 * units (events, minutes) of different parts do not add up, so a composite has only ratios.
 */
export function combineComposite(parts: readonly CompositePart[]): CompositeReport {
  if (parts.length === 0)
    throw new SloSpecError('objectives', 'at least one objective in a composite SLO', 'none');
  let weights = 0;
  let consumed = 0;
  let attainmentWeights = 0;
  let attainment = 0;
  parts.forEach(({ weight, report: part }, index) => {
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new SloSpecError(
        `objectives[${index}].compositeWeight`,
        'a number greater than 0',
        shown(weight),
      );
    }
    weights += weight;
    consumed += weight * part.consumedRatio;
    if (part.attainment !== null) {
      attainmentWeights += weight;
      attainment += weight * part.attainment;
    }
  });
  const consumedRatio = consumed / weights;
  return {
    attainment: attainmentWeights === 0 ? null : attainment / attainmentWeights,
    consumedRatio,
    remainingRatio: 1 - consumedRatio,
  };
}
