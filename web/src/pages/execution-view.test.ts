import { describe, expect, it } from 'vitest';
import type { PendingApprovals } from '../api/approvals';
import {
  admissionRows,
  approvalStanding,
  budgetCostRows,
  budgetCostStillCounting,
  isCancellable,
  logOpensAt,
  openingLines,
  refusalReason,
  stepBars,
} from './execution-view';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

describe('isCancellable', () => {
  it('allows cancelling what has not finished, once', () => {
    expect(isCancellable({ state: 'running', cancelRequestedAt: null })).toBe(true);
    expect(isCancellable({ state: 'queued', cancelRequestedAt: null })).toBe(true);
    expect(isCancellable({ state: 'awaiting_approval', cancelRequestedAt: null })).toBe(true);
    expect(isCancellable({ state: 'running', cancelRequestedAt: at(1) })).toBe(false);
    for (const state of ['succeeded', 'failed', 'cancelled', 'timed_out', 'rejected'] as const) {
      expect(isCancellable({ state, cancelRequestedAt: null }), state).toBe(false);
    }
  });
});

describe('logOpensAt', () => {
  it('opens a failed log at its end and others at the start', () => {
    expect(logOpensAt('failed')).toBe('end');
    expect(logOpensAt('timed_out')).toBe('end');
    expect(logOpensAt('succeeded')).toBe('start');
    expect(logOpensAt('cancelled')).toBe('start');
  });
});

describe('openingLines', () => {
  const log = (lines: number) => ({ lines, bytes: 0, discardedBytes: 0 });

  it('opens a finished success at its start, and a failure or a running log at its end', () => {
    expect(openingLines({ state: 'succeeded', log: log(5000) }, null)).toEqual({ from: 0, to: 60 });
    expect(openingLines({ state: 'failed', log: log(5000) }, null)).toEqual({ from: 4939, to: 5000 });
    expect(openingLines({ state: 'running', log: log(5000) }, null)).toEqual({ from: 4939, to: 5000 });
  });

  it('opens around the line in the URL, within the log', () => {
    expect(openingLines({ state: 'failed', log: log(5000) }, 2500)).toEqual({ from: 2440, to: 2560 });
    expect(openingLines({ state: 'succeeded', log: log(100) }, 9999)).toEqual({ from: 39, to: 100 });
  });

  it('has nothing to open before the first line', () => {
    expect(openingLines({ state: 'queued', log: log(0) }, null)).toBeNull();
  });
});

describe('stepBars', () => {
  it('places each step on the run time line in percent', () => {
    const bars = stepBars(
      [
        { startedAt: at(0), finishedAt: at(25) },
        { startedAt: at(25), finishedAt: at(100) },
        { startedAt: null, finishedAt: null },
      ],
      at(0),
      at(100),
      T0 + 500_000,
    );
    expect(bars).toEqual([{ left: 0, width: 25 }, { left: 25, width: 75 }, null]);
  });

  it('grows a running step up to now, and shows an instant step as a sliver', () => {
    const bars = stepBars(
      [
        { startedAt: at(0), finishedAt: at(0) },
        { startedAt: at(10), finishedAt: null },
      ],
      at(0),
      null,
      T0 + 40_000,
    );
    expect(bars[0]).toEqual({ left: 0, width: 0.5 });
    expect(bars[1]).toEqual({ left: 25, width: 75 });
  });

  it('has no bars before the execution started', () => {
    expect(stepBars([{ startedAt: null, finishedAt: null }], null, null, T0)).toEqual([null]);
  });
});

describe('approvalStanding', () => {
  const execution = {
    id: 7,
    requestedBy: 'alice',
    approval: {
      required: { approvers: ['team/sre'], count: 2, expires: '1h', expiresAt: at(3600) },
      decisions: [{ approver: 'bob', decision: 'approved' as const, comment: null, at: at(60) }],
    },
  };
  const inboxWith = (...ids: number[]): PendingApprovals => ({
    approvals: ids.map((id) => ({
      execution: { id } as PendingApprovals['approvals'][number]['execution'],
      required: execution.approval.required,
      decisions: [],
    })),
  });

  it('tells the requester that someone else decides, whatever their inbox says', () => {
    expect(approvalStanding(execution, 'alice', inboxWith(7))).toEqual({ kind: 'requester' });
  });

  it('remembers who decided already', () => {
    expect(approvalStanding(execution, 'bob', inboxWith())).toEqual({
      kind: 'decided',
      decision: 'approved',
      at: at(60),
    });
  });

  it('offers a decision only to those whose inbox holds the execution', () => {
    expect(approvalStanding(execution, 'carol', inboxWith(3, 7))).toEqual({ kind: 'may-decide' });
    expect(approvalStanding(execution, 'dave', inboxWith(3))).toEqual({ kind: 'not-approver' });
    expect(approvalStanding(execution, 'dave', undefined)).toEqual({ kind: 'unknown' });
  });
});

