/**
 * SQL for approval decisions (the approvals table; this capability is its one writer). The
 * state changes a decision causes are verbs of the executions store (`releaseToQueue`,
 * `rejectAwaiting`), conditional on `state = 'awaiting_approval'`, so of two servers deciding
 * (or a decision racing the expiry duty) exactly one wins.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { ApprovalsTable } from '../../platform/db/schema.js';
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
