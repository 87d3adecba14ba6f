/**
 * Retention: executions (with their steps and log chunks) that finished longer ago than their
 * project's retention are deleted in small batches, each its own short transaction, so the
 * queue never waits behind a long delete.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import type { Metrics } from '../../platform/metrics.js';

/** Executions per delete statement: small enough to keep each transaction to milliseconds. */
const BATCH = 200;
/** Batches per run; the rest waits for the next run, so one run never hogs the database. */
const MAX_BATCHES = 50;

export interface RetentionPolicy {
  /** Global retention in milliseconds. */
  defaultMs: number;
}

/** Deletes one batch of expired executions of the given projects (or all projects without an override). */
async function deleteBatch(
  db: Db,
  cutoff: number,
  scope: { project: string } | { exceptProjects: string[] },
): Promise<{ executions: number; chunks: number; logBytes: number }> {
  return db.transaction().execute(async (trx) => {
    let select = trx
      .selectFrom('executions')
      .select('id')
      .where('finished_at', '<', cutoff)
      .orderBy('id')
      .limit(BATCH);
    if ('project' in scope) select = select.where('project', '=', scope.project);
    else if (scope.exceptProjects.length > 0)
      select = select.where('project', 'not in', scope.exceptProjects);
    const ids = (await select.execute()).map((row) => row.id);
    if (ids.length === 0) return { executions: 0, chunks: 0, logBytes: 0 };
    const chunks = await trx
      .selectFrom('log_chunks')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('raw_bytes').as('bytes')])
      .where('execution_id', 'in', ids)
      .executeTakeFirstOrThrow();
    // Steps and log chunks go with their execution (ON DELETE CASCADE).
    await trx.deleteFrom('executions').where('id', 'in', ids).execute();
    return { executions: ids.length, chunks: Number(chunks.count), logBytes: Number(chunks.bytes ?? 0) };
  });
}

/** The retention duty: global age, overridden per project by `kind: Project` documents. */
export function retentionDuty(ctx: { db: Db; metrics: Metrics }, policy: RetentionPolicy): Duty {
  return {
    name: 'retention',
    everyMs: 60_000,
    run: async (now) => {
      const overrides = await ctx.db
        .selectFrom('projects')
        .select(['name', 'retention_ms'])
        .where('retention_ms', 'is not', null)
        .execute();
      const scopes: { cutoff: number; scope: { project: string } | { exceptProjects: string[] } }[] = [
        { cutoff: now - policy.defaultMs, scope: { exceptProjects: overrides.map((row) => row.name) } },
        ...overrides.map((row) => ({ cutoff: now - row.retention_ms!, scope: { project: row.name } })),
      ];
      let batches = 0;
      for (const { cutoff, scope } of scopes) {
        while (batches < MAX_BATCHES) {
          batches++;
          const deleted = await deleteBatch(ctx.db, cutoff, scope);
          ctx.metrics.retentionDeleted.inc({ kind: 'executions' }, deleted.executions);
          ctx.metrics.retentionDeleted.inc({ kind: 'log_chunks' }, deleted.chunks);
          ctx.metrics.retentionDeletedLogBytes.inc(deleted.logBytes);
          if (deleted.executions < BATCH) break;
        }
      }
    },
  };
}