describe('refusalReason', () => {
  it('drops the API prefix so the reason reads after "You may not …"', () => {
    expect(
      refusalReason('forbidden: alice requested execution 7 and cannot decide on their own request'),
    ).toBe('alice requested execution 7 and cannot decide on their own request');
    expect(refusalReason('execution 7 no longer awaits approval')).toBe(
      'execution 7 no longer awaits approval',
    );
  });
});

describe('admissionRows', () => {
  const reason = 'SLO checkout/checks has -14.3% of its error budget left (-0.3 of 1.8 bad events)';

  it('shows what the error-budget gate decided, and an override with who, why and until when', () => {
    expect(
      admissionRows([
        {
          gate: 'error-budget',
          decision: 'overridden',
          reason,
          override: { by: 'operator', reason: 'hotfix for INC-42', until: at(3600) },
        },
      ]),
    ).toEqual([
      {
        gate: 'Error budget',
        decision: 'overridden',
        tone: 'warn',
        reason,
        override: { by: 'operator', reason: 'hotfix for INC-42', until: at(3600) },
      },
    ]);
    expect(admissionRows([{ gate: 'error-budget', decision: 'approval', reason }])).toEqual([
      { gate: 'Error budget', decision: 'approval required', tone: 'warn', reason, override: null },
    ]);
    expect(
      admissionRows([
        { gate: 'change-window', decision: 'admitted', reason: 'a rollback', override: undefined },
      ])[0],
    ).toMatchObject({ gate: 'change-window', decision: 'admitted', tone: 'ok' });
  });

  it('has nothing to show when no gate spoke, or the server is older than the gates', () => {
    expect(admissionRows([])).toEqual([]);
    expect(admissionRows(undefined)).toEqual([]);
  });

  it('keeps an override without an end without one', () => {
    expect(
      admissionRows([
        { gate: 'error-budget', decision: 'overridden', reason, override: { by: 'ops', reason: 'rollback' } },
      ])[0]!.override,
    ).toEqual({ by: 'ops', reason: 'rollback', until: null });
  });
});

describe('budgetCostRows', () => {
  const cost = {
    slo: 'checkout/availability',
    displayName: null,
    window: '30d',
    budgetConsumedRatio: 0.12,
    hours: 4,
    hoursMeasured: 2,
  };

  it('says what the change cost each SLO, links its service and marks a costly one', () => {
    expect(
      budgetCostRows([
        cost,
        { ...cost, slo: 'checkout/latency', budgetConsumedRatio: 0.01, hoursMeasured: 4 },
      ]),
    ).toEqual([
      {
        slo: 'checkout/availability',
        servicePath: '/services/checkout',
        text: "this change consumed 12.0% of checkout/availability's 30d budget in the 4 h after it (2 h measured so far)",
        tone: 'bad',
      },
      {
        slo: 'checkout/latency',
        servicePath: '/services/checkout',
        text: "this change consumed 1.0% of checkout/latency's 30d budget in the 4 h after it",
        tone: 'ok',
      },
    ]);
  });

  it('shows an SLO without data as such, and nothing for an execution that is not a change', () => {
    expect(budgetCostRows([{ ...cost, budgetConsumedRatio: null }])[0]).toMatchObject({
      tone: 'none',
      text: 'no data for checkout/availability in the 4 h after it (2 h measured so far)',
    });
    expect(budgetCostRows([])).toEqual([]);
    expect(budgetCostRows(undefined)).toEqual([]);
  });

  it('keeps asking only while some counted hours have not passed', () => {
    expect(budgetCostStillCounting([cost])).toBe(true);
    expect(budgetCostStillCounting([{ ...cost, hoursMeasured: 4 }])).toBe(false);
    expect(budgetCostStillCounting([])).toBe(false);
  });
});
