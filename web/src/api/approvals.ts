/** GET /api/v1/approvals and the approval part of an execution's detail, as the UI reads them. */
import type { Execution } from './types';

/** Who must approve, how many of them, and until when. */
export interface ApprovalRequirement {
  /** Subjects who may approve: team/NAME, user/NAME. */
  approvers: string[];
  /** Distinct approvals needed. */
  count: number;
  /** How long the request waits, as written in the job (`24h`). */
  expires: string;
  /** When an unapproved request is rejected. */
  expiresAt: string | null;
}

export interface ApprovalDecision {
  approver: string;
  decision: 'approved' | 'rejected';
  comment: string | null;
  at: string;
}

/** An execution awaiting the caller's decision. */
export interface PendingApproval {
  execution: Execution;
  required: ApprovalRequirement;
  decisions: ApprovalDecision[];
}

export interface PendingApprovals {
  approvals: PendingApproval[];
}

/** GET /api/v1/executions/:id, the fields the approvals page reads. */
export interface ExecutionWithApproval extends Execution {
  waitingFor: string | null;
  approval: { required: ApprovalRequirement; decisions: ApprovalDecision[] } | null;
}
