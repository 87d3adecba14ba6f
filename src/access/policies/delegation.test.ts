/**
 * Delegation end to end through the HTTP API: teams, policies, owners and services applied as
 * documents, then decisions seen by real callers with their own tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';

const OPS_JOBS = ['restart-web', 'diagnose-disk', 'drop-database', 'rotate-certs']
  .map(
    (name) => `---
apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: ops, labels: {risk: ${name === 'rotate-certs' ? 'low' : 'high'}}}
spec:
  steps: [{name: main, script: "echo ${name}"}]
`,
  )
  .join('');

const TEAMS = `
apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [alice, bob], maintainers: [bob]}
---
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [carol]}
`;

const SELF_SERVICE = `
apiVersion: baton/v1
kind: Policy
metadata: {name: payments-self-service}
spec:
  rules:
    - subjects: [team/payments]
      actions: [view, run, read-logs]
      resources: [job/ops/restart-web, job/ops/diagnose-*]
      effect: allow
    - subjects: [team/payments]
      actions: [run]
      resources: [job/ops/drop-database]
      effect: deny
    - subjects: [team/payments]
      actions: [run]
      resources: [{job: "ops/*", labels: {risk: low}}]
      effect: allow
`;

describe.each(DIALECTS)('delegation on %s', (dialect) => {
  let baton: TestBaton;
  let alice: Record<string, string>;
  let carol: Record<string, string>;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    alice = (await baton.addUser('alice')).headers;
    await baton.addUser('bob');
    carol = (await baton.addUser('carol')).headers;
    await baton.addUser('ci-bot', { kind: 'service' });
    await baton.applyYaml(OPS_JOBS);
  });
  afterAll(() => baton.stop());

  const applyAs = (headers: Record<string, string> | undefined, content: string, name = 'policy.yaml') =>
    baton.request('POST', '/api/v1/apply', { files: [{ name, content }] }, headers);

  it('allows a user nothing until a policy does', async () => {
    // A job alice may not even view answers like one that does not exist.
    const run = await baton.request('POST', '/api/v1/jobs/ops/restart-web/executions', {}, alice);
    expect(run.statusCode).toBe(404);
    expect(run.json().error.message).toBe('job ops/restart-web not found');
    const jobs = await baton.request('GET', '/api/v1/jobs', undefined, alice);
    expect(jobs.json().jobs).toEqual([]);
  });

  it('refuses policies and teams naming unknown users or teams, with file, line and a suggestion', async () => {
    const response = await applyAs(
      undefined,
      `apiVersion: baton/v1
kind: Team
metadata: {name: web}
spec: {members: [alice, alcie]}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: typo}
spec:
  rules:
    - subjects: [team/paymnets, user/ci-bot, team/web]
      actions: [view]
      resources: [project/ops]
      effect: allow
`,
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([
      expect.objectContaining({
        file: 'policy.yaml',
        line: 4,
        path: 'spec.members[1]',
        message: 'unknown user "alcie" (did you mean "alice"?)',
      }),
      expect.objectContaining({
        line: 11,
        path: 'spec.rules[0].subjects[0]',
        message: 'unknown team "paymnets"',
      }),
      expect.objectContaining({
        line: 11,
        path: 'spec.rules[0].subjects[1]',
        message: 'unknown user "ci-bot" (did you mean serviceaccount/ci-bot?)',
      }),
    ]);
    // All or nothing: the valid team in the same apply was not created either.
    expect((await baton.request('GET', '/api/v1/teams')).json().teams).toEqual([]);
  });

  it('reports malformed rules with the field and what was expected', async () => {
    const response = await applyAs(
      undefined,
      `apiVersion: baton/v1
kind: Policy
metadata: {name: broken}
spec:
  rules:
    - subjects: [payments]
      actions: [execute]
      resources: [job/../etc/passwd]
`,
    );
    expect(response.statusCode).toBe(400);
    const problems = response.json().error.problems as { path: string; message: string }[];
    expect(problems.map((problem) => problem.path)).toEqual([
      'spec.rules[0].effect',
      'spec.rules[0].subjects[0]',
      'spec.rules[0].actions[0]',
      'spec.rules[0].resources[0]',
    ]);
  });

  describe('with teams and a policy', () => {
    beforeAll(async () => {
      const response = await applyAs(undefined, TEAMS + '---' + SELF_SERVICE);
      expect(response.statusCode).toBe(200);
    });

    it('lets the team run what the policy allows and lists only that', async () => {
      const run = await baton.request('POST', '/api/v1/jobs/ops/restart-web/executions', {}, alice);
      expect(run.statusCode).toBe(201);
      const jobs = await baton.request('GET', '/api/v1/jobs', undefined, alice);
      expect(
        jobs
          .json()
          .jobs.map((job: { name: string }) => job.name)
          .sort(),
      ).toEqual(['diagnose-disk', 'restart-web', 'rotate-certs']);
      const hidden = await baton.request('GET', '/api/v1/jobs/ops/drop-database', undefined, alice);
      expect(hidden.statusCode).toBe(404);
      // "Did you mean" names only jobs alice may view: never the hidden ops/drop-database.
      const near = await baton.request('GET', '/api/v1/jobs/ops/drop-databas', undefined, alice);
      expect(near.statusCode).toBe(404);
      expect(near.json().error.message).toBe('job ops/drop-databas not found');
      const typo = await baton.request('GET', '/api/v1/jobs/ops/restart-wep', undefined, alice);
      expect(typo.json().error.message).toBe(
        'job ops/restart-wep not found (did you mean "ops/restart-web"?)',
      );
    });

    it('lets deny win, and names the rule that decided', async () => {
      const run = await baton.request('POST', '/api/v1/jobs/ops/drop-database/executions', {}, alice);
      // Denied run, the only thing that let alice see the job: to her it does not exist, and an
      // administrator's policy test names the rule that decided.
      expect(run.statusCode).toBe(404);
      expect(run.json().error.message).toMatch(/^job ops\/drop-database not found/);
      const test = await baton.request('POST', '/api/v1/policy/test', {
        as: 'alice',
        action: 'run',
        resource: 'ops/drop-database',
      });
      expect(test.json()).toEqual({
        user: 'alice',
        action: 'run',
        resource: 'job/ops/drop-database',
        decision: {
          allowed: false,
          reason: 'policy/payments-self-service#2 denies user/alice run on job/ops/drop-database',
          rules: [
            {
              source: 'policy/payments-self-service#2',
              effect: 'deny',
              subject: 'team/payments',
              action: 'run',
              resource: 'job/ops/drop-database',
            },
          ],
        },
      });
    });

    it('matches label selectors against the labels of the applied job', async () => {
      const test = await baton.request('POST', '/api/v1/policy/test', {
        as: 'alice',
        action: 'run',
        resource: 'job/ops/rotate-certs',
      });
      expect(test.json().decision).toMatchObject({
        allowed: true,
        rules: [{ source: 'policy/payments-self-service#3', resource: 'job/ops/*[risk=low]' }],
      });
    });

    it('lets people test policies for themselves but only admins for others', async () => {
      const own = await baton.request(
        'POST',
        '/api/v1/policy/test',
        { action: 'run', resource: 'ops/restart-web' },
        alice,
      );
      expect(own.json().decision.allowed).toBe(true);
      const other = await baton.request(
        'POST',
        '/api/v1/policy/test',
        { as: 'carol', action: 'run', resource: 'ops/restart-web' },
        alice,
      );
      expect(other.statusCode).toBe(403);
      const traversal = await baton.request('POST', '/api/v1/policy/test', {
        action: 'view',
        resource: 'secret/../../etc/passwd',
      });
      expect(traversal.statusCode).toBe(400);
      expect(traversal.json().error.problems[0].path).toBe('resource');
    });

    it('shows a caller only the executions they may view, with a working cursor', async () => {
      for (let i = 0; i < 3; i += 1) await baton.run('ops/drop-database');
      for (let i = 0; i < 3; i += 1) await baton.run('ops/diagnose-disk');
      for (let i = 0; i < 3; i += 1) await baton.run('ops/drop-database');
      const first = await baton.request('GET', '/api/v1/executions?limit=2', undefined, alice);
      const page = first.json() as { executions: { job: string; id: number }[]; next: number };
      expect(page.executions.map((execution) => execution.job)).toEqual(['diagnose-disk', 'diagnose-disk']);
      const second = await baton.request(
        'GET',
        `/api/v1/executions?limit=2&before=${page.next}`,
        undefined,
        alice,
      );
      const rest = second.json() as { executions: { job: string }[]; next: number | null };
      expect(rest.executions.map((execution) => execution.job)).toEqual(['diagnose-disk', 'restart-web']);
      const last = await baton.request(
        'GET',
        `/api/v1/executions?limit=2&before=${String(
          (rest.executions.at(-1) as unknown as { id: number }).id,
        )}`,
        undefined,
        alice,
      );
      expect(last.json()).toEqual({ executions: [], next: null });
      // carol (team sre) has no rule at all.
      const none = await baton.request('GET', '/api/v1/executions', undefined, carol);
      expect(none.json().executions).toEqual([]);
    });

    it('lets team members see their team and maintainers change it', async () => {
      const teams = await baton.request('GET', '/api/v1/teams', undefined, alice);
      expect(teams.json().teams.map((team: { name: string }) => team.name)).toEqual(['payments']);
      const bob = (await baton.addUser('bob-token-holder')).headers;
      expect((await baton.request('GET', '/api/v1/teams', undefined, bob)).json().teams).toEqual([]);
      const byMember = await applyAs(
        alice,
        TEAMS.split('---')[0]!.replace('[alice, bob]', '[alice, bob, carol]'),
      );
      expect(byMember.statusCode).toBe(403);
    });
  });

  describe('project ownership', () => {
    const ownedProject = (owner: string) => `apiVersion: baton/v1
kind: Project
metadata: {name: payments}
spec: {owner: ${owner}}
`;
    const paymentsJob = `apiVersion: baton/v1
kind: Job
metadata: {name: refund, project: payments}
spec: {steps: [{name: main, script: "echo refund"}]}
`;

    it('lets the owning team work in its project, and only an admin change the owner', async () => {
      expect((await applyAs(alice, paymentsJob)).statusCode).toBe(403);
      expect((await applyAs(undefined, ownedProject('payments'))).statusCode).toBe(200);
      const applied = await applyAs(alice, paymentsJob);
      expect(applied.statusCode).toBe(200);
      expect(
        (await baton.request('POST', '/api/v1/jobs/payments/refund/executions', {}, alice)).statusCode,
      ).toBe(201);

      // An editor of the project cannot hand it to another team: that needs admin on it.
      const handOver = await applyAs(alice, ownedProject('sre'), 'project.yaml');
      expect(handOver.statusCode).toBe(403);
      expect(handOver.json().error.message).toMatch(
        /^forbidden: no rule allows user\/alice admin on project\/payments \(needed by project\.yaml:4:/,
      );
      const unknown = await applyAs(undefined, ownedProject('nobody'));
      expect(unknown.json().error.problems[0]).toMatchObject({
        path: 'spec.owner',
        message: 'unknown team "nobody"',
      });
    });
  });

  it("cannot wrap another project's job in a job step to get around a policy", async () => {
    // alice's team owns project payments (above), so she may edit jobs there, but a deny rule
    // keeps her from running ops/drop-database: a step that runs it must be refused too.
    const wrapper = `apiVersion: baton/v1
kind: Job
metadata: {name: innocent, project: payments}
spec:
  steps:
    - name: harmless
      script: "echo hello"
    - name: sneaky
      job: ops/drop-database
`;
    const response = await applyAs(alice, wrapper, 'wrapper.yaml');
    expect(response.statusCode).toBe(403);
    expect(response.json().error.message).toBe(
      'forbidden: policy/payments-self-service#2 denies user/alice run on job/ops/drop-database (needed by wrapper.yaml:9:12)',
    );
    expect((await baton.request('GET', '/api/v1/jobs/payments/innocent')).statusCode).toBe(404);
  });

  it('lets only those allowed to use a worker group send a job to it', async () => {
    const grouped = (name: string) => `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: payments}
spec:
  workerGroup: linux-prod
  steps: [{name: main, script: "id"}]
`;
    const refused = await applyAs(alice, grouped('on-prod'), 'grouped.yaml');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toBe(
      'forbidden: no rule allows user/alice run on workergroup/linux-prod (needed by grouped.yaml:5:16)',
    );
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: payments-on-prod}
spec:
  rules: [{subjects: [team/payments], actions: [run], resources: [workergroup/linux-prod], effect: allow}]
`);
    expect((await applyAs(alice, grouped('on-prod'), 'grouped.yaml')).statusCode).toBe(200);
  });

  describe('services', () => {
    it('catalogs services owned by teams, and jobs name the service they act on', async () => {
      const service = `apiVersion: baton/v1
kind: Service
metadata: {name: checkout, description: Takes the money}
spec:
  owner: payments
  lifecycle: production
  links: [{title: Runbook, url: "https://wiki.example.com/checkout"}]
`;
      const job = (name: string) => `---
apiVersion: baton/v1
kind: Job
metadata: {name: restart-checkout, project: ops}
spec: {service: ${name}, steps: [{name: main, script: "echo restart"}]}
`;
      const unknown = await applyAs(undefined, job('chekout'));
      expect(unknown.json().error.problems[0]).toMatchObject({
        path: 'spec.service',
        message: 'unknown service "chekout"',
      });
      expect((await applyAs(undefined, service + job('checkout'))).statusCode).toBe(200);
      const listed = await baton.request('GET', '/api/v1/services', undefined, alice);
      expect(listed.json().services).toEqual([
        expect.objectContaining({ name: 'checkout', owner: 'payments', lifecycle: 'production' }),
      ]);
      expect((await baton.request('GET', '/api/v1/services', undefined, carol)).json().services).toEqual([]);
      const prune = await baton.apply
        .apply(
          { files: [{ name: 'x.yaml', content: service.replace('checkout', 'billing') }], prune: true },
          {
            kind: 'user',
            id: 1,
            name: 'admin',
            isAdmin: true,
            via: 'internal',
          },
        )
        .catch((error: unknown) => error as Error);
      expect((prune as Error).message).toMatch(/nothing was applied/);
    });
  });
});
