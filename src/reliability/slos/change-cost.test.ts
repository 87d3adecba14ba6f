/**
 * What a change cost, asked of the execution, on both databases: an in-process Baton runs a
 * change job and then health checks of its service, one of them failing; the evaluation round
 * (run when the test asks) measures them, and GET /api/v1/executions/:id/budget-cost says what
 * share of the SLO's budget the hours after the change consumed, the same share the SLO's page
 * lists under its changes. A routine execution costs nothing; a hidden one is not found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionBudgetCostResponse, SloDetailView } from '../../contract/slos.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';

const DOCUMENTS = `
apiVersion: baton/v1
kind: Team
metadata: {name: shop}
spec: {members: [admin], maintainers: [admin]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: shop}
spec: {owner: shop, lifecycle: production}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy-shop, project: ops}
spec:
  service: shop
  purpose: change
  steps: [{name: deploy, script: 'echo deploying'}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: shop-check, project: ops}
spec:
  service: shop
  options: [{name: fail, type: string, default: 'no'}]
  steps: [{name: check, script: 'test "$BATON_OPTION_FAIL" != yes'}]
---
apiVersion: baton/v1
kind: SLO
metadata: {name: checks-pass}
spec:
  service: shop
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: ops/shop-check, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: ops/shop-check}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9}]
`;

describe.each(DIALECTS)('the budget cost of a change on %s', (dialect) => {
  let baton: TestBaton;
  let deploy: number;

  const costOf = async (id: number, headers?: Record<string, string>) => {
    const response = await baton.request('GET', `/api/v1/executions/${id}/budget-cost`, undefined, headers);
    return { status: response.statusCode, body: response.json() as ExecutionBudgetCostResponse };
  };
  const runTo = async (job: string, state: 'succeeded' | 'failed', options = {}) => {
    const execution = await baton.run(job, options);
    expect((await baton.waitFor(execution.id)).state).toBe(state);
    return execution.id;
  };

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    await baton.applyYaml(DOCUMENTS);
    deploy = await runTo('ops/deploy-shop', 'succeeded');
  });
  afterAll(() => baton.stop());

  it('has no number before anything after the change was measured, and says how little has passed', async () => {
    await baton.sloEvaluation.evaluateNow(Date.now());
    const { status, body } = await costOf(deploy);
    expect(status).toBe(200);
    expect(body.executionId).toBe(deploy);
    expect(body.costs).toHaveLength(1);
    const [cost] = body.costs;
    expect(cost).toMatchObject({
      slo: 'shop/checks-pass',
      window: '7d',
      budgetConsumedRatio: null,
      hours: 4,
    });
    // The change ran moments ago: far fewer than the 4 counted hours have passed.
    expect(cost!.hoursMeasured).toBeGreaterThanOrEqual(0);
    expect(cost!.hoursMeasured).toBeLessThan(4);
  });

  it('counts the failed checks after the change as the share of the budget they consumed', async () => {
    for (let i = 0; i < 3; i++) await runTo('ops/shop-check', 'succeeded');
    const check = await runTo('ops/shop-check', 'failed', { fail: 'yes' });
    await baton.sloEvaluation.evaluateNow(Date.now());

    const { status, body } = await costOf(deploy);
    expect(status).toBe(200);
    // 4 checks allow 0.4 bad ones at 90%; the one that failed spent 2.5 times that.
    expect(body.costs[0]!.budgetConsumedRatio).toBeCloseTo(2.5, 9);
    const detail = await baton.request('GET', '/api/v1/slos/shop/checks-pass');
    const change = (detail.json() as SloDetailView).changes.find((c) => c.executionId === deploy);
    expect(change!.budgetConsumedRatio).toBeCloseTo(body.costs[0]!.budgetConsumedRatio!, 12);

    // A health check is not a change: nothing to count.
    expect(await costOf(check)).toEqual({ status: 200, body: { executionId: check, costs: [] } });
  });

  it('answers an execution the caller may not view like one that does not exist', async () => {
    const stranger = (await baton.addUser('stranger')).headers;
    const hidden = await costOf(deploy, stranger);
    const missing = await costOf(999_999);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    const asExecution = await baton.request('GET', `/api/v1/executions/${deploy}`, undefined, stranger);
    expect(asExecution.statusCode).toBe(404);
    expect((hidden.body as unknown as { error: { message: string } }).error.message).toBe(
      `execution ${deploy} not found`,
    );
  });

  it("shows a caller who may view the job but not the service none of the service's SLOs", async () => {
    const watcher = await baton.addUser('watcher');
    const owner = await baton.addUser('owner');
    await baton.applyYaml(
      `apiVersion: baton/v1
kind: Policy
metadata: {name: deploy-watchers}
spec:
  rules:
    - {subjects: [user/watcher, user/owner], actions: [view], resources: [job/ops/deploy-shop], effect: allow}
    - {subjects: [user/owner], actions: [view], resources: [service/shop], effect: allow}
`,
      'policy.yaml',
    );
    await baton.access.refresh();
    expect(await costOf(deploy, watcher.headers)).toEqual({
      status: 200,
      body: { executionId: deploy, costs: [] },
    });
    const seen = await costOf(deploy, owner.headers);
    expect(seen.status).toBe(200);
    expect(seen.body.costs.map((cost) => cost.slo)).toEqual(['shop/checks-pass']);
  });
});
