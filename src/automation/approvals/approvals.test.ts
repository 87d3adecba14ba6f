/**
 * Approvals end to end on a real Baton (both databases): executions of a job that requires
 * approval wait, only approvers other than the requester decide, and every decision, expiry and
 * cancel is recorded on the execution and in the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { insertToken, insertUser } from '../../access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../../access/tokens.js';
import { expireApprovals } from './expiry.js';

const PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
type Person = (typeof PEOPLE)[number];

const DOCUMENTS = `apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [bob, carol]}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: deployers}
spec:
  rules:
    - {subjects: [user/alice, user/dave], actions: [run], resources: [project/deploy], effect: allow}
---
apiVersion: baton/v1
kind: Job
metadata: {name: release, project: deploy}
spec:
  options:
    - {name: version, type: string, default: "1.0"}
  approval: {approvers: team/sre, expires: 1h}
  steps:
    - name: ship
      command: [echo, shipped]
---
apiVersion: baton/v1
kind: Job
metadata: {name: double, project: deploy}
spec:
  approval: {approvers: [team/sre], count: 2}
  steps:
    - name: ship
      command: [echo, shipped twice]
---
apiVersion: baton/v1
kind: Job
metadata: {name: flaky, project: deploy}
spec:
  approval: {approvers: team/sre}
  retries: {count: 1, backoff: 10ms}
  steps:
    - name: fail
      command: ["false"]
---
apiVersion: baton/v1
kind: Job
metadata: {name: plain, project: deploy}
spec:
  steps:
    - name: echo
      command: [echo, plain]
`;

interface ExecutionBody {
  id: number;
  state: string;
  reason: string | null;
  startedAt: string | null;
  attempt: number;
  retryOf: number | null;
}

describe.each(DIALECTS)('approvals on %s', (dialect) => {
  let baton: TestBaton;
  const tokens = {} as Record<Person, string>;

  const as = (person: Person | 'admin', method: string, url: string, body?: unknown) =>
    person === 'admin'
      ? baton.request(method, url, body)
      : baton.request(method, url, body, { authorization: `Bearer ${tokens[person]}` });

  const run = async (person: Person | 'admin', job: string): Promise<ExecutionBody> => {
    const response = await as(person, 'POST', `/api/v1/jobs/deploy/${job}/executions`, {});
    expect(response.statusCode, response.body).toBe(201);
    return response.json().execution as ExecutionBody;
  };
  const approve = (person: Person | 'admin', id: number, comment?: string) =>
    as(person, 'POST', `/api/v1/executions/${id}/approve`, comment === undefined ? {} : { comment });
  const reject = (person: Person | 'admin', id: number, comment?: string) =>
    as(person, 'POST', `/api/v1/executions/${id}/reject`, comment === undefined ? {} : { comment });
  const detail = async (id: number) =>
    (await as('admin', 'GET', `/api/v1/executions/${id}`)).json().execution;
  const audit = async (id: number) =>
    (
      await baton.db
        .selectFrom('audit_events')
        .select(['actor', 'action'])
        .where('target', '=', `execution/${id}`)
        .orderBy('seq')
        .execute()
    ).map((row) => `${row.actor} ${row.action}`);

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    for (const person of PEOPLE) {
      const userId = await insertUser(baton.db, { name: person, isAdmin: false, now: Date.now() });
      tokens[person] = generateToken();
      await insertToken(baton.db, {
        userId,
        name: 'test',
        prefix: tokenPrefix(tokens[person]),
        hash: hashToken(tokens[person]),
        now: Date.now(),
      });
    }
    await baton.applyYaml(DOCUMENTS);
    await baton.access.refresh();
  });
  afterAll(async () => {
    await baton?.stop();
  });

  it('keeps an execution awaiting approval, where no worker runs it, and says what it waits for', async () => {
    const awaiting = await run('alice', 'release');
    expect(awaiting.state).toBe('awaiting_approval');
    // The worker is alive and runs other work meanwhile.
    const plain = await run('alice', 'plain');
    expect((await baton.waitFor(plain.id)).state).toBe('succeeded');

    const waiting = await detail(awaiting.id);
    expect(waiting.state).toBe('awaiting_approval');
    expect(waiting.startedAt).toBeNull();
    expect(waiting.waitingFor).toMatch(/^waiting for 1 more approval from team\/sre \(expires in \d+m\)$/);
    expect(waiting.approval).toMatchObject({
      required: { approvers: ['team/sre'], count: 1, expires: '1h' },
      decisions: [],
    });
    expect(Date.parse(waiting.approval.required.expiresAt) - Date.parse(waiting.queuedAt)).toBe(3_600_000);
    expect(await audit(awaiting.id)).toEqual(['alice execution.run']);
  });

  it('refuses the requester approving their own execution, even an administrator', async () => {
    const own = await run('alice', 'release');
    const refused = await approve('alice', own.id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('alice requested execution');
    expect(refused.json().error.message).toContain('cannot decide on their own request');

    const admins = await run('admin', 'release');
    expect((await approve('admin', admins.id)).statusCode).toBe(403);
    expect((await detail(admins.id)).state).toBe('awaiting_approval');
  });

  it("answers an approver's token scoped elsewhere like a missing execution, and decides with an unscoped one", async () => {
    const execution = await run('alice', 'release');
    const bob = await baton.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', 'bob')
      .executeTakeFirstOrThrow();
    const scoped = generateToken();
    await insertToken(baton.db, {
      userId: bob.id,
      name: 'elsewhere',
      prefix: tokenPrefix(scoped),
      hash: hashToken(scoped),
      now: Date.now(),
      scopes: [{ action: 'view', resource: 'job/other/*' }],
    });
    const decide = (id: number, verdict: 'approve' | 'reject') =>
      baton.request(
        'POST',
        `/api/v1/executions/${id}/${verdict}`,
        { comment: 'no' },
        {
          authorization: `Bearer ${scoped}`,
        },
      );
    // bob is a named approver, but the token's scopes grant nothing about deploy/release: to it
    // the execution does not exist, and the answer does not name the job.
    for (const verdict of ['approve', 'reject'] as const) {
      const hidden = await decide(execution.id, verdict);
      const missing = await decide(987_654, verdict);
      expect(hidden.statusCode, hidden.body).toBe(404);
      expect(hidden.body.replace(String(execution.id), '{id}')).toBe(missing.body.replace('987654', '{id}'));
    }
    expect((await detail(execution.id)).state).toBe('awaiting_approval');
    const approved = await approve('bob', execution.id);
    expect(approved.statusCode, approved.body).toBe(200);
  });

  it('refuses someone who is neither an approver nor allowed approve on the job', async () => {
    const execution = await run('alice', 'release');
    const refused = await approve('dave', execution.id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('must be decided by team/sre');
    expect((await detail(execution.id)).state).toBe('awaiting_approval');
    expect((await as('dave', 'GET', '/api/v1/approvals')).json().approvals).toEqual([]);
  });

  it('lists pending approvals to those who may decide, not to the requester', async () => {
    const execution = await run('alice', 'release');
    const forBob = (await as('bob', 'GET', '/api/v1/approvals')).json().approvals as {
      execution: ExecutionBody & { requestedBy: string; options: Record<string, unknown> };
      required: { approvers: string[]; count: number; expiresAt: string };
      decisions: unknown[];
    }[];
    const listed = forBob.find((pending) => pending.execution.id === execution.id);
    expect(listed).toMatchObject({
      execution: { requestedBy: 'alice', options: { version: '1.0' } },
      required: { approvers: ['team/sre'], count: 1 },
      decisions: [],
    });
    const forAlice = (await as('alice', 'GET', '/api/v1/approvals')).json().approvals as {
      execution: { id: number };
    }[];
    expect(forAlice.map((pending) => pending.execution.id)).not.toContain(execution.id);
  });

  it('runs the execution once a member of the approver team approves, and records the decision', async () => {
    const execution = await run('alice', 'release');
    const approved = await approve('bob', execution.id, 'looks good');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(['queued', 'running', 'succeeded']).toContain(approved.json().execution.state);
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    expect(await baton.logText(execution.id)).toContain('shipped');
    const decided = await detail(execution.id);
    expect(decided.approval.decisions).toMatchObject([
      { approver: 'bob', decision: 'approved', comment: 'looks good' },
    ]);
    expect(decided.waitingFor).toBeNull();
    expect(await audit(execution.id)).toEqual(['alice execution.run', 'bob execution.approve']);
    // Decided once and for all: a second decision finds it no longer waiting.
    const late = await approve('carol', execution.id);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain('no longer awaits approval');
  });

  it('lets an administrator approve through the authorization check', async () => {
    const execution = await run('alice', 'release');
    expect((await approve('admin', execution.id)).statusCode).toBe(200);
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
  });

  it('needs two different approvers when count is 2, and refuses the same person twice', async () => {
    const execution = await run('alice', 'double');
    expect((await approve('bob', execution.id)).json().execution.state).toBe('awaiting_approval');
    expect((await detail(execution.id)).waitingFor).toMatch(/^waiting for 1 more approval from team\/sre/);

    const twice = await approve('bob', execution.id);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.message).toContain('bob already approved');
    expect((await detail(execution.id)).state).toBe('awaiting_approval');

    expect((await approve('carol', execution.id)).statusCode).toBe(200);
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    expect(
      (await detail(execution.id)).approval.decisions.map((d: { approver: string }) => d.approver),
    ).toEqual(['bob', 'carol']);
  });

  it('queues exactly once when the last two approvals arrive at the same moment', async () => {
    const execution = await run('alice', 'double');
    const answers = await Promise.all([approve('bob', execution.id), approve('carol', execution.id)]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    // Each decider counted the other's approval: one of them released it to the queue.
    expect((await detail(execution.id)).state).not.toBe('awaiting_approval');
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    expect(await audit(execution.id)).toEqual(
      expect.arrayContaining(['bob execution.approve', 'carol execution.approve']),
    );
  });

  it('ends a rejected execution as rejected with the reason, and never runs it', async () => {
    const execution = await run('alice', 'release');
    const withoutComment = await reject('carol', execution.id);
    expect(withoutComment.statusCode).toBe(400);
    expect(withoutComment.body).toContain('comment');

    const rejected = await reject('carol', execution.id, 'not during the freeze');
    expect(rejected.statusCode, rejected.body).toBe(200);
    const ended = await detail(execution.id);
    expect(ended).toMatchObject({
      state: 'rejected',
      reason: 'rejected by carol: not during the freeze',
      startedAt: null,
      steps: [{ state: 'skipped' }],
      approval: {
        decisions: [{ approver: 'carol', decision: 'rejected', comment: 'not during the freeze' }],
      },
    });
    expect(ended.finishedAt).not.toBeNull();
    expect((await approve('bob', execution.id)).statusCode).toBe(409);
    expect(await audit(execution.id)).toEqual(['alice execution.run', 'carol execution.reject']);
  });

  it('rejects an execution nobody approved before its deadline', async () => {
    const execution = await run('alice', 'release');
    const awaiting = await detail(execution.id);
    const deadline = Date.parse(awaiting.approval.required.expiresAt);

    expect(await expireApprovals(baton, deadline - 1)).not.toContain(execution.id);
    expect((await detail(execution.id)).state).toBe('awaiting_approval');

    expect(await expireApprovals(baton, deadline)).toContain(execution.id);
    const expired = await detail(execution.id);
    expect(expired).toMatchObject({
      state: 'rejected',
      reason: 'approval expired after 1h',
      startedAt: null,
    });
    expect(await audit(execution.id)).toEqual(['alice execution.run', 'baton execution.approval-expired']);
    expect((await approve('bob', execution.id)).statusCode).toBe(409);
  });

  it('cancels an execution that awaits approval', async () => {
    const execution = await run('alice', 'release');
    const cancelled = await as('alice', 'POST', `/api/v1/executions/${execution.id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().execution).toMatchObject({ state: 'cancelled', startedAt: null });
    expect((await approve('bob', execution.id)).statusCode).toBe(409);
    expect(await audit(execution.id)).toEqual(['alice execution.run', 'alice execution.cancel']);
  });

  it('runs the retries of an approved execution without asking again', async () => {
    const execution = await run('alice', 'flaky');
    expect((await approve('bob', execution.id)).statusCode).toBe(200);
    expect((await baton.waitFor(execution.id)).state).toBe('failed');
    const retries = (await as('admin', 'GET', '/api/v1/executions?job=deploy/flaky')).json()
      .executions as ExecutionBody[];
    const retry = retries.find((candidate) => candidate.retryOf === execution.id);
    expect(retry).toBeDefined();
    expect((await baton.waitFor(retry!.id)).state).toBe('failed');
    const shown = await detail(retry!.id);
    expect(shown.approval.decisions).toMatchObject([{ approver: 'bob', decision: 'approved' }]);
  });

  it('refuses a job that runs a job requiring approval as a step, and unknown approvers', async () => {
    const nested = `apiVersion: baton/v1
kind: Job
metadata: {name: pipeline, project: deploy}
spec:
  steps:
    - name: release
      job: deploy/release
`;
    await expect(baton.applyYaml(nested, 'pipeline.yaml')).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'spec.steps[0].job',
          message: expect.stringContaining('job deploy/release requires approval'),
        }),
      ],
    });
    const unknownTeam = `apiVersion: baton/v1
kind: Job
metadata: {name: lonely, project: deploy}
spec:
  approval: {approvers: [team/nobody]}
  steps:
    - {name: echo, command: [echo]}
`;
    await expect(baton.applyYaml(unknownTeam, 'lonely.yaml')).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'spec.approval.approvers[0]',
          message: expect.stringContaining('unknown team "nobody"'),
        }),
      ],
    });
  });

  it('refuses approvers that are not team/NAME or user/NAME, naming the field', async () => {
    const wrong = `apiVersion: baton/v1
kind: Job
metadata: {name: wrong, project: deploy}
spec:
  approval: {approvers: sre, count: 0}
  steps:
    - {name: echo, command: [echo]}
`;
    const answer = baton.applyYaml(wrong, 'wrong.yaml');
    await expect(answer).rejects.toMatchObject({
      problems: expect.arrayContaining([
        expect.objectContaining({
          path: 'spec.approval.approvers',
          message: 'must be team/NAME or user/NAME',
        }),
        expect.objectContaining({ path: 'spec.approval.count' }),
      ]),
    });
  });
});
