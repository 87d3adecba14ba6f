/** The API form of approval requirements and decisions, shared by the execution detail and the approvals list. */
import { z } from 'zod';

export const approvalDecisionView = z.object({
  approver: z.string(),
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().nullable(),
  at: z.string(),
});
export type ApprovalDecisionView = z.infer<typeof approvalDecisionView>;

export const approvalRequirementView = z.object({
  approvers: z.array(z.string()).describe('subjects who may approve: team/NAME, user/NAME'),
  count: z.number().describe('distinct approvals needed'),
  expires: z.string().describe('how long the request waits, as written in the job'),
  expiresAt: z.string().nullable().describe('when an unapproved request is rejected'),
});
export type ApprovalRequirementView = z.infer<typeof approvalRequirementView>;
