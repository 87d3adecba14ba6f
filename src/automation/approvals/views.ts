/** The API form of approval requirements and decisions (schemas in src/contract/approvals.ts), shared by the execution detail and the approvals list. */
import type { ApprovalDecisionView, ApprovalRequirementView } from '../../contract/approvals.js';
import type { ApprovalDecision, ApprovalRequirement } from './model.js';

export function viewDecision(decision: ApprovalDecision): ApprovalDecisionView {
  return {
    approver: decision.approver,
    decision: decision.decision,
    comment: decision.comment,
    at: decision.at.toISOString(),
  };
}

export function viewRequirement(
  requirement: ApprovalRequirement,
  expiresAt: Date | null,
): ApprovalRequirementView {
  return {
    approvers: requirement.approvers,
    count: requirement.count,
    expires: requirement.expires,
    expiresAt: expiresAt ? expiresAt.toISOString() : null,
  };
}
