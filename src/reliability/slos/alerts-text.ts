/**
 * What an SLO alert is and says, with no I/O: which severities are active given the alert states
 * of one evaluation, the summary line ("burn rate 15.2× over 1h and 16.0× over 5m (threshold
 * 14.4×)"), the detail kept on the alert row, and the fields of the event rules match.
 */
import type { SloStatus } from '../../contract/slos.js';
import type { AlertSeverity, AlertState } from './alert-windows.js';
import { sloKey, type AlertPolicyModel, type SloModel } from './model.js';

/** `page` and `ticket` burn alerts, and `no-data` when an AlertPolicy asks for it. */
export type AlertSeverityName = AlertSeverity | 'no-data';

/** What an alert row keeps of the evaluation that opened it. */
export interface SloAlertDetail {
  summary: string;
  /** The alert window that fired, for a burn alert; null for no-data. */
  longWindow: string | null;
  shortWindow: string | null;
  longBurnRate: number | null;
  shortBurnRate: number | null;
  /** The burn-rate factor both windows were above; null for no-data. */
  threshold: number | null;
  budgetRemainingRatio: number | null;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** A window as Sloth and the burn-rate list name it: `5m`, `1h`, `1d`, `3d`. */
export function windowName(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  return `${ms / 1000}s`;
}

/** A burn rate with one decimal: `15.2×`, `16.0×`. */
export function formatBurnRate(rate: number): string {
  return `${rate.toFixed(1)}×`;
}

/** A factor with as many decimals as it needs, up to two: `14.4×`, `6.0×`, `13.44×`, `0.93×`. */
export function formatThreshold(factor: number): string {
  const fixed = factor.toFixed(2);
  return `${fixed.endsWith('0') ? fixed.slice(0, -1) : fixed}×`;
}

/** "burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)". */
export function burnSummary(state: AlertState): string {
  const { window } = state;
  const long = state.longBurnRate === null ? 'no data' : formatBurnRate(state.longBurnRate);
  const short = state.shortBurnRate === null ? 'no data' : formatBurnRate(state.shortBurnRate);
  return (
    `burn rate ${long} over ${windowName(window.longWindowMs)} and ${short} over ` +
    `${windowName(window.shortWindowMs)} (threshold ${formatThreshold(window.factor)})`
  );
}

/** What the SLO's AlertPolicies ask for; an SLO without one (baton/v1, Sloth) alerts on burns and resolutions, not on missing data. */
export interface AlertWishes {
  breaching: boolean;
  resolved: boolean;
  noData: boolean;
}

/**
 * OpenSLO's `alertWhenBreaching`, `alertWhenResolved` and `alertWhenNoData`, any policy of the SLO
 * asking being enough. Without a policy Baton raises burn alerts and their resolutions (as
 * Alertmanager sends resolved alerts by default) and no no-data alerts (nobody asked for them).
 */
export function alertWishes(policies: readonly AlertPolicyModel[]): AlertWishes {
  if (policies.length === 0) return { breaching: true, resolved: true, noData: false };
  return {
    breaching: policies.some((policy) => policy.alertWhenBreaching),
    resolved: policies.some((policy) => policy.alertWhenResolved),
    noData: policies.some((policy) => policy.alertWhenNoData),
  };
}

/** Which alerts should be open after an evaluation, and which severities it could not judge. */
export interface WantedAlerts {
  /** Severity → the detail of the alert that should be open. */
  open: Map<AlertSeverityName, SloAlertDetail>;
  /**
   * Severities whose every window had no data: an open alert of one stays open (Prometheus being
   * down says nothing about the burn), and is not resolved until data says so.
   */
  unjudged: Set<AlertSeverityName>;
}

/**
 * The alerts an evaluation wants open. A severity is active when any of its windows fires; its
 * detail is the firing window with the highest factor (the quickest burn). `no-data` is active
 * when the SLO has no data and a policy asks for no-data alerts.
 */
export function wantedAlerts(
  states: readonly AlertState[],
  status: Pick<SloStatus, 'noDataSince' | 'budgetRemainingRatio'>,
  wishes: AlertWishes,
): WantedAlerts {
  const open = new Map<AlertSeverityName, SloAlertDetail>();
  const unjudged = new Set<AlertSeverityName>();
  for (const severity of ['page', 'ticket'] as const) {
    const ofSeverity = states.filter((state) => state.window.severity === severity);
    if (ofSeverity.length > 0 && ofSeverity.every((state) => state.noData)) unjudged.add(severity);
    const firing = ofSeverity
      .filter((state) => state.firing)
      .sort((a, b) => b.window.factor - a.window.factor)[0];
    if (!firing) continue;
    open.set(severity, {
      summary: burnSummary(firing),
      longWindow: windowName(firing.window.longWindowMs),
      shortWindow: windowName(firing.window.shortWindowMs),
      longBurnRate: firing.longBurnRate,
      shortBurnRate: firing.shortBurnRate,
      threshold: firing.window.factor,
      budgetRemainingRatio: status.budgetRemainingRatio,
    });
  }
  const noData = status.noDataSince !== null || (states.length > 0 && states.every((state) => state.noData));
  if (wishes.noData && noData) {
    open.set('no-data', {
      summary:
        status.noDataSince === null ? 'no data in the alert windows' : `no data since ${status.noDataSince}`,
      longWindow: null,
      shortWindow: null,
      longBurnRate: null,
      shortBurnRate: null,
      threshold: null,
      budgetRemainingRatio: status.budgetRemainingRatio,
    });
  }
  return { open, unjudged };
}

/** The web page of a service, under the public URL when there is one. */
export function servicePath(service: string, publicUrl?: string): string {
  const path = `/services/${encodeURIComponent(service)}`;
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${path}` : path;
}

/**
 * The fields of an SLO alert event, as rules see them (`when`, option templates) and the events
 * list shows them (its summary reads the first keys: status, severity, slo, summary).
 */
export function alertEventFields(input: {
  slo: SloModel;
  status: 'firing' | 'resolved';
  severity: AlertSeverityName;
  detail: SloAlertDetail;
  openedAt: number;
  resolvedAt: number | null;
  burnRates: SloStatus['burnRates'];
  publicUrl?: string | undefined;
}): Record<string, unknown> {
  const { slo, detail } = input;
  const targets = slo.alertPolicies.flatMap((policy) => policy.notificationTargets);
  return {
    status: input.status,
    severity: input.severity,
    slo: sloKey(slo),
    summary: detail.summary,
    service: slo.service,
    name: slo.name,
    displayName: slo.displayName ?? null,
    project: slo.project ?? null,
    format: slo.format,
    labels: slo.labels,
    burnRate: {
      long: detail.longWindow === null ? null : { window: detail.longWindow, rate: detail.longBurnRate },
      short: detail.shortWindow === null ? null : { window: detail.shortWindow, rate: detail.shortBurnRate },
    },
    /** Every window's burn rate at this evaluation: `burnRates["1h"]`. */
    burnRates: Object.fromEntries(input.burnRates.map((rate) => [rate.window, rate.rate])),
    threshold: detail.threshold,
    budgetRemaining: detail.budgetRemainingRatio,
    link: servicePath(slo.service, input.publicUrl),
    openedAt: new Date(input.openedAt).toISOString(),
    resolvedAt: input.resolvedAt === null ? null : new Date(input.resolvedAt).toISOString(),
    // OpenSLO AlertNotificationTargets, for rules to route on: `when: 'notificationTargets contains "oncall-slack"'`.
    notificationTargets: [...new Set(targets.map((target) => target.target))],
    notificationTargetNames: [...new Set(targets.map((target) => target.name))],
  };
}
