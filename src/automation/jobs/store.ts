/** SQL for jobs: small functions named by verb, handed the connection. */
import { sql, type Selectable } from 'kysely';
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { JobsTable } from '../../platform/db/schema.js';
import type { Job, JobSpec } from './model.js';

type JobRow = Selectable<JobsTable>;

/** The one conversion from a stored row to a Job. */
export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description,
    labels: readJson<Record<string, string>>(row.labels),
    spec: readJson<JobSpec>(row.spec),
    source: row.source,
    revision: row.revision,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    updatedBy: row.updated_by,
  };
}

export async function getJob(db: Db, project: string, name: string): Promise<Job | undefined> {
  return (await getJobDigest(db, project, name))?.job;
}

/** A job with the digest of the document it was applied from. */
export async function getJobDigest(
  db: Db,
  project: string,
  name: string,
): Promise<{ digest: string; job: Job } | undefined> {
  const row = await db
    .selectFrom('jobs')
    .selectAll()
    .where('project', '=', project)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? { digest: row.digest, job: toJob(row) } : undefined;
}

export interface JobFilter {
  project?: string | undefined;
  /** Case-insensitive substring of the project, name or description. */
  search?: string | undefined;
  /** `spec.service`: the catalog service the job acts on. */
  service?: string | undefined;
}

/** `%` and `_` in a LIKE pattern stand for themselves. */
function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export async function listJobs(db: Db, filter: JobFilter = {}): Promise<Job[]> {
  let query = db.selectFrom('jobs').selectAll().orderBy('project').orderBy('name');
  if (filter.project) query = query.where('project', '=', filter.project);
  if (filter.service) query = query.where('service', '=', filter.service);
  if (filter.search) {
    // lower() on both sides: LIKE ignores case on SQLite but not on PostgreSQL.
    const pattern = `%${likeEscaped(filter.search.toLowerCase())}%`;
    query = query.where((eb) =>
      eb.or(
        (['project', 'name', 'description'] as const).map(
          (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
        ),
      ),
    );
  }
  return (await query.execute()).map(toJob);
}

export async function listJobNames(db: Db, project: string): Promise<string[]> {
  const rows = await db.selectFrom('jobs').select('name').where('project', '=', project).execute();
  return rows.map((row) => row.name);
}

/** Every job's spec, for checks that span jobs (references, cycles). */
export async function listJobSpecs(db: Db): Promise<{ project: string; name: string; spec: JobSpec }[]> {
  const rows = await db.selectFrom('jobs').select(['project', 'name', 'spec']).execute();
  return rows.map((row) => ({ project: row.project, name: row.name, spec: readJson<JobSpec>(row.spec) }));
}

/** The jobs with these names, per project, in one statement. */
export async function listJobsByName(
  db: Db,
  namesByProject: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<Job[]> {
  if (namesByProject.size === 0) return [];
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .where((eb) =>
      eb.or(
        [...namesByProject].map(([project, names]) =>
          eb.and([eb('project', '=', project), eb('name', 'in', [...names])]),
        ),
      ),
    )
    .execute();
  return rows.map(toJob);
}

/** A job whose `spec.service` names the service, if any (jobs that act on a service keep it in the catalog). */
export async function findJobActingOn(
  db: Db,
  service: string,
): Promise<{ project: string; name: string } | undefined> {
  return db.selectFrom('jobs').select(['project', 'name']).where('service', '=', service).executeTakeFirst();
}

export interface JobWrite {
  project: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  spec: JobSpec;
  source: string;
  digest: string;
  actor: string;
  now: number;
}

/** Creates the job, or updates it and bumps its revision. */
export async function upsertJob(db: Db, job: JobWrite): Promise<void> {
  const values = {
    description: job.description,
    labels: JSON.stringify(job.labels),
    spec: JSON.stringify(job.spec),
    service: job.spec.service ?? null,
    source: job.source,
    digest: job.digest,
    updated_at: job.now,
    updated_by: job.actor,
  };
  await db
    .insertInto('jobs')
    .values({ project: job.project, name: job.name, revision: 1, created_at: job.now, ...values })
    .onConflict((conflict) =>
      conflict
        .columns(['project', 'name'])
        .doUpdateSet((eb) => ({ ...values, revision: eb('jobs.revision', '+', 1) })),
    )
    .execute();
}

export async function deleteJob(db: Db, project: string, name: string): Promise<void> {
  await db.deleteFrom('jobs').where('project', '=', project).where('name', '=', name).execute();
}
