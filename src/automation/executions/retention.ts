/**
 * Retention: executions (with their steps and log chunks) that finished longer ago than their
 * project's retention are deleted in small batches, each its own short transaction, so the
 * queue never waits behind a long delete.
 */
import { listRetentionOverrides } from '../../access/projects/store.js';
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import type { Metrics } from '../../platform/metrics.js';
import { deleteFinishedExecutions, type RetentionScope } from './store.js';

/** Executions per delete statement: small enough to keep each transaction to milliseconds. */
const BATCH = 200;
/** Batches per run; the rest waits for the next run, so one run never hogs the database. */
const MAX_BATCHES = 50;

export interface RetentionPolicy {
  /** Global retention in milliseconds. */
  defaultMs: number;
}

/** The retention duty: global age, overridden per project by `kind: Project` documents. */
export function retentionDuty(ctx: { db: Db; metrics: Metrics }, policy: RetentionPolicy): Duty {
  return {
    name: 'retention',
    everyMs: 60_000,
    run: async (now) => {
      const overrides = await listRetentionOverrides(ctx.db);
      const scopes: { cutoff: number; scope: RetentionScope }[] = [
        { cutoff: now - policy.defaultMs, scope: { exceptProjects: overrides.map((row) => row.project) } },
        ...overrides.map((row) => ({ cutoff: now - row.retentionMs, scope: { project: row.project } })),
      ];
      let batches = 0;
      for (const { cutoff, scope } of scopes) {
        while (batches < MAX_BATCHES) {
          batches++;
          const deleted = await deleteFinishedExecutions(ctx.db, cutoff, scope, BATCH);
          ctx.metrics.retentionDeleted.inc({ kind: 'executions' }, deleted.executions);
          ctx.metrics.retentionDeleted.inc({ kind: 'log_chunks' }, deleted.chunks);
          ctx.metrics.retentionDeletedLogBytes.inc(deleted.logBytes);
          if (deleted.executions < BATCH) break;
        }
      }
    },
  };
}
