/**
 * One SLO's math at one instant, the pieces of this folder put together: the period its window
 * covers now, each objective's budget, its burn rates over Sloth's seven windows, the time until
 * the budget is gone at the current rate, which multi-window alerts fire, and the composite of
 * several objectives. The evaluation duty fetches samples and stores results; this computes.
 *
 * The current burn rate is the 5-minute one, as Sloth's `slo:current_burn_rate:ratio` is; the
 * alerts use their own longer windows, so a spike moves the time to exhaustion before any alert.
 */
import {
  alertWindows,
  evaluateAlerts,
  GOOGLE_ALERT_WINDOWS,
  type AlertSeverity,
  type AlertState,
  type AlertWindowSpec,
} from './alert-windows.js';
import {
  combineComposite,
  computeBudget,
  type BudgetReport,
  type CompositeReport,
  type MissingSlices,
  type SliceSample,
} from './budget.js';
import {
  BURN_RATE_WINDOWS,
  burnRate,
  burnRates,
  errorRatioOver,
  timeToExhaustionMs,
  type BurnRateWindowName,
} from './burn-rate.js';
import { SloSpecError, shown } from './errors.js';
import {
  parseBudgetingMethod,
  parseObjective,
  shortestPeriodMs,
  type BudgetingMethod,
  type Objective,
  type ObjectiveSpec,
} from './objective.js';
import { parseTimeWindow, periodAt, type Period, type TimeWindow, type TimeWindowSpec } from './window.js';

/** The parts of an SLO the math needs, checked. */
export interface SloMath {
  readonly window: TimeWindow;
  readonly method: BudgetingMethod;
  readonly objectives: readonly Objective[];
  /** The alerts to evaluate, with their windows (empty when alerting is off). */
  readonly alertWindows: readonly AlertWindowSpec[];
}

/** The parts of an SLO spec the math reads, as written (OpenSLO-shaped). */
export interface SloMathSpec {
  readonly timeWindow?: unknown;
  readonly budgetingMethod?: unknown;
  readonly objectives?: unknown;
  /** Which alert severities to raise; both unless turned off, as Sloth does. */
  readonly alerting?: { readonly page?: unknown; readonly ticket?: unknown };
}

/**
 * Check the math-bearing parts of an SLO spec; a `SloSpecError` naming the field otherwise. A
 * window whose shortest period does not outlast an enabled alert's long window (3 days for a
 * ticket) is refused, saying how to turn that alert off.
 */
export function parseSloMath(
  spec: SloMathSpec,
  windows: readonly AlertWindowSpec[] = GOOGLE_ALERT_WINDOWS,
): SloMath {
  if (!Array.isArray(spec.timeWindow) || spec.timeWindow.length !== 1) {
    throw new SloSpecError('timeWindow', 'a list with exactly one time window', shown(spec.timeWindow));
  }
  const window = parseTimeWindow(spec.timeWindow[0] as TimeWindowSpec, 'timeWindow[0]');
  const method = parseBudgetingMethod(spec.budgetingMethod);
  if (!Array.isArray(spec.objectives) || spec.objectives.length === 0) {
    throw new SloSpecError('objectives', 'a list of at least one objective', shown(spec.objectives));
  }
  const objectives = spec.objectives.map((objective: ObjectiveSpec, index) =>
    parseObjective(objective, method, window, `objectives[${index}]`),
  );
  const enabled = new Set<AlertSeverity>();
  for (const severity of ['page', 'ticket'] as const) {
    const value = spec.alerting?.[severity];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new SloSpecError(`alerting.${severity}`, 'true or false', shown(value));
    }
    if (value !== false) enabled.add(severity);
  }
  const chosen = windows.filter((w) => enabled.has(w.severity));
  const shortest = shortestPeriodMs(window);
  for (const w of chosen) {
    if (!(shortest > w.longWindowMs)) {
      throw new SloSpecError(
        'timeWindow[0].duration',
        `a window longer than the ${w.severity} alert's long window (${w.longWindowMs / 3_600_000}h), or alerting.${w.severity}: false`,
        shown(`${window.duration.amount}${window.duration.unit}`),
      );
    }
  }
  return { window, method, objectives, alertWindows: chosen };
}

export interface ObjectiveEvaluation {
  readonly budget: BudgetReport;
  readonly burnRates: Record<BurnRateWindowName, number | null>;
  /** The 5-minute burn rate; null without data in the last 5 minutes. */
  readonly currentBurnRate: number | null;
  /** At the current rate; Infinity when nothing burns, null without a current rate. */
  readonly timeToExhaustionMs: number | null;
  readonly alerts: readonly AlertState[];
}

export interface SloEvaluation {
  readonly period: Period;
  readonly objectives: readonly ObjectiveEvaluation[];
  /** With more than one objective: their weighted composite. */
  readonly composite?: CompositeReport;
}

/**
 * Evaluate an SLO at `nowMs` from each objective's samples (`samples[i]` for `objectives[i]`,
 * covering the period and the 3 days before now that the longest burn-rate window reads).
 */
export function evaluateSlo(
  slo: SloMath,
  input: {
    readonly nowMs: number;
    readonly samples: readonly (readonly SliceSample[])[];
    readonly missingSlices: MissingSlices;
  },
): SloEvaluation {
  if (input.samples.length !== slo.objectives.length) {
    throw new SloSpecError(
      'samples',
      `one list of samples per objective (${slo.objectives.length})`,
      String(input.samples.length),
    );
  }
  const period = periodAt(slo.window, input.nowMs);
  const windows = alertWindows(period.lengthMs, slo.alertWindows);
  // Burn rates and alerts look back at most this far: giving them only these samples spares
  // fifteen passes over a month of slices for each SLO in each evaluation round.
  const lookbackMs = Math.max(
    ...BURN_RATE_WINDOWS.map((window) => window.ms),
    ...windows.map((window) => window.longWindowMs),
  );
  const objectives = slo.objectives.map((objective, index): ObjectiveEvaluation => {
    const all = input.samples[index]!;
    const budget = computeBudget({
      method: slo.method,
      objective,
      period,
      samples: all,
      missingSlices: input.missingSlices,
    });
    const samples = all.filter(
      (sample) => sample.startMs >= input.nowMs - lookbackMs && sample.startMs < input.nowMs,
    );
    const rates = burnRates(samples, input.nowMs, objective.target);
    const currentBurnRate = rates['5m'];
    const alerts = evaluateAlerts(windows, (ms) => {
      const ratio = errorRatioOver(samples, input.nowMs, ms);
      return ratio === null ? null : burnRate(ratio, objective.target);
    });
    return {
      budget,
      burnRates: rates,
      currentBurnRate,
      timeToExhaustionMs:
        currentBurnRate === null
          ? null
          : timeToExhaustionMs(budget.remainingRatio, currentBurnRate, period.lengthMs),
      alerts,
    };
  });
  if (objectives.length === 1) return { period, objectives };
  const composite = combineComposite(
    objectives.map((evaluation, index) => ({
      weight: slo.objectives[index]!.compositeWeight,
      report: evaluation.budget,
    })),
  );
  return { period, objectives, composite };
}
