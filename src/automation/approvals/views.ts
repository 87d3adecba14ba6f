/** The API form of approval requirements and decisions, shared by the execution detail and the approvals list. */
import { z } from 'zod';
import type { ApprovalDecision, ApprovalRequirement } from './model.js';

export const approvalDecisionView = z.object({
  approver: z.string(),
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().nullable(),
  at: z.string(),
});

export const approvalRequirementView = z.object({
  approvers: z.array(z.string()).describe('subjects who may approve: team/NAME, user/NAME'),
  count: z.number().describe('distinct approvals needed'),
  expires: z.string().describe('how long the request waits, as written in the job'),
  expiresAt: z.string().nullable().describe('when an unapproved request is rejected'),
});

export function viewDecision(decision: ApprovalDecision): z.infer<typeof approvalDecisionView> {
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
): z.infer<typeof approvalRequirementView> {
  return {
    approvers: requirement.approvers,
    count: requirement.count,
    expires: requirement.expires,
    expiresAt: expiresAt ? expiresAt.toISOString() : null,
  };
}
