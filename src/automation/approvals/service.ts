/**
 * Deciding on executions that await approval. Who may decide: anyone but the requester who is
 * named by the job's approvers (themselves or through a team) or is allowed `approve` on the job
 * by the one authorization check. Each person decides once; the decision row and the state
 * change commit together, in one transaction that holds the execution's row.
 */
import type { Execution } from '../executions/model.js';
import {
  getExecution,
  listAwaiting,
  lockAwaitingExecution,
  rejectAwaiting,
  releaseToQueue,
} from '../executions/store.js';
import type { Db } from '../../platform/db/database.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { appendAudit, auditActor } from '../../access/audit/trail.js';
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import { resourceMatches } from '../../access/policies/engine.js';
import {
  approvalRequirement,
  rejectionReason,
  type ApprovalDecision,
  type ApprovalRequirement,
  type ApprovalVerdict,
} from './model.js';
import { countApprovals, findDecision, insertDecision, listDecisions } from './store.js';

/** An execution the caller may decide on, with the decisions so far. */
export interface PendingApproval {
  execution: Execution;
  requirement: ApprovalRequirement;
  decisions: ApprovalDecision[];
}

/** The most executions `pending` looks at: approvals are waits of people, never a deep backlog. */
const PENDING_LIMIT = 500;

type MayDecide = { allowed: true } | { allowed: false; reason: string };

export class ApprovalService {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly access: AccessControl,
  ) {}

  /** Approves; with enough distinct approvals the execution is queued at once. */
  async approve(caller: Principal, id: number, comment: string | null): Promise<Execution> {
    return this.decide(caller, id, 'approved', comment);
  }

  /** Rejects: the execution ends as `rejected` without running. */
  async reject(caller: Principal, id: number, comment: string): Promise<Execution> {
    return this.decide(caller, id, 'rejected', comment);
  }

  /** Executions awaiting approval that the caller may still decide on, oldest first. */
  async pending(caller: Principal): Promise<PendingApproval[]> {
    const awaiting = (await listAwaiting(this.db, PENDING_LIMIT)).flatMap((execution) => {
      const requirement = approvalRequirement(execution.spec);
      return requirement && this.mayDecide(caller, execution, requirement).allowed
        ? [{ execution, requirement }]
        : [];
    });
    const decisions = await listDecisions(
      this.db,
      awaiting.map(({ execution }) => execution.id),
    );
    return awaiting
      .map(({ execution, requirement }) => ({
        execution,
        requirement,
        decisions: decisions.filter((decision) => decision.executionId === execution.id),
      }))
      .filter(({ decisions }) => !decisions.some((decision) => decision.approver === caller.name));
  }

  private async decide(
    caller: Principal,
    id: number,
    verdict: ApprovalVerdict,
    comment: string | null,
  ): Promise<Execution> {
    const execution = await getExecution(this.db, id);
    const notFound = `execution ${id} not found`;
    if (!execution) throw new NotFoundError(notFound);
    const requirement = approvalRequirement(execution.spec);
    // Named approvers (through a token whose scopes cover approving it) decide on executions they
    // may not otherwise view; to anyone else, an execution they may not view does not exist (not
    // even whether it needs approval).
    const subjects = this.access.subjectsOf(caller);
    const isApprover =
      this.scopesAllowApproving(caller, execution) &&
      (requirement?.approvers.some((approver) => subjects.includes(approver)) ?? false);
    const visible = this.access.authorize(caller, 'view', resources.job(execution.project, execution.job));
    if (!isApprover && !visible.allowed) throw new NotFoundError(notFound);
    if (!requirement) {
      throw new ConflictError(
        `execution ${id} does not need approval: job ${execution.project}/${execution.job} did not require one`,
      );
    }
    const may = this.mayDecide(caller, execution, requirement);
    if (!may.allowed) throw new ForbiddenError(`forbidden: ${may.reason}`);

    const now = Date.now();
    const job = `${execution.project}/${execution.job}`;
    const released = await this.db.transaction().execute(async (trx) => {
      if (!(await lockAwaitingExecution(trx, id))) {
        const state = (await getExecution(trx, id))?.state ?? 'deleted';
        throw new ConflictError(`execution ${id} no longer awaits approval (it is ${state})`);
      }
      const earlier = await findDecision(trx, id, caller.name);
      if (earlier) {
        throw new ConflictError(
          `${caller.name} already ${earlier.decision} execution ${id}; each person decides once`,
        );
      }
      await insertDecision(trx, { executionId: id, approver: caller.name, decision: verdict, comment, now });
      if (verdict === 'rejected') {
        await rejectAwaiting(trx, id, rejectionReason(caller.name, comment ?? ''), now);
        await appendAudit(
          trx,
          {
            ...auditActor(caller),
            action: 'execution.reject',
            target: `execution/${id}`,
            summary: { job, comment },
          },
          now,
        );
        return false;
      }
      const approvals = await countApprovals(trx, id);
      const enough = approvals >= requirement.count;
      if (enough) await releaseToQueue(trx, id, now);
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'execution.approve',
          target: `execution/${id}`,
          summary: { job, comment, approvals, required: requirement.count, queued: enough },
        },
        now,
      );
      return enough;
    });
    if (released) this.events.publish('queue');
    this.events.publish('execution', id);
    return (await getExecution(this.db, id))!;
  }

  /** A scoped token decides only when one of its scopes covers approving the execution's job. */
  private scopesAllowApproving(caller: Principal, execution: Execution): boolean {
    const job = resources.job(execution.project, execution.job);
    return (
      caller.scopes?.some(
        (scope) =>
          (scope.action === 'approve' || scope.action === 'admin') &&
          (scope.resource === undefined || resourceMatches(scope.resource, job)),
      ) ?? true
    );
  }

  private mayDecide(caller: Principal, execution: Execution, requirement: ApprovalRequirement): MayDecide {
    if (caller.name === execution.requestedBy) {
      return {
        allowed: false,
        reason: `${caller.name} requested execution ${execution.id} and cannot decide on their own request`,
      };
    }
    const job = resources.job(execution.project, execution.job);
    if (!this.scopesAllowApproving(caller, execution)) {
      return {
        allowed: false,
        reason: `the token's scopes do not include approve on job/${execution.project}/${execution.job}`,
      };
    }
    const subjects = this.access.subjectsOf(caller);
    if (requirement.approvers.some((approver) => subjects.includes(approver))) return { allowed: true };
    const decision = this.access.authorize(caller, 'approve', job);
    if (decision.allowed) return { allowed: true };
    return {
      allowed: false,
      reason: `execution ${execution.id} must be decided by ${requirement.approvers.join(' or ')}, or by someone allowed approve on job/${execution.project}/${execution.job} (${decision.reason})`,
    };
  }
}
