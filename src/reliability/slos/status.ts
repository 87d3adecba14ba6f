/**
 * From one SLO's evaluation (evaluate.ts) to the contract's `SloStatus` that the gate, the pages,
 * the CLI and /metrics read; and which samples count once corrections take spans out. Pure: the
 * evaluation duty fetches and stores, this decides what the numbers say.
 *
 * Health, in order: `exhausted` when no budget remains; `burning` when a page or ticket alert
 * fires; `no-data` when nothing was measured in the period; else `ok`. An SLO whose source
 * failed keeps the numbers of what was measured before, with `lastError` and `noDataSince`.
 */
import {
  BURN_RATE_WINDOW_NAMES,
  type BurnRateView,
  type SloAlertView,
  type SloStatus,
} from '../../contract/slos.js';
import type { AlertState } from './alert-windows.js';
import type { SliceSample } from './budget.js';
import type { SloEvaluation } from './evaluate.js';
import type { SliceCounts } from './measurements-store.js';
import { sloKey, type SloModel } from './model.js';
import { sourceOf } from './sources.js';
import { describeTimeWindow } from './window.js';

/** A span taken out of the SLI: [startsAt, endsAt), open-ended while endsAt is null. */
export interface CorrectionSpan {
  readonly startsAt: number;
  readonly endsAt: number | null;
}

/**
 * Samples per objective from stored slices, leaving out every slice that overlaps a correction:
 * a corrected slice is one without data (missing), neither good nor bad.
 */
export function samplesOf(
  objectives: number,
  slices: readonly SliceCounts[],
  sliceMsOf: (objective: number) => number,
  corrections: readonly CorrectionSpan[],
): SliceSample[][] {
  const samples: SliceSample[][] = Array.from({ length: objectives }, () => []);
  for (const slice of slices) {
    const list = samples[slice.objective];
    if (!list) continue;
    const end = slice.sliceStart + sliceMsOf(slice.objective);
    const corrected = corrections.some(
      (c) => c.startsAt < end && (c.endsAt === null || c.endsAt > slice.sliceStart),
    );
    if (corrected) continue;
    list.push({ startMs: slice.sliceStart, good: slice.good, total: slice.total });
  }
  return samples;
}

const finite = (value: number | null): number | null =>
  value === null || !Number.isFinite(value) ? null : value;

/** The alerts of the SLO as one list: per window, the objective that burns most (composites). */
export function mergedAlerts(evaluation: SloEvaluation): AlertState[] {
  const [first, ...rest] = evaluation.objectives;
  if (!first) return [];
  return first.alerts.map((state, index) => {
    let worst = state;
    for (const other of rest) {
      const candidate = other.alerts[index];
      if (!candidate) continue;
      if (candidate.firing && !worst.firing) worst = candidate;
      else if (
        candidate.firing === worst.firing &&
        (candidate.longBurnRate ?? -1) > (worst.longBurnRate ?? -1)
      ) {
        worst = candidate;
      }
    }
    return worst;
  });
}

export interface StatusInput {
  readonly slo: SloModel;
  readonly evaluation: SloEvaluation;
  readonly previous: SloStatus | undefined;
  /** Why reading the SLI failed this round; null when it worked. */
  readonly error: string | null;
  readonly openAlerts: readonly SloAlertView[];
  readonly nowMs: number;
}

/** The status an SLO's evaluation stores (see the module comment for health). */
export function buildStatus(input: StatusInput): SloStatus {
  const { slo, evaluation, previous, error, nowMs } = input;
  const objectives = evaluation.objectives.map((objective, index) => {
    const budget = objective.budget;
    return {
      displayName: slo.objectives[index]?.displayName ?? null,
      target: budget.target,
      sli: budget.attainment,
      budget:
        budget.attainment === null
          ? null
          : {
              unit: budget.unit,
              allowed: budget.allowed,
              consumed: budget.consumed,
              remaining: budget.remaining,
              remainingRatio: budget.remainingRatio,
            },
      burnRates: BURN_RATE_WINDOW_NAMES.map((window) => ({
        window,
        rate: finite(objective.burnRates[window]),
      })),
      timeToExhaustionMs: finite(objective.timeToExhaustionMs),
    };
  });
  const first = objectives[0]!;
  const composite = evaluation.composite;
  const sli = composite ? composite.attainment : first.sli;
  const budgetRemainingRatio =
    sli === null ? null : composite ? composite.remainingRatio : first.budget!.remainingRatio;
  // A composite burns as fast as its fastest part.
  const burnRates: BurnRateView[] = BURN_RATE_WINDOW_NAMES.map((window, index) => {
    const rates = objectives
      .map((o) => o.burnRates[index]!.rate)
      .filter((rate): rate is number => rate !== null);
    return { window, rate: rates.length === 0 ? null : Math.max(...rates) };
  });
  const exhaustion = objectives.map((o) => o.timeToExhaustionMs).filter((ms): ms is number => ms !== null);
  const firing = mergedAlerts(evaluation).some((state) => state.firing);
  const health: SloStatus['health'] =
    budgetRemainingRatio !== null && budgetRemainingRatio <= 0
      ? 'exhausted'
      : firing
        ? 'burning'
        : sli === null
          ? 'no-data'
          : 'ok';
  const noData = sli === null || error !== null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    slo: sloKey(slo),
    service: slo.service,
    name: slo.name,
    displayName: slo.displayName ?? null,
    description: slo.description ?? null,
    format: slo.format,
    project: slo.project ?? null,
    window: describeTimeWindow(slo.math.window),
    periodStart: iso(evaluation.period.startMs),
    periodEnd: iso(evaluation.period.endMs),
    budgetingMethod: slo.math.method,
    source: sourceOf(slo.objectives[0]!.indicator.measure),
    objectives,
    sli,
    budgetRemainingRatio,
    burnRates,
    timeToExhaustionMs: exhaustion.length === 0 ? null : Math.min(...exhaustion),
    health,
    openAlerts: [...input.openAlerts],
    noDataSince: noData ? (previous?.noDataSince ?? iso(nowMs)) : null,
    lastError: error,
    evaluatedAt: iso(nowMs),
  };
}
