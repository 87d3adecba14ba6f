/**
 * SQL for SLO alerts. Opening and resolving are each one conditional statement, so that of
 * several servers evaluating the same SLO at once the database lets exactly one open (or
 * resolve) an alert; nothing here reads a row and decides in JavaScript. The partial unique index
 * `slo_alerts_one_open` on (slo, severity) where resolved_at is null is the arbiter for opening.
 */
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { AlertSeverityName, SloAlertDetail } from './alerts-text.js';

/** One alert as stored. */
export interface SloAlertRecord {
  id: number;
  /** `service/name`. */
  slo: string;
  service: string;
  severity: AlertSeverityName;
  openedAt: number;
  resolvedAt: number | null;
  detail: SloAlertDetail;
}

function toRecord(row: {
  id: number;
  slo: string;
  service: string;
  severity: string;
  opened_at: number | string;
  resolved_at: number | string | null;
  detail: unknown;
}): SloAlertRecord {
  return {
    id: row.id,
    slo: row.slo,
    service: row.service,
    severity: row.severity as AlertSeverityName,
    // PostgreSQL returns bigint columns as strings.
    openedAt: Number(row.opened_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    detail: readJson<SloAlertDetail>(row.detail),
  };
}

/**
 * Opens an alert unless one of the same SLO and severity is open. Returns the new row's id, or
 * undefined when one was open already (another server opened it, or this one earlier).
 */
export async function openSloAlert(
  db: Db,
  alert: { slo: string; service: string; severity: AlertSeverityName; now: number; detail: SloAlertDetail },
): Promise<number | undefined> {
  const row = await db
    .insertInto('slo_alerts')
    .values({
      slo: alert.slo,
      service: alert.service,
      severity: alert.severity,
      opened_at: alert.now,
      resolved_at: null,
      detail: JSON.stringify(alert.detail),
    })
    .onConflict((conflict) =>
      conflict.columns(['slo', 'severity']).where('resolved_at', 'is', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * Resolves an open alert. True when this call resolved it; false when it was resolved already
 * (by another server).
 */
export async function resolveSloAlert(db: Db, id: number, now: number): Promise<boolean> {
  const row = await db
    .updateTable('slo_alerts')
    .set({ resolved_at: now })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The open alerts of an SLO, oldest first. */
export async function listOpenSloAlerts(db: Db, slo: string): Promise<SloAlertRecord[]> {
  const rows = await db
    .selectFrom('slo_alerts')
    .selectAll()
    .where('slo', '=', slo)
    .where('resolved_at', 'is', null)
    .orderBy('opened_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecord);
}

/** An SLO's alerts, open or resolved, newest first. */
export async function listSloAlerts(db: Db, slo: string, limit = 50): Promise<SloAlertRecord[]> {
  const rows = await db
    .selectFrom('slo_alerts')
    .selectAll()
    .where('slo', '=', slo)
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/**
 * Resolves the open alerts of SLOs not in `keep` (their documents were deleted or renamed), in one
 * statement; returns how many. No event: the SLO they were about is gone, not healthy again.
 */
export async function resolveSloAlertsExcept(db: Db, keep: readonly string[], now: number): Promise<number> {
  let query = db.updateTable('slo_alerts').set({ resolved_at: now }).where('resolved_at', 'is', null);
  if (keep.length > 0) query = query.where('slo', 'not in', [...keep]);
  const rows = await query.returning('id').execute();
  return rows.length;
}
