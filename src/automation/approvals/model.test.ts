import { describe, expect, it } from 'vitest';
import { approvalRequirement, describeWaiting, expiryReason, rejectionReason } from './model.js';

describe('approval requirement', () => {
  it('is absent for a job without approval', () => {
    expect(approvalRequirement({})).toBeUndefined();
  });

  it('fills in one approval within 24h, and takes a single approver as a list', () => {
    expect(approvalRequirement({ approval: { approvers: 'team/sre' } })).toEqual({
      approvers: ['team/sre'],
      count: 1,
      expires: '24h',
      expiresMs: 86_400_000,
    });
  });
});

describe('what an awaiting execution waits for', () => {
  const requirement = approvalRequirement({
    approval: { approvers: ['team/sre', 'user/ops-lead'], count: 2, expires: '1h' },
  })!;
  const now = 1_000_000;

  it('counts the approvals still missing and shows whole minutes to the deadline', () => {
    expect(describeWaiting(requirement, 0, new Date(now + 3_599_000), now)).toBe(
      'waiting for 2 more approvals from team/sre or user/ops-lead (expires in 59m)',
    );
    expect(describeWaiting(requirement, 1, new Date(now + 30_000), now)).toBe(
      'waiting for 1 more approval from team/sre or user/ops-lead (expires in 30s)',
    );
  });

  it('says the deadline has come once it has passed', () => {
    expect(describeWaiting(requirement, 0, new Date(now - 1), now)).toMatch(/\(expires now\)$/);
  });

  it('records who rejected and why, or how long nobody approved', () => {
    expect(rejectionReason('carol', 'not during the freeze')).toBe(
      'rejected by carol: not during the freeze',
    );
    expect(expiryReason(requirement)).toBe('approval expired after 1h');
  });
});
