/**
 * Reading an SLI per time slice from where it lives: Prometheus (query_range with a step of one
 * slice), Baton's own executions (counted from automation's records, read only), or counts
 * POSTed to Baton. Every reader answers the same thing, good and total per objective per slice,
 * which the evaluation stores in slo_slices and the SLO math reads.
 *
 * Slices lie on a grid of the objective's slice length from the period's anchor (the epoch for a
 * rolling window, the period start for a calendar one), as budget.ts expects. Occurrences has no
 * slice of its own: it is measured in 5-minute slices, the shortest burn-rate window, so the 5m
 * rate means what it says.
 */
import type { FinishedExecutionFact } from '../../automation/executions/store.js';
import type { SliceCounts } from './measurements-store.js';
import type { ExecutionCriteria, Measure, PrometheusQuery, SloModel, ThresholdOp } from './model.js';
import type { PrometheusClient, PrometheusSeries } from './prometheus-client.js';
import type { Period } from './window.js';

export const OCCURRENCES_SLICE_MS = 5 * 60_000;
/** Prometheus answers at most 11,000 points per series; ranges are asked for in chunks below that. */
const MAX_POINTS_PER_QUERY = 10_000;

/** The slice length an objective is measured in. */
export function sliceMsOf(slo: SloModel, objective: number): number {
  return slo.math.objectives[objective]?.timeSliceMs ?? OCCURRENCES_SLICE_MS;
}

/** Start of the slice of the grid (`sliceMs` from `anchorMs`) that holds `timeMs`. */
export function sliceStartOf(timeMs: number, sliceMs: number, anchorMs: number): number {
  return anchorMs + Math.floor((timeMs - anchorMs) / sliceMs) * sliceMs;
}

/** Where an SLI comes from, as the status shows it. */
export function sourceOf(measure: Measure): 'prometheus' | 'executions' | 'pushed' {
  if (measure.kind === 'executions' || measure.kind === 'pushed') return measure.kind;
  return 'prometheus';
}

// ---------------------------------------------------------------------------------------------
// Executions

/** Whether an execution meets the criteria (a state among `states`, finished within the time). */
export function meetsCriteria(execution: FinishedExecutionFact, criteria: ExecutionCriteria): boolean {
  if (criteria.states && !criteria.states.includes(execution.state)) return false;
  if (criteria.finishedWithinMs !== undefined) {
    if (execution.startedAt === null) return false;
    if (execution.finishedAt - execution.startedAt > criteria.finishedWithinMs) return false;
  }
  return true;
}

/** Whether an execution is one an executions measure selects (its job, or any job of the service). */
export function selects(
  slo: SloModel,
  measure: Extract<Measure, { kind: 'executions' }>,
  execution: FinishedExecutionFact,
): boolean {
  const job = measure.selector.job;
  if (job) return execution.project === job.project && execution.name === job.name;
  return execution.service === slo.service;
}

/**
 * Good and total per slice of one objective from the executions that finished in [fromMs, untilMs):
 * an execution counts in the slice its finish falls in. Slices without executions have no entry.
 */
export function countExecutionSlices(
  slo: SloModel,
  objective: number,
  executions: readonly FinishedExecutionFact[],
  range: { fromMs: number; untilMs: number; anchorMs: number },
): SliceCounts[] {
  const measure = slo.objectives[objective]!.indicator.measure;
  if (measure.kind !== 'executions') return [];
  const sliceMs = sliceMsOf(slo, objective);
  const slices = new Map<number, SliceCounts>();
  for (const execution of executions) {
    if (execution.finishedAt < range.fromMs || execution.finishedAt >= range.untilMs) continue;
    if (!selects(slo, measure, execution)) continue;
    const sliceStart = sliceStartOf(execution.finishedAt, sliceMs, range.anchorMs);
    let slice = slices.get(sliceStart);
    if (!slice) {
      slice = { objective, sliceStart, good: 0, total: 0 };
      slices.set(sliceStart, slice);
    }
    slice.total++;
    const meets = meetsCriteria(execution, measure.criteria);
    if (meets === (measure.count === 'good')) slice.good++;
  }
  return [...slices.values()].sort((a, b) => a.sliceStart - b.sliceStart);
}

// ---------------------------------------------------------------------------------------------
// Prometheus

const PLAIN_SELECTOR = /^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{[^{}]*\})?\s*$/;

/** A duration in Prometheus's syntax: `5m`, `90s`, `1h`. */
export function promDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/** A query with Sloth's `{{.window}}` replaced by the slice length. */
export function withWindow(query: PrometheusQuery, sliceMs: number): string {
  return query.template === 'sloth-window'
    ? query.query.replace(/\{\{\s*\.window\s*\}\}/g, promDuration(sliceMs))
    : query.query;
}

/**
 * The PromQL whose value at a slice's end is the amount over that slice, for one side of a ratio.
 * - An OpenSLO counter (an instant vector of a counter): `increase` over the slice; a bare
 *   selector gets a range selector, any other expression a subquery.
 * - A Sloth query: it is a rate over `{{.window}}` (per second), so times the slice's seconds.
 * - An OpenSLO non-counter: the value itself, summed over series.
 */
export function sliceAmountQuery(query: PrometheusQuery, counter: boolean, sliceMs: number): string {
  const window = promDuration(sliceMs);
  if (query.template === 'sloth-window') return `sum(${withWindow(query, sliceMs)}) * ${sliceMs / 1000}`;
  if (!counter) return `sum(${query.query})`;
  if (PLAIN_SELECTOR.test(query.query)) return `sum(increase(${query.query.trim()}[${window}]))`;
  return `sum(increase((${query.query})[${window}:]))`;
}

