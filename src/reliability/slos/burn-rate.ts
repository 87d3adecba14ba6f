/**
 * Burn rates: how fast an SLO spends its error budget, relative to spending it exactly over its
 * period. Formulas from the Google SRE Workbook, "Alerting on SLOs":
 *
 *   burn rate b = observed error ratio / (1 − target)      (b = 1 spends the budget in exactly T)
 *   budget spent over a window w at rate b = b × w / T      (as a fraction of the whole budget)
 *   time until exhaustion at rate b, with r of the budget left = r × T / b
 *
 * The windows Baton reports are Sloth's (`slo:sli_error:ratio_rate5m` … `ratio_rate3d`): the
 * long and short windows of the four standard alerts.
 */
import { SloSpecError, shown } from './errors.js';
import type { SliceSample } from './budget.js';
import { errorBudgetFraction } from './objective.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The windows burn rates are reported over, shortest first, by name and length. */
export const BURN_RATE_WINDOWS = [
  { name: '5m', ms: 5 * MINUTE_MS },
  { name: '30m', ms: 30 * MINUTE_MS },
  { name: '1h', ms: HOUR_MS },
  { name: '2h', ms: 2 * HOUR_MS },
  { name: '6h', ms: 6 * HOUR_MS },
  { name: '1d', ms: 24 * HOUR_MS },
  { name: '3d', ms: 72 * HOUR_MS },
] as const;

export type BurnRateWindowName = (typeof BURN_RATE_WINDOWS)[number]['name'];

function checkTarget(target: number): void {
  if (!Number.isFinite(target) || target < 0 || target >= 1) {
    throw new SloSpecError(
      'target',
      'a number in [0, 1) (a target of 1 leaves no budget to burn)',
      shown(target),
    );
  }
}

/** b = errorRatio / (1 − target). */
export function burnRate(errorRatio: number, target: number): number {
  checkTarget(target);
  if (!Number.isFinite(errorRatio) || errorRatio < 0 || errorRatio > 1) {
    throw new SloSpecError('errorRatio', 'a ratio in [0, 1]', shown(errorRatio));
  }
  return errorRatio / errorBudgetFraction(target);
}

/** The share of the whole budget spent over `windowMs` at burn rate `rate`, in a period of `periodMs`: b × w / T. */
export function budgetSpent(rate: number, windowMs: number, periodMs: number): number {
  checkRate(rate);
  checkLength(windowMs, 'window');
  checkLength(periodMs, 'period');
  return (rate * windowMs) / periodMs;
}

/**
 * Milliseconds until the budget is gone at burn rate `rate` with `remainingRatio` of it left:
 * r × T / b. Infinity when nothing burns (b = 0) and budget is left; 0 when none is left.
 */
export function timeToExhaustionMs(remainingRatio: number, rate: number, periodMs: number): number {
  checkRate(rate);
  checkLength(periodMs, 'period');
  if (!Number.isFinite(remainingRatio))
    throw new SloSpecError('remainingRatio', 'a finite number', shown(remainingRatio));
  if (remainingRatio <= 0) return 0;
  if (rate === 0) return Infinity;
  return (remainingRatio * periodMs) / rate;
}

function checkRate(rate: number): void {
  if (!Number.isFinite(rate) || rate < 0)
    throw new SloSpecError('burnRate', 'a finite number of 0 or more', shown(rate));
}

function checkLength(ms: number, field: string): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new SloSpecError(field, 'a length of time above 0', shown(ms));
}

/**
 * The error ratio over [now − windowMs, now) from slice samples: bad / total events when samples
 * carry counts, otherwise the mean of (1 − ratio); null when the window holds no measurement. A
 * sample counts when it starts inside the window, so slices should be no longer than the
 * shortest window (5m) for the 5m rate to mean what it says.
 */
export function errorRatioOver(
  samples: readonly SliceSample[],
  nowMs: number,
  windowMs: number,
): number | null {
  let bad = 0;
  let total = 0;
  let ratioSum = 0;
  let ratios = 0;
  for (const sample of samples) {
    if (sample.startMs < nowMs - windowMs || sample.startMs >= nowMs) continue;
    if ('ratio' in sample) {
      ratioSum += 1 - sample.ratio;
      ratios++;
    } else {
      bad += sample.total - sample.good;
      total += sample.total;
    }
  }
  if (total > 0 && ratios === 0) return bad / total;
  if (ratios > 0 && total === 0) return ratioSum / ratios;
  if (total > 0) return (ratioSum + bad / total) / (ratios + 1);
  return null;
}

/** Burn rates over every reported window at `nowMs`; null for a window without data. */
export function burnRates(
  samples: readonly SliceSample[],
  nowMs: number,
  target: number,
): Record<BurnRateWindowName, number | null> {
  checkTarget(target);
  const rates = {} as Record<BurnRateWindowName, number | null>;
  for (const window of BURN_RATE_WINDOWS) {
    const ratio = errorRatioOver(samples, nowMs, window.ms);
    rates[window.name] = ratio === null ? null : burnRate(ratio, target);
  }
  return rates;
}
