/**
 * The error-budget gate on a real Baton (both databases): a change job on a service whose budget
 * is spent is refused (409, saying why and how to override) on every way an execution is created
 * — run, schedule, rule, nested job step — sent for the owning team's approval when the budget
 * runs low, let through by an authorised override (audited, held for its giver), and never gates
 * remediation or jobs with an exception label. Statuses are put straight in the store: the
 * evaluation that computes them is tested on its own.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import type { SloStatus } from '../../contract/slos.js';
import { InputError } from '../../platform/errors.js';
import { putSloStatus } from '../slos/store.js';
import { gateStates } from './state.js';

const DOCUMENTS = `apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [carol]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout}
spec: {owner: payments, lifecycle: production}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: shop-people}
spec:
  rules:
    - {subjects: [user/alice, user/bob], actions: [run], resources: [project/shop], effect: allow}
    - {subjects: [user/alice], actions: [override-budget], resources: [service/checkout], effect: allow}
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  services: [checkout]
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
    - {when: {budgetRemainingBelow: 25%}, then: approve, approvers: [owner]}
  exceptions: {jobLabels: [security]}
  override: {holdsFor: 2h}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy, project: shop}
spec:
  service: checkout
  purpose: change
  steps: [{name: ship, command: [echo, shipped]}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: hotfix, project: shop, labels: {security: "true"}}
spec:
  service: checkout
  purpose: change
  steps: [{name: ship, command: [echo, patched]}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: restart, project: shop}
spec:
  service: checkout
  purpose: remediation
  steps: [{name: restart, command: [echo, restarted]}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: release, project: shop}
spec:
  steps: [{name: deploy, job: shop/deploy}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: kick, project: shop}
spec:
  steps: [{name: kick, command: [echo, kicked]}]
---
apiVersion: baton/v1
kind: Rule
metadata: {name: deploy-after-kick, project: shop}
spec:
  on: {execution: {job: shop/kick}}
  job: deploy
`;

const HOUR = 3_600_000;

/** The status of checkout/availability with `remaining` of its budget left. */
function status(remaining: number, now: number): SloStatus {
  return {
    slo: 'checkout/availability',
    service: 'checkout',
    name: 'availability',
    displayName: null,
    description: null,
    format: 'baton/v1',
    project: null,
    window: '30d rolling',
    periodStart: new Date(now - 720 * HOUR).toISOString(),
    periodEnd: new Date(now).toISOString(),
    budgetingMethod: 'Occurrences',
    source: 'pushed',
    objectives: [
      {
        displayName: null,
        target: 0.99,
        sli: 0.99,
        budget: {
          unit: 'events',
          allowed: 100,
          consumed: 100 * (1 - remaining),
          remaining: 100 * remaining,
          remainingRatio: remaining,
        },
        burnRates: [],
        timeToExhaustionMs: null,
      },
    ],
    sli: 0.99,
    budgetRemainingRatio: remaining,
    burnRates: [{ window: '1h', rate: 3 }],
    timeToExhaustionMs: null,
    health: remaining <= 0 ? 'exhausted' : 'ok',
    openAlerts: [],
    noDataSince: null,
    lastError: null,
    evaluatedAt: new Date(now).toISOString(),
  };
}

