/**
 * SQL for schedules. The fire is the interesting part: `claimFires` moves `next_fire_at` on
 * only where it still holds the time being fired, so of several servers handling the same due
 * schedule exactly one sees its row updated, and only that one queues the execution (in the
 * same transaction). Exactly once is a property of the database, not of a lock or a lease.
 */
import { sql, type RawBuilder, type Selectable } from 'kysely';
import { readJson, type DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { SchedulesTable } from '../../platform/db/schema.js';
import { nextFireTime } from './cron.js';
import type { FireOutcome, MisfirePolicy, Schedule } from './model.js';

type ScheduleRow = Selectable<SchedulesTable>;

/** The one conversion from a stored row to a Schedule. */
export function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    job: row.job_name,
    definedByJob: row.defined_by_job,
    description: row.description,
    cron: row.cron,
    timezone: row.timezone,
    options: readJson<Record<string, unknown>>(row.options),
    enabled: row.enabled === 1,
    misfire: row.misfire as MisfirePolicy,
    runAs: row.run_as,
    owner: row.owner,
    nextFireAt: row.next_fire_at,
    lastFire:
      row.last_scheduled_at === null || row.last_fired_at === null || row.last_outcome === null
        ? null
        : {
            scheduledAt: row.last_scheduled_at,
            firedAt: row.last_fired_at,
            outcome: row.last_outcome as FireOutcome,
            reason: row.last_reason,
            executionId: row.last_execution_id,
          },
    digest: row.digest,
    source: row.source,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** What an apply writes: the definition fields of a Schedule, and who applied which source when. */
export type ScheduleWrite = Pick<
  Schedule,
  | 'project'
  | 'name'
  | 'job'
  | 'definedByJob'
  | 'description'
  | 'cron'
  | 'timezone'
  | 'options'
  | 'enabled'
  | 'misfire'
  | 'runAs'
  | 'owner'
> & { source: string; digest: string; actor: string; now: number };

/**
 * Creates or updates a schedule. The next fire time is kept when neither the expression, the
 * zone nor enabled changed (a new option value does not move a fire); otherwise it is the first
 * time after now, so re-enabling a schedule never runs the time it was off for.
 */
export async function saveSchedule(db: Db, schedule: ScheduleWrite): Promise<void> {
  const existing = await db
    .selectFrom('schedules')
    .select(['cron', 'timezone', 'enabled', 'next_fire_at'])
    .where('project', '=', schedule.project)
    .where('name', '=', schedule.name)
    .executeTakeFirst();
  const sameTiming =
    existing !== undefined &&
    existing.cron === schedule.cron &&
    existing.timezone === schedule.timezone &&
    (existing.enabled === 1) === schedule.enabled &&
    existing.next_fire_at !== null;
  const nextFireAt = !schedule.enabled
    ? null
    : sameTiming
      ? existing.next_fire_at
      : (nextFireTime(schedule.cron, schedule.timezone, schedule.now) ?? null);
  const values = {
    job_name: schedule.job,
    defined_by_job: schedule.definedByJob,
    description: schedule.description,
    cron: schedule.cron,
    timezone: schedule.timezone,
    options: JSON.stringify(schedule.options),
    enabled: schedule.enabled ? 1 : 0,
    misfire: schedule.misfire,
    run_as: schedule.runAs,
    owner: schedule.owner,
    next_fire_at: nextFireAt,
    source: schedule.source,
    digest: schedule.digest,
    updated_at: schedule.now,
    updated_by: schedule.actor,
  };
  if (existing) {
    await db
      .updateTable('schedules')
      .set(values)
      .where('project', '=', schedule.project)
      .where('name', '=', schedule.name)
      .execute();
  } else {
    await db
      .insertInto('schedules')
      .values({ project: schedule.project, name: schedule.name, created_at: schedule.now, ...values })
      .execute();
  }
}

export async function deleteSchedule(db: Db, project: string, name: string): Promise<void> {
  await db.deleteFrom('schedules').where('project', '=', project).where('name', '=', name).execute();
}

/** Removes the schedules a job's `spec.schedules` defined, except those named in `keep`. */
export async function deleteJobSchedules(
  db: Db,
  project: string,
  job: string,
  keep: readonly string[] = [],
): Promise<void> {
  let query = db.deleteFrom('schedules').where('project', '=', project).where('defined_by_job', '=', job);
  if (keep.length > 0) query = query.where('name', 'not in', keep);
  await query.execute();
}

export async function getSchedule(db: Db, project: string, name: string): Promise<Schedule | undefined> {
  const row = await db
    .selectFrom('schedules')
    .selectAll()
    .where('project', '=', project)
    .where('name', '=', name)
    .executeTakeFirst();
  return row && toSchedule(row);
}

export interface ScheduleFilter {
  project?: string | undefined;
  name?: string | undefined;
  job?: string | undefined;
}

/** Schedules by project and name, each with the state of its last execution (null when none or deleted). */
export async function listSchedules(
  db: Db,
  filter: ScheduleFilter = {},
): Promise<(Schedule & { lastExecutionState: string | null })[]> {
  let query = db
    .selectFrom('schedules')
    .leftJoin('executions', 'executions.id', 'schedules.last_execution_id')
    .selectAll('schedules')
    .select('executions.state as last_execution_state')
    .orderBy('schedules.project')
    .orderBy('schedules.name');
  if (filter.project) query = query.where('schedules.project', '=', filter.project);
  if (filter.name) query = query.where('schedules.name', '=', filter.name);
  if (filter.job) query = query.where('schedules.job_name', '=', filter.job);
  const rows = await query.execute();
  return rows.map((row) => ({ ...toSchedule(row), lastExecutionState: row.last_execution_state }));
}

/** Names of the Schedule documents of a project (not those jobs define), for `apply --prune`. */
export async function listScheduleDocumentNames(db: Db, project: string): Promise<string[]> {
  const rows = await db
    .selectFrom('schedules')
    .select('name')
    .where('project', '=', project)
    .where('defined_by_job', 'is', null)
    .execute();
  return rows.map((row) => row.name);
}

/** The Schedule documents that run a job, for the check that keeps a job they run from being deleted. */
export async function listScheduleDocumentsOfJob(db: Db, project: string, job: string): Promise<Schedule[]> {
  const rows = await db
    .selectFrom('schedules')
    .selectAll()
    .where('project', '=', project)
    .where('job_name', '=', job)
    .where('defined_by_job', 'is', null)
    .execute();
  return rows.map(toSchedule);
}

/**
 * Due schedules, oldest first. On PostgreSQL the rows are locked and rows another server has
 * locked are skipped, so two servers split a burst instead of queueing behind each other; the
 * conditional update in `claimFires` is what keeps a fire single either way.
 */
export async function selectDueSchedules(
  db: Db,
  caps: DialectCapabilities,
  now: number,
  limit: number,
): Promise<Schedule[]> {
  let query = db
    .selectFrom('schedules')
    .selectAll()
    .where('next_fire_at', '<=', now)
    .orderBy('next_fire_at')
    .orderBy('id')
    .limit(limit);
  if (caps.skipLocked) query = query.forUpdate().skipLocked();
  return (await query.execute()).map(toSchedule);
}

/** The earliest next fire time of any enabled schedule, or undefined when none is due ever. */
export async function earliestFireAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('schedules')
    .select((eb) => eb.fn.min('next_fire_at').as('earliest'))
    .executeTakeFirst();
  return row?.earliest === null || row?.earliest === undefined ? undefined : Number(row.earliest);
}

