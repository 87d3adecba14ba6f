/**
 * SQL for SLO documents as applied (Baton, OpenSLO, Sloth) and for the latest status of each SLO.
 * The documents are kept as written and read back through `readSloDocuments`, so an SLO is always
 * the model the reader makes of the stored documents, never a second copy that could drift.
 */
import type { Db } from '../../platform/db/database.js';
import { listServices } from '../services/store.js';
import { sloStatus, type SloStatus } from '../../contract/slos.js';
import { readSloDocuments } from './resolve.js';
import type { SloReading } from './model.js';

/** How one stored document is identified: `openslo/v1 SLI latency`, `prometheus/v1 Sloth checkout`. */
export interface SloDocumentKey {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface StoredSloDocument extends SloDocumentKey {
  document: unknown;
  source: string;
  digest: string;
  updatedAt: number;
  updatedBy: string;
}

function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export async function listSloDocuments(
  db: Db,
  filter: Partial<SloDocumentKey> = {},
): Promise<StoredSloDocument[]> {
  let query = db.selectFrom('slo_documents').selectAll();
  if (filter.apiVersion !== undefined) query = query.where('api_version', '=', filter.apiVersion);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.name !== undefined) query = query.where('name', '=', filter.name);
  const rows = await query.orderBy('api_version').orderBy('kind').orderBy('name').execute();
  return rows.map((row) => ({
    apiVersion: row.api_version,
    kind: row.kind,
    name: row.name,
    document: json(row.document),
    source: row.source,
    digest: row.digest,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }));
}

export async function getSloDocument(db: Db, key: SloDocumentKey): Promise<StoredSloDocument | undefined> {
  return (await listSloDocuments(db, key))[0];
}

export async function saveSloDocument(
  db: Db,
  key: SloDocumentKey,
  saved: { document: unknown; source: string; digest: string; actor: string; now: number },
): Promise<void> {
  const values = {
    document: JSON.stringify(saved.document),
    source: saved.source,
    digest: saved.digest,
    updated_at: saved.now,
    updated_by: saved.actor,
  };
  await db
    .insertInto('slo_documents')
    .values({ api_version: key.apiVersion, kind: key.kind, name: key.name, created_at: saved.now, ...values })
    .onConflict((conflict) => conflict.columns(['api_version', 'kind', 'name']).doUpdateSet(values))
    .execute();
}

export async function deleteSloDocument(db: Db, key: SloDocumentKey): Promise<void> {
  await db
    .deleteFrom('slo_documents')
    .where('api_version', '=', key.apiVersion)
    .where('kind', '=', key.kind)
    .where('name', '=', key.name)
    .execute();
}

/** Every stored SLO document read into the one model, with the Baton Services that own them. */
export async function loadSloReading(db: Db): Promise<SloReading & { documents: StoredSloDocument[] }> {
  const [documents, services] = await Promise.all([listSloDocuments(db), listServices(db)]);
  const reading = readSloDocuments(
    documents.map((stored) => stored.document),
    { batonServices: new Map(services.map((service) => [service.name, { owner: service.owner }])) },
  );
  return { ...reading, documents };
}

/** The latest status of every SLO (or of one service's). */
export async function listSloStatuses(db: Db, service?: string): Promise<SloStatus[]> {
  let query = db.selectFrom('slo_status').select('status');
  if (service !== undefined) query = query.where('service', '=', service);
  const rows = await query.orderBy('slo').execute();
  return rows.map((row) => sloStatus.parse(json(row.status)));
}

export async function getSloStatus(db: Db, slo: string): Promise<SloStatus | undefined> {
  const row = await db.selectFrom('slo_status').select('status').where('slo', '=', slo).executeTakeFirst();
  return row && sloStatus.parse(json(row.status));
}

/** Replaces an SLO's status (the evaluation duty is the only writer). */
export async function putSloStatus(db: Db, status: SloStatus, now: number): Promise<void> {
  const values = {
    service: status.service,
    status: JSON.stringify(status),
    evaluated_at: now,
    no_data_since: status.noDataSince === null ? null : Date.parse(status.noDataSince),
  };
  await db
    .insertInto('slo_status')
    .values({ slo: status.slo, ...values })
    .onConflict((conflict) => conflict.column('slo').doUpdateSet(values))
    .execute();
}

/** Removes the status of SLOs that no longer exist. */
export async function deleteSloStatusesExcept(db: Db, keep: readonly string[]): Promise<void> {
  let query = db.deleteFrom('slo_status');
  if (keep.length > 0) query = query.where('slo', 'not in', keep);
  await query.execute();
}
