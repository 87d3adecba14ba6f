/**
 * The approval deadline: executions nobody approved in time are rejected, each in its own short
 * transaction with its audit record. Runs as a duty (once across all processes); the state change
 * is conditional, so an approval landing at the same moment either wins or finds it rejected.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import type { EventBus } from '../../platform/events.js';
import { appendAudit } from '../../access/audit/trail.js';
import { approvalRequirement, DEFAULT_APPROVAL_EXPIRES, expiryReason } from './model.js';
import { listExpired, rejectAwaiting } from '../executions/store.js';

/** Executions per run; the rest waits for the next run. */
const BATCH = 200;

/** Who acts when Baton itself does, in the audit trail. */
const SYSTEM_ACTOR = 'baton';

/** Rejects every execution whose approval deadline is at or before `now`; returns their ids. */
export async function expireApprovals(ctx: { db: Db; events: EventBus }, now: number): Promise<number[]> {
  const expired: number[] = [];
  for (const execution of await listExpired(ctx.db, now, BATCH)) {
    const expires = approvalRequirement(execution.spec)?.expires ?? DEFAULT_APPROVAL_EXPIRES;
    const rejected = await ctx.db.transaction().execute(async (trx) => {
      if (!(await rejectAwaiting(trx, execution.id, expiryReason({ expires }), now))) return false;
      await appendAudit(
        trx,
        {
          actor: SYSTEM_ACTOR,
          action: 'execution.approval-expired',
          target: `execution/${execution.id}`,
          summary: { job: `${execution.project}/${execution.job}`, expires },
        },
        now,
      );
      return true;
    });
    if (rejected) {
      expired.push(execution.id);
      ctx.events.publish('execution', execution.id);
    }
  }
  return expired;
}

/** The duty that applies approval deadlines. */
export function approvalExpiryDuty(ctx: { db: Db; events: EventBus }): Duty {
  return {
    name: 'approval-expiry',
    // Deadlines are minutes to days; a few seconds late is fine.
    everyMs: 5_000,
    run: async (now) => {
      await expireApprovals(ctx, now);
    },
  };
}
