/** How an approval request reads: time left, approvals still missing, option values. Pure. */
import type { ApprovalDecision, ApprovalRequirement } from '../api/approvals';
import { formatDurationForUi } from '../../../src/contract/time.js';

/** Under this much time left, the countdown is shown as urgent. */
export const URGENT_MS = 15 * 60_000;

/** "in 4 min 05 s", "in 2 h 10 min", or "expired" once the deadline passed. */
export function expiryCountdown(
  expiresAt: string | null,
  now: number,
): { text: string; urgent: boolean; expired: boolean } {
  if (!expiresAt) return { text: 'no deadline', urgent: false, expired: false };
  const left = Date.parse(expiresAt) - now;
  if (left <= 0) return { text: 'expired; it is being rejected', urgent: true, expired: true };
  // Whole seconds: a countdown that shows milliseconds flickers.
  return {
    text: `in ${formatDurationForUi(Math.max(1000, Math.floor(left / 1000) * 1000))}`,
    urgent: left < URGENT_MS,
    expired: false,
  };
}

/** How many approvals it has, how many it needs, and how many are still missing. */
export function approvalProgress(
  required: Pick<ApprovalRequirement, 'count'>,
  decisions: readonly ApprovalDecision[],
) {
  const approvals = decisions.filter((decision) => decision.decision === 'approved').length;
  return { approvals, needed: required.count, missing: Math.max(required.count - approvals, 0) };
}

/** "team/sre or user/carol". */
export function describeApprovers(approvers: readonly string[]): string {
  if (approvers.length <= 1) return approvers[0] ?? 'nobody';
  return `${approvers.slice(0, -1).join(', ')} or ${approvers[approvers.length - 1]}`;
}

/** An option value as it reads in a list: lists joined, strings as they are, the rest as JSON. */
export function formatOptionValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatOptionValue).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}
