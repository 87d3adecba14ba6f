/**
 * Event retention, beside execution retention and with the same age: an event is kept as long
 * as the executions it caused are. Dedup keys whose window ended long ago go too.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import type { Metrics } from '../../platform/metrics.js';
import { deleteEventsBefore, deleteExpiredDedup } from './store.js';

const BATCH = 500;
const MAX_BATCHES = 20;
/** A dedup key this long past its window is never needed again (a new claim takes it over anyway). */
const DEDUP_GRACE_MS = 24 * 60 * 60_000;

export function eventRetentionDuty(ctx: { db: Db; metrics: Metrics }, policy: { defaultMs: number }): Duty {
  return {
    name: 'event-retention',
    everyMs: 60_000,
    run: async (now) => {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const deleted = await deleteEventsBefore(ctx.db, now - policy.defaultMs, BATCH);
        ctx.metrics.retentionDeleted.inc({ kind: 'events' }, deleted);
        if (deleted < BATCH) break;
      }
      await deleteExpiredDedup(ctx.db, now - DEDUP_GRACE_MS);
    },
  };
}
