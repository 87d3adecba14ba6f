/** SQL for the audit trail: appending (trail.ts chains the hashes), reading and pruning. */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { AuditAction, AuditRecord } from './model.js';

export interface AuditHead {
  seq: number;
  hash: string;
  prunedSeq: number;
  prunedHash: string;
}

export async function readAuditHead(db: Db): Promise<AuditHead> {
  const row = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash', 'pruned_seq', 'pruned_hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return {
    seq: Number(row.seq),
    hash: row.hash,
    prunedSeq: Number(row.pruned_seq),
    prunedHash: row.pruned_hash,
  };
}

/** Bumps the head's sequence number, taking its row lock first, and returns the new seq with the previous hash. */
export async function advanceAuditHead(db: Db): Promise<{ seq: number; hash: string }> {
  const head = await db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

/** Stores one hashed record; in the transaction that advanced the head. */
export async function insertAuditRecord(db: Db, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      seq: record.seq,
      at: record.at,
      actor: record.actor,
      address: record.address,
      action: record.action,
      target: record.target,
      summary: JSON.stringify(record.summary),
      prev_hash: record.prevHash,
      hash: record.hash,
    })
    .execute();
}

/** Moves the head's hash to the record just appended. */
export async function setAuditHeadHash(db: Db, hash: string): Promise<void> {
  await db.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
}

function selectRecords(db: Db) {
  return db
    .selectFrom('audit_events')
    .select(['seq', 'at', 'actor', 'address', 'action', 'target', 'summary', 'prev_hash', 'hash']);
}

type AuditRow = Awaited<ReturnType<ReturnType<typeof selectRecords>['executeTakeFirstOrThrow']>>;

/** Row to record. Summaries are JSON text on SQLite and jsonb on PostgreSQL. */
function parseRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: row.actor,
    address: row.address,
    action: row.action as AuditAction,
    target: row.target,
    summary: (typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary) as Record<
      string,
      unknown
    >,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditFilter {
  actor?: string | undefined;
  /** An action (`token.create`), or a group of them (`token`). */
  action?: string | undefined;
  /** Targets starting with this (`token/`, `job/ops/`). */
  targetPrefix?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** Records matching the filter, newest first, with seq below `before`. */
export async function listAuditRecords(
  db: Db,
  filter: AuditFilter & { before?: number | undefined; limit: number },
): Promise<AuditRecord[]> {
  let query = selectRecords(db).orderBy('seq', 'desc').limit(filter.limit);
  if (filter.before !== undefined) query = query.where('seq', '<', filter.before);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  const { action, targetPrefix } = filter;
  if (action !== undefined) {
    query = action.includes('.')
      ? query.where('action', '=', action)
      : query.where((eb) =>
          eb.or([
            eb('action', '=', action),
            eb(sql<string>`substr(action, 1, ${action.length + 1})`, '=', `${action}.`),
          ]),
        );
  }
  // substr rather than LIKE: no escaping of % and _, and the same on both databases.
  if (targetPrefix !== undefined) {
    query = query.where(sql<string>`substr(target, 1, ${targetPrefix.length})`, '=', targetPrefix);
  }
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  return (await query.execute()).map(parseRecord);
}

/** Up to `limit` records with `after < seq <= through`, oldest first: one page of a walk along the chain. */
export async function readAuditRange(
  db: Db,
  range: {
    after: number;
    through?: number | undefined;
    since?: number | undefined;
    until?: number | undefined;
  },
  limit: number,
): Promise<AuditRecord[]> {
  let query = selectRecords(db).where('seq', '>', range.after).orderBy('seq').limit(limit);
  if (range.through !== undefined) query = query.where('seq', '<=', range.through);
  if (range.since !== undefined) query = query.where('at', '>=', range.since);
  if (range.until !== undefined) query = query.where('at', '<', range.until);
  return (await query.execute()).map(parseRecord);
}

/**
 * Deletes the oldest records older than `cutoff`, at most `limit`, and moves the head's pruned
 * point to the last one deleted in the same transaction, so the chain stays verifiable. Only a
 * prefix of the chain is deleted: a record is kept, with everything after it, as soon as one
 * is not old enough (clocks of several servers need not agree to the millisecond).
 */
export async function pruneAuditBatch(
  db: Db,
  cutoff: number,
  limit: number,
): Promise<{ deleted: number; throughSeq: number | undefined }> {
  return db.transaction().execute(async (trx) => {
    const head = await readAuditHead(trx);
    const oldest = await trx
      .selectFrom('audit_events')
      .select(['seq', 'at', 'hash'])
      .where('seq', '>', head.prunedSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    let last: { seq: number; hash: string } | undefined;
    let deleted = 0;
    for (const row of oldest) {
      if (Number(row.at) >= cutoff) break;
      last = { seq: Number(row.seq), hash: row.hash };
      deleted++;
    }
    if (!last) return { deleted: 0, throughSeq: undefined };
    await trx.deleteFrom('audit_events').where('seq', '<=', last.seq).execute();
    await trx
      .updateTable('audit_head')
      .set({ pruned_seq: last.seq, pruned_hash: last.hash })
      .where('id', '=', 1)
      .execute();
    return { deleted, throughSeq: last.seq };
  });
}