/** Whether a threshold metric's value meets an objective's `op` and `value`. */
export function meetsThreshold(value: number, threshold: { op: ThresholdOp; value: number }): boolean {
  switch (threshold.op) {
    case 'lt':
      return value < threshold.value;
    case 'lte':
      return value <= threshold.value;
    case 'gt':
      return value > threshold.value;
    case 'gte':
      return value >= threshold.value;
  }
}

/** Points of the summed series by the slice they close: a point at t is the slice [t − slice, t). */
function pointsBySlice(series: readonly PrometheusSeries[], sliceMs: number): Map<number, number> {
  const points = new Map<number, number>();
  for (const one of series) {
    for (const [at, value] of one.values) {
      if (!Number.isFinite(value)) continue;
      const sliceStart = Math.round(at * 1000) - sliceMs;
      points.set(sliceStart, (points.get(sliceStart) ?? 0) + value);
    }
  }
  return points;
}

async function rangeBySlice(
  client: PrometheusClient,
  query: string,
  firstSliceStart: number,
  lastSliceStart: number,
  sliceMs: number,
): Promise<Map<number, number>> {
  const all = new Map<number, number>();
  for (let start = firstSliceStart; start <= lastSliceStart; start += MAX_POINTS_PER_QUERY * sliceMs) {
    const end = Math.min(lastSliceStart, start + (MAX_POINTS_PER_QUERY - 1) * sliceMs);
    const series = await client.queryRange(query, start + sliceMs, end + sliceMs, sliceMs);
    for (const [slice, value] of pointsBySlice(series, sliceMs)) all.set(slice, value);
  }
  return all;
}

/**
 * Values per slice of a query built for a window length: whole slices from a range query (step
 * = slice, each point closing its slice), and the slice in progress from an instant query at
 * `untilMs` over the part of it that has passed, so the 5-minute burn rate has data now.
 */
async function amountsBySlice(
  client: PrometheusClient,
  queryFor: (windowMs: number) => string,
  slices: { first: number; last: number; current: number; untilMs: number; sliceMs: number },
): Promise<Map<number, number>> {
  const { first, last, current, untilMs, sliceMs } = slices;
  const amounts =
    last >= first
      ? await rangeBySlice(client, queryFor(sliceMs), first, last, sliceMs)
      : new Map<number, number>();
  const partialMs = Math.floor((untilMs - current) / 1000) * 1000;
  if (current >= first && partialMs >= 1000) {
    let sum: number | undefined;
    for (const series of await client.query(queryFor(partialMs), untilMs)) {
      const value = series.values[0]?.[1];
      if (value !== undefined && Number.isFinite(value)) sum = (sum ?? 0) + value;
    }
    if (sum !== undefined) amounts.set(current, sum);
  }
  return amounts;
}

/**
 * Good and total per slice of one Prometheus objective, for the slices starting in [fromMs,
 * untilMs): whole ones, and the one in progress as far as it has come (measured again next
 * round).
 */
export async function measurePrometheusSlices(
  client: PrometheusClient,
  slo: SloModel,
  objective: number,
  range: { fromMs: number; untilMs: number; anchorMs: number },
): Promise<SliceCounts[]> {
  const source = slo.objectives[objective]!;
  const measure = source.indicator.measure;
  const sliceMs = sliceMsOf(slo, objective);
  const first = sliceStartOf(range.fromMs, sliceMs, range.anchorMs);
  const current = sliceStartOf(range.untilMs, sliceMs, range.anchorMs);
  const grid = { first, last: current - sliceMs, current, untilMs: range.untilMs, sliceMs };
  const slices: SliceCounts[] = [];
  switch (measure.kind) {
    case 'prometheus-ratio': {
      const [numerator, total] = await Promise.all([
        amountsBySlice(
          client,
          (windowMs) => sliceAmountQuery(measure.numerator, measure.counter, windowMs),
          grid,
        ),
        amountsBySlice(
          client,
          (windowMs) => sliceAmountQuery(measure.total, measure.counter, windowMs),
          grid,
        ),
      ]);
      for (const [sliceStart, totalValue] of total) {
        const counted = numerator.get(sliceStart) ?? 0;
        const all = Math.max(0, totalValue);
        // A counter reset can make one side overshoot the other: clamp to a possible slice.
        const good = Math.min(all, Math.max(0, measure.count === 'good' ? counted : all - counted));
        slices.push({ objective, sliceStart, good, total: all });
      }
      break;
    }
    case 'prometheus-raw': {
      const ratios = await amountsBySlice(
        client,
        (windowMs) => `sum(${withWindow(measure.ratio, windowMs)})`,
        grid,
      );
      for (const [sliceStart, value] of ratios) {
        const ratio = Math.min(1, Math.max(0, value));
        slices.push({
          objective,
          sliceStart,
          good: measure.rawType === 'success' ? ratio : 1 - ratio,
          total: 1,
        });
      }
      break;
    }
    case 'prometheus-threshold': {
      const threshold = source.threshold;
      if (!threshold) throw new Error(`objective ${objective} has a threshold metric but no op and value`);
      const values = await amountsBySlice(client, (windowMs) => withWindow(measure.metric, windowMs), grid);
      for (const [sliceStart, value] of values) {
        slices.push({ objective, sliceStart, good: meetsThreshold(value, threshold) ? 1 : 0, total: 1 });
      }
      break;
    }
    default:
      return [];
  }
  return slices
    .filter((slice) => slice.sliceStart >= first && slice.sliceStart <= current)
    .sort((a, b) => a.sliceStart - b.sliceStart);
}

/** The first slice the SLO math reads at `period`: the period start less the longest burn window. */
export const LONGEST_BURN_WINDOW_MS = 3 * 86_400_000;

export function horizonOf(period: Period): number {
  return period.startMs - LONGEST_BURN_WINDOW_MS;
}
