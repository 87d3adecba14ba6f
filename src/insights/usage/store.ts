/**
 * SQL for usage statistics: counts grouped per day, job, user and team, durations for
 * percentiles, and time saved, all over the executions of one scope. Both dialects run the same
 * statements; the only difference (reading a number out of the JSON spec) is in the capability
 * record.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import { DAY_MS, type JobRef, type StateCount, type UsageQuery } from './model.js';

/** The executions a report counts: the query's window and filters, and the jobs the caller may view. */
export interface UsageScope extends UsageQuery {
  /**
   * The jobs the caller may view, always as a list: "every job" would also take in jobs whose
   * first execution was committed after visibility was decided.
   */
  visible: readonly JobRef[];
}

const column = (name: string) => sql.ref(`executions.${name}`);

/** UTC day number of the queue time; integer division on both databases (times are positive). */
const dayOf = sql<number>`(${column('queued_at')} / ${sql.lit(DAY_MS)})`;

/** The where clause of the window and filters, without the visibility restriction. */
function windowCondition(query: UsageQuery): Expression<SqlBool> {
  const conditions = [
    sql`${column('queued_at')} >= ${query.since}`,
    sql`${column('queued_at')} < ${query.until}`,
    // A run on nodes counts once, as its fan-out parent; its per-node children are parts of it.
    sql`${column('node')} is null`,
  ];
  if (query.project !== undefined) conditions.push(sql`${column('project')} = ${query.project}`);
  if (query.job !== undefined) {
    conditions.push(sql`${column('project')} = ${query.job.project}`);
    conditions.push(sql`${column('job_name')} = ${query.job.name}`);
  }
  if (query.team !== undefined) {
    conditions.push(
      sql`${column('requested_by')} in (select user_name from team_members where team = ${query.team})`,
    );
  }
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

/** The where clause of a scope. Row values compared to a VALUES list work on SQLite and PostgreSQL alike. */
function scopeCondition(scope: UsageScope): Expression<SqlBool> {
  const window = windowCondition(scope);
  if (scope.visible.length === 0) return sql<SqlBool>`1 = 0`;
  const jobs = sql.join(scope.visible.map((job) => sql`(${job.project}, ${job.job})`));
  return sql<SqlBool>`(${window} and (${column('project')}, ${column('job_name')}) in (values ${jobs}))`;
}

/** The distinct jobs with executions in the window, to decide visibility once per job. */
export async function listJobsInWindow(db: Db, query: UsageQuery): Promise<JobRef[]> {
  const rows = await db
    .selectFrom('executions')
    .select(['project', 'job_name'])
    .distinct()
    .where(windowCondition(query))
    .execute();
  return rows.map((row) => ({ project: row.project, job: row.job_name }));
}

export async function countByDay(db: Db, scope: UsageScope): Promise<(StateCount & { day: number })[]> {
  const rows = await db
    .selectFrom('executions')
    .select((eb) => [dayOf.as('day'), 'state', eb.fn.countAll().as('count')])
    .where(scopeCondition(scope))
    .groupBy([dayOf, 'state'])
    .execute();
  return rows.map((row) => ({ day: Number(row.day), state: row.state, count: Number(row.count) }));
}

export async function countByJob(db: Db, scope: UsageScope): Promise<(StateCount & JobRef)[]> {
  const rows = await db
    .selectFrom('executions')
    .select((eb) => ['project', 'job_name', 'state', eb.fn.countAll().as('count')])
    .where(scopeCondition(scope))
    .groupBy(['project', 'job_name', 'state'])
    .execute();
  return rows.map((row) => ({
    project: row.project,
    job: row.job_name,
    state: row.state,
    count: Number(row.count),
  }));
}

/** The newest execution of each job in scope. */
export async function listLastExecutions(
  db: Db,
  scope: UsageScope,
): Promise<(JobRef & { id: number; state: string; finishedAt: number | null })[]> {
  const newest = db
    .selectFrom('executions')
    .select((eb) => eb.fn.max('id').as('id'))
    .where(scopeCondition(scope))
    .groupBy(['project', 'job_name']);
  const rows = await db
    .selectFrom('executions')
    .select(['id', 'project', 'job_name', 'state', 'finished_at'])
    .where('id', 'in', newest)
    .execute();
  return rows.map((row) => ({
    id: Number(row.id),
    project: row.project,
    job: row.job_name,
    state: row.state,
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  }));
}

export async function countByUser(db: Db, scope: UsageScope): Promise<(StateCount & { user: string })[]> {
  const rows = await db
    .selectFrom('executions')
    .select((eb) => ['requested_by', 'state', eb.fn.countAll().as('count')])
    .where(scopeCondition(scope))
    .groupBy(['requested_by', 'state'])
    .execute();
  return rows.map((row) => ({ user: row.requested_by, state: row.state, count: Number(row.count) }));
}

/** Each requester with the owner teams of the projects they ran jobs in. */
export async function listOwnersServed(db: Db, scope: UsageScope): Promise<{ user: string; team: string }[]> {
  const rows = await db
    .selectFrom('executions')
    .innerJoin('projects', 'projects.name', 'executions.project')
    .select(['executions.requested_by', 'projects.owner_team'])
    .distinct()
    .where(scopeCondition(scope))
    .where('projects.owner_team', 'is not', null)
    .execute();
  return rows.map((row) => ({ user: row.requested_by, team: row.owner_team! }));
}

/** Counts per team of the requester, day and state; team is null for a requester in no team. */
export async function countByTeam(
  db: Db,
  scope: UsageScope,
): Promise<(StateCount & { team: string | null; day: number })[]> {
  // A member may be listed once per origin (document, OIDC); count them once per team.
  const teams = db.selectFrom('team_members').select(['team', 'user_name']).distinct().as('tm');
  let query = db
    .selectFrom('executions')
    .leftJoin(teams, 'tm.user_name', 'executions.requested_by')
    .select((eb) => ['tm.team', dayOf.as('day'), 'executions.state', eb.fn.countAll().as('count')])
    .where(scopeCondition(scope))
    .groupBy(['tm.team', dayOf, 'executions.state']);
  // Filtered by a team, the report is about that team, not every other team its members are in.
  if (scope.team !== undefined) query = query.where('tm.team', '=', scope.team);
  const rows = await query.execute();
  return rows.map((row) => ({
    team: row.team,
    day: Number(row.day),
    state: row.state,
    count: Number(row.count),
  }));
}

/**
 * Run times of the executions in scope that started and finished, newest first, at most
 * `limit`: percentiles need the values, not an aggregate both databases share.
 */
export async function listDurations(
  db: Db,
  scope: UsageScope,
  limit: number,
): Promise<(JobRef & { durationMs: number })[]> {
  const rows = await db
    .selectFrom('executions')
    .select(['project', 'job_name', sql<number>`finished_at - started_at`.as('duration')])
    .where(scopeCondition(scope))
    .where('started_at', 'is not', null)
    .where('finished_at', 'is not', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ project: row.project, job: row.job_name, durationMs: Number(row.duration) }));
}

