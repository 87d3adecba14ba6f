/**
 * The one CLI answer type not yet in src/contract/: the approvals list. Every other shape the CLI
 * reads is imported from the contract, the same schemas the server answers with.
 */
import type { ApprovalDecisionView, ApprovalRequirementView } from '../contract/approvals.js';
import type { ExecutionView } from '../contract/executions.js';

export interface ApprovalsResponse {
  approvals: {
    execution: ExecutionView;
    required: ApprovalRequirementView;
    decisions: ApprovalDecisionView[];
  }[];
}