describe.each(DIALECTS)('error-budget gate on %s', (dialect) => {
  let baton: TestBaton;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let carol: Awaited<ReturnType<TestBaton['addUser']>>;

  const setRemaining = (remaining: number) =>
    putSloStatus(baton.db, status(remaining, Date.now()), Date.now());
  const runAs = (headers: Record<string, string>, job: string, body: unknown = {}) =>
    baton.request('POST', `/api/v1/jobs/shop/${job}/executions`, body, headers);
  const countExecutions = async (job: string) =>
    (await baton.db.selectFrom('executions').select('id').where('job_name', '=', job).execute()).length;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: true });
    alice = (await baton.addUser('alice')).headers;
    bob = (await baton.addUser('bob')).headers;
    carol = await baton.addUser('carol');
    await baton.applyYaml(DOCUMENTS);
  });
  afterAll(() => baton?.stop());
  beforeEach(async () => {
    await baton.db.deleteFrom('budget_overrides').execute();
  });

  it('refuses a change on a spent budget with 409 naming the SLO, budget, burn rate, rule and override; stores nothing', async () => {
    await setRemaining(-0.05);
    const before = await countExecutions('deploy');
    const response = await runAs(bob, 'deploy');
    expect(response.statusCode, response.body).toBe(409);
    const { error } = response.json();
    expect(error.code).toBe('admission_refused');
    expect(error.message).toBe(
      'change shop/deploy refused by error budget policy checkout-budget rule 1 (budget exhausted → refuse): ' +
        'SLO checkout/availability has -5.0% of its error budget left (-5 of 100 bad events), burn rate 3× over 1h; ' +
        'to override, run: baton run shop/deploy --override-budget "REASON" (needs override-budget on service/checkout)',
    );
    expect(await countExecutions('deploy')).toBe(before);
    const metrics = (await baton.request('GET', '/metrics')).body;
    expect(metrics).toMatch(/baton_budget_gate_decisions_total\{decision="refuse"\} [1-9]/);
  });

  it('sends a change for the owning team’s approval when the budget runs low, with the reason on the execution and in the audit', async () => {
    await setRemaining(0.1);
    const response = await runAs(bob, 'deploy');
    expect(response.statusCode, response.body).toBe(201);
    const { execution } = response.json();
    expect(execution.state).toBe('awaiting_approval');
    expect(execution.admission).toEqual([
      expect.objectContaining({
        gate: 'error-budget',
        decision: 'approval',
        reason: expect.stringContaining('needs approval from team/payments'),
        details: expect.objectContaining({ slo: 'checkout/availability', rule: 'checkout-budget#2' }),
      }),
    ]);
    const detail = (await baton.request('GET', `/api/v1/executions/${execution.id}`)).json().execution;
    expect(detail.approval.required.approvers).toEqual(['team/payments']);
    expect(detail.waitingFor).toMatch(/from team\/payments/);
    const audit = await baton.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'execution.run')
      .where('target', '=', `execution/${execution.id}`)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.summary)).toContain('needs approval from team/payments');
    // A member of the owning team approves it, and it runs.
    await baton.approvals.approve(carol.principal, execution.id, 'ok, small change');
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
  });

  it('answers 403 to an override by someone without override-budget on the service', async () => {
    await setRemaining(-0.05);
    const response = await runAs(bob, 'deploy', { overrideBudget: { reason: 'trust me' } });
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().error.message).toBe(
      'bob may not override the error budget of service checkout: that needs override-budget on service/checkout',
    );
    expect(await baton.db.selectFrom('budget_overrides').selectAll().execute()).toEqual([]);
  });

  it('lets an authorised override through, audited, shown on the execution, and held for its giver', async () => {
    await setRemaining(-0.05);
    const response = await runAs(alice, 'deploy', { overrideBudget: { reason: 'hotfix for INC-42' } });
    expect(response.statusCode, response.body).toBe(201);
    const { execution } = response.json();
    expect(execution.state).toBe('queued');
    const [note] = execution.admission;
    expect(note).toMatchObject({
      gate: 'error-budget',
      decision: 'overridden',
      override: { by: 'alice', reason: 'hotfix for INC-42', until: expect.any(String) },
    });
    expect(Date.parse(note.override.until) - Date.now()).toBeGreaterThan(HOUR);
    const [override] = await baton.db.selectFrom('budget_overrides').selectAll().execute();
    expect(override).toMatchObject({ service: 'checkout', granted_by: 'alice', reason: 'hotfix for INC-42' });
    expect(Number(override!.execution_id)).toBe(execution.id);
    const audit = await baton.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'budget.override')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: 'alice', target: 'service/checkout' });
    expect(JSON.stringify(audit.summary)).toContain('hotfix for INC-42');

    // Within the window alice's next change passes without asking again; bob's does not.
    const again = await runAs(alice, 'deploy');
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().execution.admission[0]).toMatchObject({
      decision: 'overridden',
      override: { by: 'alice' },
    });
    expect((await runAs(bob, 'deploy')).statusCode).toBe(409);
    expect(await baton.db.selectFrom('budget_overrides').selectAll().execute()).toHaveLength(1);
  });

  it('lets a job with an exception label through, noting what it would have met', async () => {
    await setRemaining(-0.05);
    const response = await runAs(bob, 'hotfix');
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().execution.admission).toEqual([
      expect.objectContaining({
        decision: 'admitted',
        reason: expect.stringContaining('has label security'),
      }),
    ]);
  });

  it('never gates a remediation job', async () => {
    await setRemaining(-0.05);
    const response = await runAs(bob, 'restart');
    expect(response.statusCode, response.body).toBe(201);
    // Admitted without a note; the embedded worker may already have claimed it (queued or running).
    const { execution } = response.json();
    expect(execution.admission).toEqual([]);
    expect(['queued', 'running', 'succeeded']).toContain(execution.state);
  });

  it('records a refused schedule fire with the reason, and queues nothing', async () => {
    await setRemaining(-0.05);
    await baton.applyYaml(`apiVersion: baton/v1
kind: Schedule
metadata: {name: nightly-deploy, project: shop}
spec: {job: deploy, cron: '@daily'}
`);
    const before = await countExecutions('deploy');
    const now = Date.now();
    await baton.db
      .updateTable('schedules')
      .set({ next_fire_at: now })
      .where('name', '=', 'nightly-deploy')
      .execute();
    const report = await baton.scheduler.fireDue(now);
    expect(report.refused).toEqual([
      {
        schedule: 'shop/nightly-deploy',
        scheduledAt: now,
        reason: expect.stringContaining('change shop/deploy refused by error budget policy checkout-budget'),
      },
    ]);
    expect(await countExecutions('deploy')).toBe(before);
    const schedule = (await baton.request('GET', '/api/v1/schedules/shop/nightly-deploy')).json().schedule;
    expect(schedule.lastFire).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('budget exhausted'),
    });
    await baton.applyYaml(`apiVersion: baton/v1
kind: Schedule
metadata: {name: nightly-deploy, project: shop}
spec: {job: deploy, cron: '@daily', enabled: false}
`);
  });

  it('records a rule-fired change refused by the budget as the firing outcome', async () => {
    await setRemaining(-0.05);
    const kick = await baton.run('shop/kick');
    expect((await baton.waitFor(kick.id)).state).toBe('succeeded');
    const match = await eventually('the rule firing', async () =>
      baton.db
        .selectFrom('event_matches')
        .selectAll()
        .where('trigger_execution_id', '=', kick.id)
        .executeTakeFirst(),
    );
    expect(match).toMatchObject({ rule_name: 'deploy-after-kick', outcome: 'refused', execution_id: null });
    expect(match.reason).toContain('change shop/deploy refused by error budget policy checkout-budget');
  });

  it('fails a nested job: step whose change the budget refuses, with the reason in its log', async () => {
    await setRemaining(-0.05);
    const release = await baton.run('shop/release');
    const ended = await baton.waitFor(release.id);
    expect(ended.state).toBe('failed');
    const detail = (await baton.request('GET', `/api/v1/executions/${release.id}`)).json().execution;
    expect(detail.steps[0]).toMatchObject({ state: 'failed', childExecutionId: null });
    expect(detail.steps[0].reason).toContain(
      'not starting shop/deploy: change shop/deploy refused by error budget policy',
    );
    expect((await baton.logText(release.id)).join('\n')).toContain(
      'refused by error budget policy checkout-budget',
    );
  });

  it('fails a nested job: step the budget sends for approval: a step cannot wait for one', async () => {
    await setRemaining(0.1);
    const release = await baton.run('shop/release');
    expect((await baton.waitFor(release.id)).state).toBe('failed');
    expect((await baton.logText(release.id)).join('\n')).toContain(
      'it needs approval from team/payments, which a job: step cannot wait for',
    );
  });

  it('explains what a run would meet now (budget check), as the caller or, for admins, as someone else', async () => {
    await setRemaining(-0.05);
    const mine = await baton.request('POST', '/api/v1/budget/check', { job: 'shop/deploy' }, bob);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toMatchObject({
      job: 'shop/deploy',
      service: 'checkout',
      purpose: 'change',
      gated: true,
      decision: 'refuse',
      policy: 'checkout-budget',
      rule: 'checkout-budget#1',
      slos: [],
      override: { allowed: false, permission: 'override-budget on service/checkout', holdsFor: '2h' },
    });
    const asAlice = await baton.request('POST', '/api/v1/budget/check', { job: 'shop/deploy', as: 'alice' });
    expect(asAlice.json().override.allowed).toBe(true);
    expect(
      (await baton.request('POST', '/api/v1/budget/check', { job: 'shop/deploy', as: 'alice' }, bob))
        .statusCode,
    ).toBe(403);
    const stranger = (await baton.addUser(`stranger-${dialect}`)).headers;
    const hidden = await baton.request('POST', '/api/v1/budget/check', { job: 'shop/deploy' }, stranger);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.message).toBe('job shop/deploy not found');

    // A service rather than a job: what any change job on it would meet (bob may not view the
    // service, the admin may).
    const service = await baton.request('POST', '/api/v1/budget/check', { service: 'checkout' });
    expect(service.statusCode, service.body).toBe(200);
    expect(service.json()).toMatchObject({
      job: null,
      service: 'checkout',
      purpose: 'change',
      decision: 'refuse',
      rule: 'checkout-budget#1',
    });
    expect(service.json().reason).toMatch(/^refused by error budget policy checkout-budget rule 1 /);
    const unseen = await baton.request('POST', '/api/v1/budget/check', { service: 'checkout' }, bob);
    expect(unseen.statusCode).toBe(404);
    expect(unseen.json().error.message).toBe('service checkout not found');
    const both = await baton.request('POST', '/api/v1/budget/check', {
      job: 'shop/deploy',
      service: 'checkout',
    });
    expect(both.statusCode).toBe(400);
    expect(both.body).toContain('give exactly one of job (PROJECT/NAME) or service');
  });

  it('shows each service open, approval or frozen as a change would meet it now', async () => {
    const stateNow = async () =>
      (await gateStates(baton.db, ['checkout', 'search'], Date.now())).get('checkout');
    await setRemaining(0.8);
    expect(await stateNow()).toEqual({ state: 'open', reason: null, policy: 'checkout-budget', rule: null });
    await setRemaining(0.1);
    expect(await stateNow()).toMatchObject({ state: 'approval', rule: 'checkout-budget#2' });
    await setRemaining(-0.05);
    const frozen = await stateNow();
    expect(frozen).toMatchObject({ state: 'frozen', policy: 'checkout-budget', rule: 'checkout-budget#1' });
    expect(frozen?.reason).toContain('budget exhausted');
    expect((await gateStates(baton.db, ['search'], Date.now())).get('search')).toMatchObject({
      state: 'open',
      policy: null,
    });
  });

  it('refuses policies naming an unknown service or a service another policy covers, at file:line:column', async () => {
    const error = await baton.apply
      .apply(
        {
          files: [
            {
              name: 'budget.yaml',
              content: `apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: second}
spec:
  services:
    - checkout
    - checkuot
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
`,
            },
          ],
        },
        { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' },
      )
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).problems.map(
      (problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.path}: ${problem.message}`,
    );
    expect(problems).toEqual([
      'budget.yaml:6:7 spec.services[0]: service checkout is already covered by error budget policy checkout-budget; a service has one policy',
      'budget.yaml:7:7 spec.services[1]: unknown service "checkuot" (did you mean "checkout"?)',
    ]);
  });
});
