/**
 * Approvals: a job may require that someone other than the requester says yes before an
 * execution runs. The requirement comes from the job's `spec.approval` as it was when the
 * execution was requested (the execution keeps that spec); the decisions are rows of their own.
 */
import type { ApprovalSpec, JobSpec } from '../jobs/model.js';
import { formatDurationAsWritten, parseDuration } from '../../contract/time.js';

export const DEFAULT_APPROVAL_COUNT = 1;
export const DEFAULT_APPROVAL_EXPIRES = '24h';

export type ApprovalVerdict = 'approved' | 'rejected';

/** One person's decision on one execution. */
export interface ApprovalDecision {
  executionId: number;
  approver: string;
  decision: ApprovalVerdict;
  comment: string | null;
  at: Date;
}

/** A job's approval requirement with the defaults filled in. */
export interface ApprovalRequirement {
  /** Subjects who may approve: `team/NAME`, `user/NAME`. */
  approvers: string[];
  /** Distinct approvals needed. */
  count: number;
  /** As written in the job (`1h`), for messages. */
  expires: string;
  expiresMs: number;
}

/** The approval a job requires, or undefined when it runs without one. */
export function approvalRequirement(spec: Pick<JobSpec, 'approval'>): ApprovalRequirement | undefined {
  const approval: ApprovalSpec | undefined = spec.approval;
  if (!approval) return undefined;
  const expires = approval.expires ?? DEFAULT_APPROVAL_EXPIRES;
  return {
    approvers: typeof approval.approvers === 'string' ? [approval.approvers] : [...approval.approvers],
    count: approval.count ?? DEFAULT_APPROVAL_COUNT,
    expires,
    // The job schema has checked the duration already.
    expiresMs: parseDuration(expires)!,
  };
}

/** The reason recorded on an execution an approver rejected. */
export function rejectionReason(approver: string, comment: string): string {
  return `rejected by ${approver}: ${comment}`;
}

/** The reason recorded on an execution nobody approved in time. */
export function expiryReason(requirement: Pick<ApprovalRequirement, 'expires'>): string {
  return `approval expired after ${requirement.expires}`;
}

/** "waiting for 1 more approval from team/sre (expires in 59m)". */
export function describeWaiting(
  requirement: ApprovalRequirement,
  approvals: number,
  expiresAt: Date | null,
  now: number,
): string {
  const missing = Math.max(requirement.count - approvals, 1);
  const noun = missing === 1 ? 'approval' : 'approvals';
  const from = requirement.approvers.join(' or ');
  if (!expiresAt) return `waiting for ${missing} more ${noun} from ${from}`;
  const left = expiresAt.getTime() - now;
  // Whole minutes once there are some: "59m" reads better than "59m58s" for a deadline.
  const shown =
    left <= 0
      ? 'now'
      : `in ${formatDurationAsWritten(left >= 60_000 ? Math.floor(left / 60_000) * 60_000 : left)}`;
  return `waiting for ${missing} more ${noun} from ${from} (expires ${shown})`;
}
