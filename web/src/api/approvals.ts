/** GET /api/v1/approvals and the approval part of an execution's detail, as the contract describes them. */
import type {
  ApprovalDecisionView as ApprovalDecision,
  ApprovalRequirementView as ApprovalRequirement,
} from '../../../src/contract/approvals.js';
import type { ApprovalsResponse, ExecutionDetailView } from '../../../src/contract/executions.js';

// Who must approve, how many, until when; and who decided.
export type { ApprovalDecision, ApprovalRequirement };

/** The executions awaiting the caller's decision. */
export type PendingApprovals = ApprovalsResponse;
export type PendingApproval = ApprovalsResponse['approvals'][number];

/** GET /api/v1/executions/:id: the approvals page reads `waitingFor` and `approval`. */
export type ExecutionWithApproval = ExecutionDetailView;
