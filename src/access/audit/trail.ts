/**
 * The audit trail: every state-changing action is appended as a record whose hash covers the
 * record and the previous record's hash. The head row holds the newest sequence number and hash;
 * appending updates it, which also serializes concurrent appenders on every database (the row
 * lock on PostgreSQL, the single writer on SQLite).
 *
 * Callers append inside the transaction that makes the change when there is one, so a change
 * and its record commit or roll back together.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../platform/canonical-json.js';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../model.js';
import type { AuditEntry, AuditRecord } from './model.js';
import { advanceAuditHead, insertAuditRecord, setAuditHeadHash } from './store.js';

/** The actor and address of a principal, for `AuditEntry`. */
export function auditActor(principal: Pick<Principal, 'name' | 'address'>): {
  actor: string;
  address?: string;
} {
  return principal.address
    ? { actor: principal.name, address: principal.address }
    : { actor: principal.name };
}

/** The hash of a record: its content (without its own hash) chained to the previous hash. */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  const content = canonicalJson({
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    address: record.address,
    action: record.action,
    target: record.target,
    summary: record.summary,
  });
  return createHash('sha256').update(record.prevHash).update('\n').update(content).digest('hex');
}

/**
 * Appends one record. Pass the transaction that makes the change, so both commit together;
 * with a plain connection the append runs in a transaction of its own.
 */
export async function appendAudit(db: Db, entry: AuditEntry, now = Date.now()): Promise<AuditRecord> {
  if (!db.isTransaction) return db.transaction().execute((trx) => appendAudit(trx, entry, now));
  // Bumping the head first takes its row lock before reading the previous hash.
  const head = await advanceAuditHead(db);
  const unhashed: Omit<AuditRecord, 'hash'> = {
    seq: head.seq,
    at: now,
    actor: entry.actor,
    address: entry.address ?? null,
    action: entry.action,
    target: entry.target,
    summary: entry.summary ?? {},
    prevHash: head.hash,
  };
  const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
  await insertAuditRecord(db, record);
  await setAuditHeadHash(db, record.hash);
  return record;
}
