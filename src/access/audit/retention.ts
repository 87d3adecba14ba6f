/**
 * Audit retention, separate from execution retention (audits are usually kept far longer):
 * records older than `BATON_AUDIT_RETENTION` are deleted oldest first, in batches of short
 * transactions, each moving the head's pruned point along so the chain still verifies.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import type { Metrics } from '../../platform/metrics.js';
import { pruneAuditBatch } from './store.js';
import { appendAudit } from './trail.js';

/** Records per delete: small enough that appenders waiting on the head wait milliseconds. */
const BATCH = 500;
/** Batches per run; the rest waits for the next run. */
const MAX_BATCHES = 50;

/** Deletes records older than `retentionMs` and records how many in an `audit.prune` record. */
export async function pruneAuditTrail(
  db: Db,
  retentionMs: number,
  now: number,
  metrics?: Metrics,
): Promise<number> {
  const cutoff = now - retentionMs;
  let total = 0;
  let throughSeq: number | undefined;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const pruned = await pruneAuditBatch(db, cutoff, BATCH);
    total += pruned.deleted;
    throughSeq = pruned.throughSeq ?? throughSeq;
    if (pruned.deleted < BATCH) break;
  }
  if (total > 0) {
    metrics?.retentionDeleted.inc({ kind: 'audit_events' }, total);
    await appendAudit(
      db,
      {
        actor: 'baton',
        action: 'audit.prune',
        target: 'audit',
        summary: { deleted: total, throughSeq, olderThan: new Date(cutoff).toISOString() },
      },
      now,
    );
  }
  return total;
}

/** The audit retention duty; with retention `never` (null) it deletes nothing. */
export function auditRetentionDuty(ctx: { db: Db; metrics: Metrics }, retentionMs: number | null): Duty {
  return {
    name: 'audit-retention',
    everyMs: 60_000,
    run: async (now) => {
      if (retentionMs !== null) await pruneAuditTrail(ctx.db, retentionMs, now, ctx.metrics);
    },
  };
}
