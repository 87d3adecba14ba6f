/**
 * SQL for projects: the one writer of the projects table. A project comes from a `kind: Project`
 * document (upsertProject) or into being when a job first names it (ensureProject).
 */
import type { Db } from '../../platform/db/database.js';

/** A project as stored; `notifications` is the JSON column as the driver returns it. */
export interface ProjectRecord {
  name: string;
  ownerTeam: string | null;
  description: string | null;
  retentionMs: number | null;
  notifications: unknown;
}

export async function findProject(db: Db, name: string): Promise<ProjectRecord | undefined> {
  const row = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
  return (
    row && {
      name: row.name,
      ownerTeam: row.owner_team,
      description: row.description,
      retentionMs: row.retention_ms === null ? null : Number(row.retention_ms),
      notifications: row.notifications,
    }
  );
}

/** The names of the projects a team owns. */
export async function listProjectNamesOwnedBy(db: Db, team: string): Promise<string[]> {
  const rows = await db.selectFrom('projects').select('name').where('owner_team', '=', team).execute();
  return rows.map((row) => row.name);
}

/** Creates or replaces a project from its document (`notifications` as JSON text or null). */
export async function upsertProject(
  db: Db,
  project: Omit<ProjectRecord, 'notifications'> & { notifications: string | null },
  now: number,
): Promise<void> {
  const values = {
    owner_team: project.ownerTeam,
    description: project.description,
    retention_ms: project.retentionMs,
    notifications: project.notifications,
  };
  await db
    .insertInto('projects')
    .values({ name: project.name, created_at: now, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
}

/** Creates a project that a job names, unless it exists already (implicit projects have no document). */
export async function ensureProject(db: Db, name: string, now: number): Promise<void> {
  await db
    .insertInto('projects')
    .values({ name, created_at: now })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
}

/** Projects whose executions are kept for their own time instead of the global one. */
export async function listRetentionOverrides(db: Db): Promise<{ project: string; retentionMs: number }[]> {
  const rows = await db
    .selectFrom('projects')
    .select(['name', 'retention_ms'])
    .where('retention_ms', 'is not', null)
    .execute();
  return rows.map((row) => ({ project: row.name, retentionMs: Number(row.retention_ms) }));
}
