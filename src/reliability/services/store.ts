/** SQL for the service catalog. */
import type { Db } from '../../platform/db/database.js';
import type { ServiceDocument } from './model.js';

export interface Service {
  name: string;
  description: string | null;
  owner: string;
  lifecycle: ServiceDocument['spec']['lifecycle'];
  links: ServiceDocument['spec']['links'];
  /** `metadata.labels`; empty when the document has none. */
  labels: Record<string, string>;
  /** Whether the document as applied carried `metadata.labels` (so a reload gives the same digest). */
  hasLabels: boolean;
  digest: string;
  updatedAt: number;
  updatedBy: string;
}

type ServiceRow = Awaited<ReturnType<typeof selectServices>>[number];

function selectServices(db: Db) {
  return db.selectFrom('services').selectAll().orderBy('name').execute();
}

/** PostgreSQL hands JSON back parsed, SQLite as text. */
function readJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function parse(row: ServiceRow): Service {
  return {
    name: row.name,
    description: row.description,
    owner: row.owner_team,
    lifecycle: row.lifecycle as Service['lifecycle'],
    links: readJson(row.links) as Service['links'],
    labels: row.labels === null ? {} : (readJson(row.labels) as Record<string, string>),
    hasLabels: row.labels !== null,
    digest: row.digest,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export async function listServices(db: Db): Promise<Service[]> {
  return (await selectServices(db)).map(parse);
}

/** The names of every service in the catalog (what jobs may name in `spec.service`). */
export async function listServiceNames(db: Db): Promise<string[]> {
  return (await listServices(db)).map((service) => service.name);
}

export async function getService(db: Db, name: string): Promise<Service | undefined> {
  const row = await db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirst();
  return row && parse(row);
}

export async function saveService(
  db: Db,
  service: { document: ServiceDocument; source: string; digest: string; actor: string; now: number },
): Promise<void> {
  const { metadata, spec } = service.document;
  const values = {
    description: metadata.description ?? null,
    owner_team: spec.owner,
    lifecycle: spec.lifecycle,
    links: JSON.stringify(spec.links),
    labels: metadata.labels === undefined ? null : JSON.stringify(metadata.labels),
    source: service.source,
    digest: service.digest,
    updated_at: service.now,
    updated_by: service.actor,
  };
  await db
    .insertInto('services')
    .values({ name: metadata.name, created_at: service.now, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
}

export async function deleteService(db: Db, name: string): Promise<void> {
  await db.deleteFrom('services').where('name', '=', name).execute();
}
