/**
 * The text of `baton execution ID`, as far as it is pure: the budget cost lines of a change. (In
 * the system project only because every CLI test is; it starts nothing.)
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionDetailView } from '../../contract/executions.js';
import { describeExecution } from './executions.js';

const EXECUTION: ExecutionDetailView = {
  id: 7,
  project: 'ops',
  job: 'deploy-shop',
  jobRevision: 2,
  state: 'succeeded',
  options: {},
  requestedBy: 'alice',
  attempt: 1,
  retryOf: null,
  parentId: null,
  queuedAt: '2026-12-08T01:00:00.000Z',
  startedAt: '2026-12-08T01:00:01.000Z',
  finishedAt: '2026-12-08T01:00:05.000Z',
  exitCode: 0,
  reason: null,
  workerGroup: null,
  cancelRequestedAt: null,
  log: { lines: 1, bytes: 10, discardedBytes: 0 },
  output: null,
  outputError: null,
  cause: null,
  node: null,
  nodes: null,
  admission: [],
  waitingFor: null,
  approval: null,
  steps: [],
  nodeRuns: [],
  attempts: [],
};

const COST = {
  slo: 'shop/checks-pass',
  displayName: null,
  window: '7d',
  budgetConsumedRatio: 0.12,
  hours: 4,
  hoursMeasured: 2,
};

describe('baton execution ID', () => {
  it('has one budget cost line per SLO of a change, and none for other executions', () => {
    const text = describeExecution(EXECUTION, [
      COST,
      { ...COST, slo: 'shop/latency', budgetConsumedRatio: null },
    ]);
    const lines = text.split('\n').filter((line) => line.startsWith('  budget cost:'));
    expect(lines.map((line) => line.replace(/^ {2}budget cost: +/, ''))).toEqual([
      "this change consumed 12.0% of shop/checks-pass's 7d budget in the 4 h after it (2 h measured so far)",
      'no data for shop/latency in the 4 h after it (2 h measured so far)',
    ]);
    expect(describeExecution(EXECUTION)).not.toContain('budget cost');
  });
});
