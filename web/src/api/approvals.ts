/** GET /api/v1/approvals and the approval part of an execution's detail, as the UI reads them. */
import type {
  ApprovalDecisionView as ApprovalDecision,
  ApprovalRequirementView as ApprovalRequirement,
} from '../../../src/contract/approvals.js';
import type { Execution } from './types';

// Who must approve, how many, until when; and who decided: as the contract describes them.
export type { ApprovalDecision, ApprovalRequirement };

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
