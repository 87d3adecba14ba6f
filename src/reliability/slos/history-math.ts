/**
 * The pure part of an SLO's history: the SLI and budget burn-down over the period, slice by
 * slice; its downsampling to a chart's few hundred points; and what a change cost, the share
 * of the period's error budget spent in the hours after it started ("this deploy burned 12% of
 * the monthly budget"). The amounts follow budget.ts: bad events for Occurrences, bad slice
 * minutes for Timeslices, (1 − ratio) × slice minutes for RatioTimeslices.
 */
import type { SliceSample } from './budget.js';
import { errorBudgetFraction, type BudgetingMethod, type Objective } from './objective.js';
import type { Period } from './window.js';

const MINUTE_MS = 60_000;

export interface SeriesPoint {
  /** End of the slice (or of the last slice of a downsampled bucket). */
  readonly atMs: number;
  /** SLI of the slice (mean over a bucket); null when nothing was measured. */
  readonly sli: number | null;
  /** Budget remaining (ratio) over the period up to this point. */
  readonly budgetRemainingRatio: number;
}

export interface BudgetSeriesInput {
  readonly method: BudgetingMethod;
  readonly objective: Objective;
  readonly period: Period;
  readonly sliceMs: number;
  /** Count samples, corrections already taken out. */
  readonly samples: readonly Extract<SliceSample, { good: number }>[];
}

/** The budget consumed by one slice, in the method's natural unit. */
function badUnits(
  method: BudgetingMethod,
  objective: Objective,
  sample: { good: number; total: number },
  sliceMs: number,
): number {
  if (sample.total <= 0) return 0;
  const ratio = sample.good / sample.total;
  if (method === 'Occurrences') return sample.total - sample.good;
  if (method === 'RatioTimeslices') return ((1 - ratio) * sliceMs) / MINUTE_MS;
  return ratio >= (objective.timeSliceTarget ?? 1) ? 0 : sliceMs / MINUTE_MS;
}

/**
 * Per slice with data in the period up to now, oldest first: its SLI and the budget remaining
 * after it. Occurrences' allowance grows with the events seen, as budget.ts computes it.
 */
export function budgetSeries(input: BudgetSeriesInput): SeriesPoint[] {
  const { method, objective, period, sliceMs } = input;
  const fraction = errorBudgetFraction(objective.target);
  const fixedAllowed = (fraction * period.lengthMs) / MINUTE_MS;
  const samples = input.samples
    .filter(
      (s) => s.startMs >= period.startMs && s.startMs < Math.min(period.endMs, period.nowMs) && s.total > 0,
    )
    .sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let consumed = 0;
  return samples.map((sample) => {
    total += sample.total;
    consumed += badUnits(method, objective, sample, sliceMs);
    const allowed = method === 'Occurrences' ? fraction * total : fixedAllowed;
    return {
      atMs: sample.startMs + sliceMs,
      sli: sample.good / sample.total,
      budgetRemainingRatio: allowed === 0 ? 1 : 1 - consumed / allowed,
    };
  });
}

/**
 * At most `max` points: consecutive points grouped into equal buckets, each the mean SLI of its
 * points and the budget remaining at its last one (a burn-down keeps its shape).
 */
export function downsample(points: readonly SeriesPoint[], max: number): SeriesPoint[] {
  if (points.length <= max) return [...points];
  const out: SeriesPoint[] = [];
  for (let bucket = 0; bucket < max; bucket++) {
    const from = Math.floor((bucket * points.length) / max);
    const to = Math.floor(((bucket + 1) * points.length) / max);
    const group = points.slice(from, to);
    if (group.length === 0) continue;
    const slis = group.map((p) => p.sli).filter((sli): sli is number => sli !== null);
    const last = group[group.length - 1]!;
    out.push({
      atMs: last.atMs,
      sli: slis.length === 0 ? null : slis.reduce((sum, sli) => sum + sli, 0) / slis.length,
      budgetRemainingRatio: last.budgetRemainingRatio,
    });
  }
  return out;
}

/**
 * The share of the period's budget (`allowed`, in the natural unit, from the budget report)
 * consumed by the slices that start within `hoursAfter` hours of `startMs`, the slice holding
 * `startMs` included; null when those hours hold no data or nothing is allowed.
 */
export function changeCost(input: {
  readonly method: BudgetingMethod;
  readonly objective: Objective;
  readonly sliceMs: number;
  readonly samples: readonly Extract<SliceSample, { good: number }>[];
  readonly allowed: number;
  readonly startMs: number;
  readonly hoursAfter: number;
}): number | null {
  const { method, objective, sliceMs } = input;
  const endMs = input.startMs + input.hoursAfter * 3_600_000;
  let measured = false;
  let consumed = 0;
  for (const sample of input.samples) {
    if (sample.startMs + sliceMs <= input.startMs || sample.startMs >= endMs || sample.total <= 0) continue;
    measured = true;
    consumed += badUnits(method, objective, sample, sliceMs);
  }
  if (!measured || !(input.allowed > 0)) return null;
  return consumed / input.allowed;
}
