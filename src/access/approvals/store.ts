/**
 * SQL for approval decisions and the state changes they cause. Every change of an execution's
 * state here is conditional on `state = 'awaiting_approval'`, so of two servers deciding (or a
 * decision racing the expiry duty) exactly one wins.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { ApprovalsTable } from '../../platform/db/schema.js';
import { skipPendingSteps, toExecution } from '../../automation/executions/store.js';
import type { Execution } from '../../automation/executions/model.js';
import type { ApprovalDecision, ApprovalVerdict } from './model.js';

type ApprovalRow = Selectable<ApprovalsTable>;

function toDecision(row: ApprovalRow): ApprovalDecision {
  return {
    executionId: row.execution_id,
    approver: row.approver,
    decision: row.decision as ApprovalVerdict,
    comment: row.comment,
    at: new Date(row.decided_at),
  };
}

/**
 * Locks an execution that still awaits approval, for the rest of the transaction (a no-op
 * update takes the row lock on PostgreSQL; SQLite has one writer). Deciders of the same
 * execution then count each other's approvals instead of both counting one. False when it no
 * longer awaits approval.
 */
export async function lockAwaitingExecution(trx: Db, id: number): Promise<boolean> {
  const result = await trx
    .updateTable('executions')
    .set((eb) => ({ approval_expires_at: eb.ref('approval_expires_at') }))
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findDecision(
  db: Db,
  executionId: number,
  approver: string,
): Promise<ApprovalDecision | undefined> {
  const row = await db
    .selectFrom('approvals')
    .selectAll()
    .where('execution_id', '=', executionId)
    .where('approver', '=', approver)
    .executeTakeFirst();
  return row && toDecision(row);
}

export async function insertDecision(
  db: Db,
  decision: {
    executionId: number;
    approver: string;
    decision: ApprovalVerdict;
    comment: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('approvals')
    .values({
      execution_id: decision.executionId,
      approver: decision.approver,
      decision: decision.decision,
      comment: decision.comment,
      decided_at: decision.now,
    })
    .execute();
}

/** Decisions on the given executions, oldest first. */
export async function listDecisions(db: Db, executionIds: readonly number[]): Promise<ApprovalDecision[]> {
  if (executionIds.length === 0) return [];
  const rows = await db
    .selectFrom('approvals')
    .selectAll()
    .where('execution_id', 'in', executionIds)
    .orderBy('decided_at')
    .orderBy('id')
    .execute();
  return rows.map(toDecision);
}

/** Distinct people who approved (the unique constraint makes each row one person). */
export async function countApprovals(db: Db, executionId: number): Promise<number> {
  const row = await db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('execution_id', '=', executionId)
    .where('decision', '=', 'approved')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Approved: the execution joins the queue now. */
export async function releaseToQueue(db: Db, id: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({ state: 'queued', run_after: now })
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Rejected (by a person or the deadline): it ends without running, its steps skipped. */
export async function rejectAwaiting(db: Db, id: number, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({ state: 'rejected', reason, finished_at: now })
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await skipPendingSteps(db, id, 'execution was not approved');
  return true;
}

/** Executions awaiting approval, oldest first (the partial index holds exactly these). */
export async function listAwaiting(db: Db, limit: number): Promise<Execution[]> {
  const rows = await db
    .selectFrom('executions')
    .selectAll()
    .where('state', '=', 'awaiting_approval')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toExecution);
}

/** Executions whose approval deadline has passed. */
export async function listExpired(db: Db, now: number, limit: number): Promise<Execution[]> {
  const rows = await db
    .selectFrom('executions')
    .selectAll()
    .where('state', '=', 'awaiting_approval')
    .where('approval_expires_at', '<=', now)
    .orderBy('approval_expires_at')
    .limit(limit)
    .execute();
  return rows.map(toExecution);
}
