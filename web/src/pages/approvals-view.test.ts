import { describe, expect, it } from 'vitest';
import type { ApprovalDecision } from '../api/approvals';
import { approvalProgress, describeApprovers, expiryCountdown, formatOptionValue } from './approvals-view';

const NOW = Date.parse('2025-03-14T09:00:00Z');
const decision = (approver: string, verdict: ApprovalDecision['decision']): ApprovalDecision => ({
  approver,
  decision: verdict,
  comment: null,
  at: '2025-03-14T08:00:00Z',
});

describe('approval requests as they read', () => {
  it('counts down in whole seconds and marks the last 15 minutes urgent', () => {
    expect(expiryCountdown('2025-03-14T11:10:00Z', NOW)).toEqual({
      text: 'in 2 h 10 min',
      urgent: false,
      expired: false,
    });
    expect(expiryCountdown('2025-03-14T09:04:05.900Z', NOW)).toEqual({
      text: 'in 4 min 05 s',
      urgent: true,
      expired: false,
    });
  });

  it('says when the deadline has passed, and when there is none', () => {
    expect(expiryCountdown('2025-03-14T08:59:59Z', NOW)).toMatchObject({ expired: true, urgent: true });
    expect(expiryCountdown(null, NOW)).toEqual({ text: 'no deadline', urgent: false, expired: false });
  });

  it('counts approvals only, not rejections, against the number needed', () => {
    expect(
      approvalProgress({ count: 2 }, [decision('bob', 'approved'), decision('eve', 'rejected')]),
    ).toEqual({
      approvals: 1,
      needed: 2,
      missing: 1,
    });
    expect(
      approvalProgress({ count: 1 }, [decision('bob', 'approved'), decision('carol', 'approved')]).missing,
    ).toBe(0);
  });

  it('names the approvers as a list a person reads', () => {
    expect(describeApprovers(['team/sre'])).toBe('team/sre');
    expect(describeApprovers(['team/sre', 'user/carol', 'team/dba'])).toBe(
      'team/sre, user/carol or team/dba',
    );
  });

  it('shows option values plainly', () => {
    expect(formatOptionValue('prod')).toBe('prod');
    expect(formatOptionValue(['a', 'b'])).toBe('a, b');
    expect(formatOptionValue(true)).toBe('true');
    expect(formatOptionValue(30)).toBe('30');
  });
});
