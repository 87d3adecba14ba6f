/**
 * SLO burn-rate alerts as Baton's own events. After each evaluation of an SLO the evaluation duty
 * hands its alert states to an `SloAlertSink`; `SloAlerts` opens an alert row when a severity
 * starts firing and resolves it when it stops, and raises each opening (and resolution, when
 * wanted) as an event of source `slo` that rules with `on: {slo: …}` match: run a diagnosis, open
 * a work item, or notify.
 *
 * One alert per burn, whatever the number of servers: opening is an insert the partial unique
 * index (slo, severity) where unresolved refuses a second time, and resolving a conditional
 * update; each runs inside `EventService.raise`'s transaction as its claim, so only the server
 * whose statement changed a row stores the event and fires the rules, and a crash between the
 * two leaves neither.
 *
 * The event's project (who sees it in the events list; `view` on the project): a baton/v1 SLO's
 * own project; an OpenSLO or Sloth SLO has none, so the project configured for SLO alerts (the
 * integrator's `project` option). Rules match SLO events of every project, filtered by service,
 * severity and status, so a rule in an `ops` project can act on any service's alerts it may view.
 *
 * Notifications go through rules: a rule on SLO alerts runs a job whose `spec.notifications`
 * (webhook, Slack, email) deliver on `started`, with the alert's summary and link passed as
 * options; the event carries the OpenSLO AlertPolicy's notification targets so a rule can route
 * on them (`when: 'notificationTargets contains "oncall"'`).
 */
import type { SloAlertView, SloStatus } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import type { RaisedEvent, RaisedReceipt } from '../../automation/events/service.js';
import type { AlertState } from './alert-windows.js';
import {
  alertEventFields,
  alertWishes,
  wantedAlerts,
  type AlertSeverityName,
  type SloAlertDetail,
} from './alerts-text.js';
import {
  listOpenSloAlerts,
  openSloAlert,
  resolveSloAlert,
  resolveSloAlertsExcept,
  type SloAlertRecord,
} from './alerts-store.js';
import { sloKey, type SloModel } from './model.js';

/** Where the evaluation sends each SLO's alert states; returns the SLO's open alerts for its status. */
export interface SloAlertSink {
  update(
    slo: SloModel,
    status: SloStatus,
    states: readonly AlertState[],
    now: number,
  ): Promise<SloAlertView[]>;
  /** Resolves, without an event, the open alerts of SLOs that no longer exist. */
  retire(keep: readonly string[], now: number): Promise<number>;
}

/** The one call of the events service alerts need (EventService.raise). */
export interface EventRaiser {
  raise<T>(
    event: RaisedEvent,
    claim: (trx: Db) => Promise<T | undefined>,
    now?: number,
  ): Promise<RaisedReceipt<T> | undefined>;
}

export interface SloAlertsOptions {
  db: Db;
  events: EventRaiser;
  /** The project of events of SLOs that have none (OpenSLO, Sloth). */
  project: string;
  /** Makes the event's `link` absolute (BATON_PUBLIC_URL); relative without it. */
  publicUrl?: string | undefined;
}

export function alertView(record: SloAlertRecord): SloAlertView {
  return {
    id: record.id,
    severity: record.severity,
    openedAt: new Date(record.openedAt).toISOString(),
    resolvedAt: record.resolvedAt === null ? null : new Date(record.resolvedAt).toISOString(),
    summary: record.detail.summary,
  };
}

export class SloAlerts implements SloAlertSink {
  constructor(private readonly options: SloAlertsOptions) {}

  async update(
    slo: SloModel,
    status: SloStatus,
    states: readonly AlertState[],
    now: number,
  ): Promise<SloAlertView[]> {
    const key = sloKey(slo);
    const wishes = alertWishes(slo.alertPolicies);
    const wanted = wantedAlerts(states, status, wishes);
    const open = await listOpenSloAlerts(this.options.db, key);
    const openSeverities = new Set(open.map((alert) => alert.severity));
    let changed = false;
    for (const [severity, detail] of wanted.open) {
      if (openSeverities.has(severity)) continue;
      await this.open(slo, status, severity, detail, now, severity === 'no-data' || wishes.breaching);
      changed = true;
    }
    for (const alert of open) {
      if (wanted.open.has(alert.severity) || wanted.unjudged.has(alert.severity)) continue;
      await this.resolve(slo, status, alert, now, wishes.resolved);
      changed = true;
    }
    // Most rounds change nothing: the rows read above are the answer, without a second query.
    return changed ? this.openAlerts(key) : open.map(alertView);
  }

  /**
   * Resolves the open alerts of SLOs that no longer exist (`keep`: the keys of those that do),
   * for the evaluation to call after a round; returns how many. No event is raised.
   */
  retire(keep: readonly string[], now: number): Promise<number> {
    return resolveSloAlertsExcept(this.options.db, keep, now);
  }

  /** The open alerts of an SLO (`service/name`), oldest first. */
  async openAlerts(slo: string): Promise<SloAlertView[]> {
    return (await listOpenSloAlerts(this.options.db, slo)).map(alertView);
  }

  private async open(
    slo: SloModel,
    status: SloStatus,
    severity: AlertSeverityName,
    detail: SloAlertDetail,
    now: number,
    raise: boolean,
  ): Promise<void> {
    const key = sloKey(slo);
    const claim = (db: Db) => openSloAlert(db, { slo: key, service: slo.service, severity, now, detail });
    if (!raise) {
      await claim(this.options.db);
      return;
    }
    await this.options.events.raise(
      this.event(slo, `${key}/${severity}/opened/${now}`, {
        slo,
        status: 'firing',
        severity,
        detail,
        openedAt: now,
        resolvedAt: null,
        burnRates: status.burnRates,
      }),
      claim,
      now,
    );
  }

  private async resolve(
    slo: SloModel,
    status: SloStatus,
    alert: SloAlertRecord,
    now: number,
    raise: boolean,
  ): Promise<void> {
    const claim = async (db: Db) => ((await resolveSloAlert(db, alert.id, now)) ? true : undefined);
    if (!raise) {
      await claim(this.options.db);
      return;
    }
    await this.options.events.raise(
      this.event(slo, `${alert.slo}/${alert.severity}/resolved/${alert.id}`, {
        slo,
        status: 'resolved',
        severity: alert.severity,
        // The numbers that opened it, with the budget as it is now.
        detail: { ...alert.detail, budgetRemainingRatio: status.budgetRemainingRatio },
        openedAt: alert.openedAt,
        resolvedAt: now,
        burnRates: status.burnRates,
      }),
      claim,
      now,
    );
  }

  private event(
    slo: SloModel,
    fingerprint: string,
    input: Omit<Parameters<typeof alertEventFields>[0], 'publicUrl'>,
  ): RaisedEvent {
    return {
      project: slo.project ?? this.options.project,
      source: 'slo',
      fingerprint: `slo:${fingerprint}`,
      fields: alertEventFields({ ...input, publicUrl: this.options.publicUrl }),
    };
  }
}