/** A fire decided in memory, waiting to be claimed. */
export interface PlannedFire {
  id: number;
  /** The `next_fire_at` being fired: the claim holds only if it is still this. */
  dueAt: number;
  /** The time after; null when the expression has no more. */
  nextFireAt: number | null;
  outcome: FireOutcome;
  reason: string | null;
}

function castTo(
  caps: DialectCapabilities,
  type: 'bigint' | 'text',
  value: number | string | null,
): RawBuilder<unknown> {
  // PostgreSQL types the parameters of a VALUES list as text unless told otherwise.
  return sql`CAST(${value} AS ${sql.raw(type === 'bigint' ? caps.bigintType : 'text')})`;
}

/**
 * Moves each schedule on to its next fire time and records the outcome, but only where
 * `next_fire_at` still equals the time being fired; returns the ids whose row it updated. One
 * statement for the whole batch: a thousand schedules due in the same second are one round trip,
 * not a thousand. Run it in the transaction that inserts the executions.
 */
export async function claimFires(
  db: Db,
  caps: DialectCapabilities,
  fires: readonly PlannedFire[],
  now: number,
): Promise<Set<number>> {
  if (fires.length === 0) return new Set();
  const values = sql.join(
    fires.map(
      (fire) =>
        sql`(${castTo(caps, 'bigint', fire.id)}, ${castTo(caps, 'bigint', fire.dueAt)}, ${castTo(caps, 'bigint', fire.nextFireAt)}, ${castTo(caps, 'text', fire.outcome)}, ${castTo(caps, 'text', fire.reason)})`,
    ),
  );
  // VALUES columns are column1, column2, … on both databases (SQLite cannot rename them).
  const { rows } = await sql<{ id: number }>`
    UPDATE schedules SET
      next_fire_at = v.column3,
      last_scheduled_at = v.column2,
      last_fired_at = ${castTo(caps, 'bigint', now)},
      last_outcome = v.column4,
      last_reason = v.column5,
      last_execution_id = NULL
    FROM (VALUES ${values}) AS v
    WHERE schedules.id = v.column1 AND schedules.next_fire_at = v.column2
    RETURNING schedules.id`.execute(db);
  return new Set(rows.map((row) => Number(row.id)));
}

/** Records the execution each claimed fire queued. */
export async function recordFireExecutions(
  db: Db,
  caps: DialectCapabilities,
  executions: readonly { scheduleId: number; executionId: number }[],
): Promise<void> {
  if (executions.length === 0) return;
  const values = sql.join(
    executions.map(
      (entry) =>
        sql`(${castTo(caps, 'bigint', entry.scheduleId)}, ${castTo(caps, 'bigint', entry.executionId)})`,
    ),
  );
  await sql`
    UPDATE schedules SET last_execution_id = v.column2
    FROM (VALUES ${values}) AS v
    WHERE schedules.id = v.column1`.execute(db);
}

/** Users and service accounts by name, as owners are checked at fire time. */
export async function findOwners(
  db: Db,
  names: readonly string[],
): Promise<Map<string, { id: number; kind: string; isAdmin: boolean; disabled: boolean }>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'name', 'kind', 'is_admin', 'disabled_at'])
    .where('name', 'in', [...new Set(names)])
    .execute();
  return new Map(
    rows.map((row) => [
      row.name,
      { id: row.id, kind: row.kind, isAdmin: row.is_admin === 1, disabled: row.disabled_at !== null },
    ]),
  );
}