/**
 * Per job: succeeded executions whose spec snapshot declares `manualMinutes`, the manual minutes
 * they declare and their run time in milliseconds, summed. Summed in SQL, so no row limit applies.
 */
export async function sumTimeSaved(
  db: Db,
  caps: DialectCapabilities,
  scope: UsageScope,
): Promise<(JobRef & { executions: number; manualMinutes: number; runMs: number })[]> {
  const manualMinutes = caps.jsonNumber('executions.spec', 'manualMinutes');
  const runTime = sql<number>`coalesce(${column('finished_at')} - ${column('started_at')}, 0)`;
  const rows = await db
    .selectFrom('executions')
    .select((eb) => [
      'project',
      'job_name',
      eb.fn.countAll().as('executions'),
      sql<number>`sum(${manualMinutes})`.as('manual_minutes'),
      sql<number>`sum(${runTime})`.as('run_ms'),
    ])
    .where(scopeCondition(scope))
    .where('state', '=', 'succeeded')
    .where(sql<SqlBool>`${manualMinutes} is not null`)
    .groupBy(['project', 'job_name'])
    .execute();
  return rows.map((row) => ({
    project: row.project,
    job: row.job_name,
    executions: Number(row.executions),
    manualMinutes: Number(row.manual_minutes),
    runMs: Number(row.run_ms),
  }));
}
