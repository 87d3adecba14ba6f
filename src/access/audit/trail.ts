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

/** What was done; dotted names group related actions (`token.create`, `token.revoke`). */
export type AuditAction =
  | 'apply'
  | 'execution.run'
  | 'execution.cancel'
  | 'execution.approve'
  | 'execution.reject'
  | 'execution.approval-expired'
  | 'schedule.fire'
  | 'token.create'
  | 'token.revoke'
  | 'user.create'
  | 'user.update'
  | 'sign-in.success'
  | 'sign-in.failure'
  | 'sign-out'
  | 'secret.write'
  | 'secret.delete'
  | 'secret.use'
  | 'secret.rotate-key'
  | 'node.forget-host-key'
  | 'audit.prune';

export interface AuditEntry {
  /** The name of who acted (`admin`, `alice`, `ci-bot`), or `baton` for the system itself. */
  actor: string;
  /** The network address the request came from, when it came over the network. */
  address?: string | undefined;
  action: AuditAction;
  /** What was acted on: `job/ops/restart`, `execution/42`, `secret/db/prod/password`, `token/7`. */
  target: string;
  /** A short, secret-free description of the change. */
  summary?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'address'>> {
  seq: number;
  at: number;
  address: string | null;
  prevHash: string;
  hash: string;
}

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
  const head = await db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const unhashed: Omit<AuditRecord, 'hash'> = {
    seq: Number(head.seq),
    at: now,
    actor: entry.actor,
    address: entry.address ?? null,
    action: entry.action,
    target: entry.target,
    summary: entry.summary ?? {},
    prevHash: head.hash,
  };
  const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
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
  await db.updateTable('audit_head').set({ hash: record.hash }).where('id', '=', 1).execute();
  return record;
}
