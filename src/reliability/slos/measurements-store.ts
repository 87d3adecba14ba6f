/**
 * SQL for what the SLO evaluation measures and keeps: per-slice good/total counts (slo_slices),
 * counts POSTed from outside (slo_pushed_counts), how far each SLO is measured
 * (slo_measure_marks), and corrections (slo_corrections). The SLO documents and statuses are
 * store.ts; the burn alerts are the alert sink's.
 *
 * Storage per SLO: one slo_slices row per objective per slice that had data, from the period
 * start minus 3 days (the longest burn-rate window) to now. A 30-day window of 5-minute slices
 * holds at most (30 + 3) × 288 = 9,504 rows per objective (about 60 bytes each before indexes);
 * the evaluation deletes older ones every hour (`deleteSlices` with `before`).
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

/** Good and total of one objective over one slice. */
export interface SliceCounts {
  objective: number;
  sliceStart: number;
  good: number;
  total: number;
}

export interface MeasureMark {
  slo: string;
  fingerprint: string;
  measuredUntil: number;
  measuredAt: number;
}

/** Rows per INSERT: five parameters each stays below SQLite's 32,766-parameter limit. */
const INSERT_BATCH = 1_000;

/** Inserts or replaces the counts of these slices of an SLO. */
export async function upsertSlices(db: Db, slo: string, slices: readonly SliceCounts[]): Promise<void> {
  for (let index = 0; index < slices.length; index += INSERT_BATCH) {
    const batch = slices.slice(index, index + INSERT_BATCH);
    await db
      .insertInto('slo_slices')
      .values(
        batch.map((slice) => ({
          slo,
          objective: slice.objective,
          slice_start: slice.sliceStart,
          good: slice.good,
          total: slice.total,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['slo', 'objective', 'slice_start']).doUpdateSet({
          good: (eb) => eb.ref('excluded.good'),
          total: (eb) => eb.ref('excluded.total'),
        }),
      )
      .execute();
  }
}

/** The slices of an SLO starting in [from, until), oldest first. */
export async function listSlices(db: Db, slo: string, from: number, until: number): Promise<SliceCounts[]> {
  const rows = await db
    .selectFrom('slo_slices')
    .select(['objective', 'slice_start', 'good', 'total'])
    .where('slo', '=', slo)
    .where('slice_start', '>=', from)
    .where('slice_start', '<', until)
    .orderBy('slice_start')
    .execute();
  return rows.map((row) => ({
    objective: Number(row.objective),
    sliceStart: Number(row.slice_start),
    good: Number(row.good),
    total: Number(row.total),
  }));
}

/** Deletes every slice of an SLO (its definition changed), or those starting before `before`. */
export async function deleteSlices(db: Db, slo: string, before?: number): Promise<void> {
  let query = db.deleteFrom('slo_slices').where('slo', '=', slo);
  if (before !== undefined) query = query.where('slice_start', '<', before);
  await query.execute();
}

/** Deletes the slices, pushed counts and marks of these SLOs (they no longer exist). */
export async function deleteMeasurements(db: Db, slos: readonly string[]): Promise<void> {
  if (slos.length === 0) return;
  for (const table of ['slo_slices', 'slo_pushed_counts', 'slo_measure_marks'] as const) {
    await db.deleteFrom(table).where('slo', 'in', slos).execute();
  }
}

export async function listMeasureMarks(db: Db): Promise<Map<string, MeasureMark>> {
  const rows = await db.selectFrom('slo_measure_marks').selectAll().execute();
  return new Map(
    rows.map((row) => [
      row.slo,
      {
        slo: row.slo,
        fingerprint: row.fingerprint,
        measuredUntil: Number(row.measured_until),
        measuredAt: Number(row.measured_at),
      },
    ]),
  );
}

/** Inserts or replaces marks, many rows to a statement (a round writes one per SLO). */
export async function putMeasureMarks(db: Db, marks: readonly MeasureMark[]): Promise<void> {
  for (let index = 0; index < marks.length; index += INSERT_BATCH) {
    await db
      .insertInto('slo_measure_marks')
      .values(
        marks.slice(index, index + INSERT_BATCH).map((mark) => ({
          slo: mark.slo,
          fingerprint: mark.fingerprint,
          measured_until: mark.measuredUntil,
          measured_at: mark.measuredAt,
        })),
      )
      .onConflict((conflict) =>
        conflict.column('slo').doUpdateSet({
          fingerprint: (eb) => eb.ref('excluded.fingerprint'),
          measured_until: (eb) => eb.ref('excluded.measured_until'),
          measured_at: (eb) => eb.ref('excluded.measured_at'),
        }),
      )
      .execute();
  }
}

/** Counts pushed for one slice. */
export interface PushedCount {
  sliceStart: number;
  good: number;
  total: number;
}

/** Stores pushed counts, replacing what was pushed before for the same slices. */
export async function upsertPushedCounts(
  db: Db,
  slo: string,
  counts: readonly PushedCount[],
  pushed: { by: string; at: number },
): Promise<void> {
  for (let index = 0; index < counts.length; index += INSERT_BATCH) {
    await db
      .insertInto('slo_pushed_counts')
      .values(
        counts.slice(index, index + INSERT_BATCH).map((count) => ({
          slo,
          slice_start: count.sliceStart,
          good: count.good,
          total: count.total,
          pushed_at: pushed.at,
          pushed_by: pushed.by,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['slo', 'slice_start']).doUpdateSet({
          good: (eb) => eb.ref('excluded.good'),
          total: (eb) => eb.ref('excluded.total'),
          pushed_at: (eb) => eb.ref('excluded.pushed_at'),
          pushed_by: (eb) => eb.ref('excluded.pushed_by'),
        }),
      )
      .execute();
  }
}

/** Pushed counts of an SLO stored at or after `pushedSince`, for slices starting at or after `from`. */
export async function listPushedCounts(
  db: Db,
  slo: string,
  pushedSince: number,
  from: number,
): Promise<PushedCount[]> {
  const rows = await db
    .selectFrom('slo_pushed_counts')
    .select(['slice_start', 'good', 'total'])
    .where('slo', '=', slo)
    .where('pushed_at', '>=', pushedSince)
    .where('slice_start', '>=', from)
    .orderBy('slice_start')
    .execute();
  return rows.map((row) => ({
    sliceStart: Number(row.slice_start),
    good: Number(row.good),
    total: Number(row.total),
  }));
}

export async function prunePushedCounts(db: Db, slo: string, before: number): Promise<void> {
  await db.deleteFrom('slo_pushed_counts').where('slo', '=', slo).where('slice_start', '<', before).execute();
}

/** A span taken out of a service's SLIs. */
export interface Correction {
  id: number;
  service: string;
  /** `name` of one SLO of the service; null: all of them. */
  slo: string | null;
  startsAt: number;
  /** Null while a maintenance execution runs. */
  endsAt: number | null;
  reason: string;
  executionId: number | null;
  createdBy: string;
  createdAt: number;
}

type CorrectionRow = {
  id: number;
  service: string;
  slo: string | null;
  starts_at: number;
  ends_at: number | null;
  reason: string;
  execution_id: number | null;
  created_by: string;
  created_at: number;
};

function toCorrection(row: CorrectionRow): Correction {
  return {
    id: Number(row.id),
    service: row.service,
    slo: row.slo,
    startsAt: Number(row.starts_at),
    endsAt: row.ends_at === null ? null : Number(row.ends_at),
    reason: row.reason,
    executionId: row.execution_id === null ? null : Number(row.execution_id),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
  };
}

export async function insertCorrection(db: Db, correction: Omit<Correction, 'id'>): Promise<number> {
  const row = await db
    .insertInto('slo_corrections')
    .values({
      service: correction.service,
      slo: correction.slo,
      starts_at: correction.startsAt,
      ends_at: correction.endsAt,
      reason: correction.reason,
      execution_id: correction.executionId,
      created_by: correction.createdBy,
      created_at: correction.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Sets the end of the correction a maintenance execution declared. */
export async function endExecutionCorrection(db: Db, executionId: number, endsAt: number): Promise<void> {
  await db
    .updateTable('slo_corrections')
    .set({ ends_at: endsAt })
    .where('execution_id', '=', executionId)
    .execute();
}

/**
 * Corrections overlapping [from, until), of the given services (all when absent), oldest first.
 * One still open (no end) overlaps everything after its start.
 */
export async function listCorrections(
  db: Db,
  filter: { services?: readonly string[]; from: number; until: number },
): Promise<Correction[]> {
  if (filter.services && filter.services.length === 0) return [];
  let query = db
    .selectFrom('slo_corrections')
    .selectAll()
    .where('starts_at', '<', filter.until)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', filter.from)]));
  if (filter.services) query = query.where('service', 'in', filter.services);
  const rows = await query.orderBy('starts_at').orderBy('id').execute();
  return rows.map(toCorrection);
}

/** The corrections maintenance executions declared, by execution id. */
export async function listExecutionCorrections(
  db: Db,
  executionIds: readonly number[],
): Promise<Map<number, Correction>> {
  if (executionIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('slo_corrections')
    .selectAll()
    .where('execution_id', 'in', executionIds)
    .execute();
  return new Map(rows.map((row) => [Number(row.execution_id), toCorrection(row)]));
}

/** A burn alert as the alert sink stored it, for the history. */
export interface StoredSloAlert {
  id: number;
  severity: string;
  openedAt: number;
  resolvedAt: number | null;
  detail: unknown;
}

/** The alerts of an SLO opened at or after `since` or still open, newest first (read only: the sink writes them). */
export async function listSloAlerts(
  db: Db,
  slo: string,
  since: number,
  limit: number,
): Promise<StoredSloAlert[]> {
  const rows = await db
    .selectFrom('slo_alerts')
    .select(['id', 'severity', 'opened_at', 'resolved_at', 'detail'])
    .where('slo', '=', slo)
    .where((eb) => eb.or([eb('opened_at', '>=', since), eb('resolved_at', 'is', null)]))
    .orderBy('opened_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    severity: row.severity,
    openedAt: Number(row.opened_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    detail: typeof row.detail === 'string' ? (JSON.parse(row.detail) as unknown) : row.detail,
  }));
}

/** How many slice rows an SLO has: its storage, for tests and the bench. */
export async function countSlices(db: Db, slo: string): Promise<number> {
  const row = await db
    .selectFrom('slo_slices')
    .select(sql<number>`count(*)`.as('n'))
    .where('slo', '=', slo)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
