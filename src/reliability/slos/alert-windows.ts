/**
 * Multi-window, multi-burn-rate alerts (Google SRE Workbook, "Alerting on SLOs", recommended
 * parameters; Sloth `internal/alert/window.go` and `internal/alert/windows/google-30d.yaml`).
 *
 *   factor = (budget share × period) / long window
 *
 * An alert fires when the burn rate over its long window and over its short window are both above
 * its factor: the long window says enough budget went, the short one that it is still going.
 *
 * Window choice for periods other than 30 days: Sloth does not stretch or shrink the windows. It
 * ships two catalogs, 30d and 28d, with the same Google windows (page 1h/5m at 2% and 6h/30m at
 * 5%, ticket 1d/2h and 3d/6h at 10%) and computes each factor from the period with the formula
 * above (so 28 days gives 13.44, 5.6, 2.8, 0.9333…); any other period needs a catalog the user
 * writes (`--slo-period-windows-path`). Baton does the same: the Google windows and shares for
 * every period unless the caller passes its own windows, with the factor from the period actually
 * judged (a calendar month is 28 to 31 days long, and its factors follow). The windows stay the
 * ones whose burn rates Baton records and whose series Sloth names, so the rules Baton writes
 * for Prometheus match Sloth's. A period no longer than the longest window is refused: the
 * alert could not tell a burst from the whole period.
 */
import { SloSpecError, shown } from './errors.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export type AlertSeverity = 'page' | 'ticket';

/** One alert's windows and budget share, before a period gives it a factor. */
export interface AlertWindowSpec {
  readonly severity: AlertSeverity;
  /** Sloth's names: the quick alert of a severity has the shorter windows. */
  readonly speed: 'quick' | 'slow';
  readonly longWindowMs: number;
  readonly shortWindowMs: number;
  /** Percent of the period's budget the long window may spend before it alerts. */
  readonly budgetPercent: number;
}

/** An alert window with the burn-rate factor for one period. */
export interface AlertWindow extends AlertWindowSpec {
  readonly factor: number;
}

/** The SRE Workbook's recommended windows, as Sloth's 30d and 28d catalogs hold them. */
export const GOOGLE_ALERT_WINDOWS: readonly AlertWindowSpec[] = [
  { severity: 'page', speed: 'quick', longWindowMs: HOUR_MS, shortWindowMs: 5 * MINUTE_MS, budgetPercent: 2 },
  {
    severity: 'page',
    speed: 'slow',
    longWindowMs: 6 * HOUR_MS,
    shortWindowMs: 30 * MINUTE_MS,
    budgetPercent: 5,
  },
  {
    severity: 'ticket',
    speed: 'quick',
    longWindowMs: 24 * HOUR_MS,
    shortWindowMs: 2 * HOUR_MS,
    budgetPercent: 10,
  },
  {
    severity: 'ticket',
    speed: 'slow',
    longWindowMs: 72 * HOUR_MS,
    shortWindowMs: 6 * HOUR_MS,
    budgetPercent: 10,
  },
];

/**
 * The burn rate that spends `budgetPercent` of the budget of a `periodMs` period in
 * `longWindowMs`. Computed as one division of the two products, so that the table's numbers come
 * out as exactly the doubles their decimal forms denote (14.4, 5.6, 0.9333…).
 */
export function burnRateFactor(budgetPercent: number, periodMs: number, longWindowMs: number): number {
  return (budgetPercent * periodMs) / (100 * longWindowMs);
}

/**
 * The alert windows for an SLO period of `periodMs` (see the module comment): factors for the
 * Google windows, or for `windows` when given. A `SloSpecError` on `field` when a long window is
 * not shorter than the period, or a window is malformed.
 */
export function alertWindows(
  periodMs: number,
  windows: readonly AlertWindowSpec[] = GOOGLE_ALERT_WINDOWS,
  field = 'timeWindow[0].duration',
): AlertWindow[] {
  return windows.map((window, index) => {
    if (!(window.shortWindowMs > 0) || !(window.longWindowMs > window.shortWindowMs)) {
      throw new SloSpecError(
        `alertWindows[${index}]`,
        'a short window above 0 and a long window longer than it',
        `${shown(window.shortWindowMs)} ms and ${shown(window.longWindowMs)} ms`,
      );
    }
    if (!(window.budgetPercent > 0) || window.budgetPercent > 100) {
      throw new SloSpecError(
        `alertWindows[${index}].budgetPercent`,
        'a percentage in (0, 100]',
        shown(window.budgetPercent),
      );
    }
    if (!(periodMs > window.longWindowMs)) {
      throw new SloSpecError(
        field,
        `a period longer than the ${window.severity} alert's long window (${window.longWindowMs / HOUR_MS}h)`,
        `${periodMs / HOUR_MS}h`,
      );
    }
    return { ...window, factor: burnRateFactor(window.budgetPercent, periodMs, window.longWindowMs) };
  });
}

export interface AlertState {
  readonly window: AlertWindow;
  /** Both windows burn above the factor. */
  readonly firing: boolean;
  /** A window had no data: the alert cannot be judged (OpenSLO `alertWhenNoData` decides what that means). */
  readonly noData: boolean;
  readonly longBurnRate: number | null;
  readonly shortBurnRate: number | null;
}

/**
 * Which alerts fire, given the burn rate over a window of any length (`burnRateOver(ms)`, null
 * when the window had no data). An alert fires when both its long and short burn rates are
 * strictly above its factor, as Sloth's rules compare (`>`).
 */
export function evaluateAlerts(
  windows: readonly AlertWindow[],
  burnRateOver: (windowMs: number) => number | null,
): AlertState[] {
  return windows.map((window) => {
    const longBurnRate = burnRateOver(window.longWindowMs);
    const shortBurnRate = burnRateOver(window.shortWindowMs);
    const noData = longBurnRate === null || shortBurnRate === null;
    const firing = !noData && longBurnRate > window.factor && shortBurnRate > window.factor;
    return { window, firing, noData, longBurnRate, shortBurnRate };
  });
}
