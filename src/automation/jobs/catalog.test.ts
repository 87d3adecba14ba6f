/**
 * The job catalog and execution history over HTTP, on both databases: what the web UI's catalog
 * and history pages list. Filters combine with the caller's permissions (a user who may view
 * only some jobs through a policy), and each job's last execution and 30-day statistics are
 * computed from executions inserted with known times and states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import type { ExecutionState } from '../executions/model.js';
import { HISTORY_WINDOW_MS, matchesLabels } from './catalog.js';

const job = (project: string, name: string, metadata: string, spec = '') => `---
apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: ${project}, ${metadata}}
spec:
  ${spec}steps: [{name: main, script: "echo ${name}"}]
`;

const DOCUMENTS = `
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [alice]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: web}
spec: {owner: sre, lifecycle: production}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: alice-sees-ops}
spec:
  rules:
    - {subjects: [user/alice], actions: [view], resources: ["job/ops/*"], effect: allow}
${[
  job(
    'ops',
    'restart-web',
    'description: Restarts the Web tier, labels: {team: web, risk: high}',
    'service: web\n  ',
  ),
  job('ops', 'rotate-certs', 'description: New TLS certificates, labels: {team: web, risk: low}'),
  job('ops', 'disk-report', 'description: "usage_report, 100% honest", labels: {team: storage}'),
  job(
    'db',
    'restart-primary',
    'description: Restarts the WEB database, labels: {team: web, risk: high}',
    'service: web\n  ',
  ),
].join('')}`;

const MINUTE = 60_000;

describe('matchesLabels', () => {
  it('matches only a job that has every selected label with its value', () => {
    const labels = { team: 'web', risk: 'high', note: 'a=b' };
    expect(matchesLabels(labels, [])).toBe(true);
    expect(matchesLabels(labels, ['team=web', 'risk=high'])).toBe(true);
    expect(matchesLabels(labels, ['team=web', 'risk=low'])).toBe(false);
    expect(matchesLabels(labels, ['note=a=b'])).toBe(true);
    expect(matchesLabels(labels, ['owner='])).toBe(false);
  });
});

describe.each(DIALECTS)('job catalog and execution history on %s', (dialect) => {
  let baton: TestBaton;
  let alice: Record<string, string>;

  /** An execution row with known times; durations are finished minus started. */
  const insert = async (
    jobRef: string,
    state: ExecutionState,
    times: { queuedAt: number; startedAt?: number | null; finishedAt?: number | null },
    requestedBy = 'admin',
  ): Promise<number> => {
    const [project, name] = jobRef.split('/') as [string, string];
    const row = await baton.db
      .insertInto('executions')
      .values({
        project,
        job_name: name,
        job_revision: 1,
        spec: '{}',
        options: '{}',
        requested_by: requestedBy,
        state,
        queued_at: times.queuedAt,
        run_after: times.queuedAt,
        started_at: times.startedAt ?? null,
        finished_at: times.finishedAt ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };

  const names = (body: { jobs: { project: string; name: string }[] }) =>
    body.jobs.map((listed) => `${listed.project}/${listed.name}`);

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    alice = (await baton.addUser('alice')).headers;
    await baton.applyYaml(DOCUMENTS);
  });
  afterAll(() => baton.stop());

  it('filters jobs by search, labels, service and project, and only among jobs the caller may view', async () => {
    const list = async (query: string, headers?: Record<string, string>) => {
      const response = await baton.request('GET', `/api/v1/jobs?${query}`, undefined, headers);
      expect(response.statusCode).toBe(200);
      return names(response.json());
    };
    // The search ignores case and looks at project, name and description.
    expect(await list('q=WEB')).toEqual(['db/restart-primary', 'ops/restart-web']);
    expect(await list('q=WEB', alice)).toEqual(['ops/restart-web']);
    expect(await list('q=certificates', alice)).toEqual(['ops/rotate-certs']);
    expect(await list('q=db')).toEqual(['db/restart-primary']);
    expect(await list('q=db', alice)).toEqual([]);
    // % and _ are themselves, not LIKE wildcards.
    expect(await list('q=100%25')).toEqual(['ops/disk-report']);
    expect(await list('q=e_r')).toEqual(['ops/disk-report']);
    expect(await list('q=e_c')).toEqual([]);
    // Every label must match.
    expect(await list('label=team=web&label=risk=high')).toEqual(['db/restart-primary', 'ops/restart-web']);
    expect(await list('label=team=web&label=risk=high', alice)).toEqual(['ops/restart-web']);
    expect(await list('label=team=web', alice)).toEqual(['ops/restart-web', 'ops/rotate-certs']);
    expect(await list('service=web')).toEqual(['db/restart-primary', 'ops/restart-web']);
    expect(await list('service=web', alice)).toEqual(['ops/restart-web']);
    expect(await list('project=ops&q=restart&service=web&label=risk=high')).toEqual(['ops/restart-web']);
    expect(await list('project=db', alice)).toEqual([]);
    expect(await list('', alice)).toEqual(['ops/disk-report', 'ops/restart-web', 'ops/rotate-certs']);
  });

  it('refuses a label that is not KEY=VALUE with the querystring field', async () => {
    const response = await baton.request('GET', '/api/v1/jobs?label=team');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems[0].path).toMatch(/^querystring\.label/);
  });

  it('shows each job its last execution and the success rate and run times of the last 30 days', async () => {
    const now = Date.now();
    const ran = (ago: number, ms: number) => ({
      queuedAt: now - ago - ms,
      startedAt: now - ago - ms,
      finishedAt: now - ago,
    });
    // Finished long ago: outside the window, but the last execution of rotate-certs.
    const old = await insert('ops/rotate-certs', 'succeeded', ran(HISTORY_WINDOW_MS + 60 * MINUTE, 99_000));
    await insert('ops/restart-web', 'succeeded', ran(HISTORY_WINDOW_MS + 60 * MINUTE, 99_000));
    await insert('ops/restart-web', 'succeeded', ran(50 * MINUTE, 4000));
    await insert('ops/restart-web', 'failed', ran(40 * MINUTE, 3000));
    await insert('ops/restart-web', 'succeeded', ran(30 * MINUTE, 1000));
    await insert('ops/restart-web', 'succeeded', ran(20 * MINUTE, 2000));
    // Rejected: finished, so counted, but it never ran (no duration) and says nothing about success.
    await insert('ops/restart-web', 'rejected', {
      queuedAt: now - 15 * MINUTE,
      finishedAt: now - 10 * MINUTE,
    });
    const running = await insert('ops/restart-web', 'running', {
      queuedAt: now - MINUTE,
      startedAt: now - MINUTE,
    });

    const response = await baton.request('GET', '/api/v1/jobs?project=ops', undefined, alice);
    const byName = Object.fromEntries(
      response.json().jobs.map((listed: { name: string }) => [listed.name, listed]),
    );
    expect(byName['restart-web']).toMatchObject({
      lastExecution: { id: running, state: 'running', finishedAt: null },
      stats: { executions: 5, successRate: 0.75, p50Ms: 2000, p95Ms: 4000 },
    });
    expect(byName['rotate-certs']).toMatchObject({
      lastExecution: {
        id: old,
        state: 'succeeded',
        finishedAt: new Date(now - HISTORY_WINDOW_MS - 60 * MINUTE).toISOString(),
      },
      stats: { executions: 0, successRate: null, p50Ms: null, p95Ms: null },
    });
    expect(byName['disk-report']).toMatchObject({
      lastExecution: null,
      stats: { executions: 0, successRate: null, p50Ms: null, p95Ms: null },
    });

    // The job page reads the same numbers, and what the caller may do with the job.
    const detail = await baton.request('GET', '/api/v1/jobs/ops/restart-web', undefined, alice);
    expect(detail.json().job).toMatchObject({
      lastExecution: { id: running, state: 'running' },
      stats: { executions: 5, successRate: 0.75, p50Ms: 2000, p95Ms: 4000 },
      allowed: { run: false, readLogs: false },
    });
    const asAdmin = await baton.request('GET', '/api/v1/jobs/ops/restart-web');
    expect(asAdmin.json().job.allowed).toEqual({ run: true, readLogs: true });
  });

  it('filters executions by user, time and states, paging through only what the caller may view', async () => {
    await baton.db.deleteFrom('executions').execute();
    const base = Date.parse('2030-01-01T00:00:00Z');
    const inserted: { id: number; job: string; user: string; state: ExecutionState; queuedAt: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const row = {
        job: ['ops/restart-web', 'db/restart-primary', 'ops/rotate-certs'][i % 3]!,
        user: i % 4 === 0 ? 'carol' : 'bob',
        state: (['succeeded', 'failed', 'timed_out', 'queued', 'cancelled'] as const)[i % 5]!,
        queuedAt: base + i * MINUTE,
      };
      inserted.push({ ...row, id: await insert(row.job, row.state, { queuedAt: row.queuedAt }, row.user) });
    }
    const since = base + 5 * MINUTE;
    const until = base + 35 * MINUTE;
    const expected = inserted
      .filter(
        (row) =>
          row.job.startsWith('ops/') &&
          row.user === 'bob' &&
          ['failed', 'timed_out', 'succeeded'].includes(row.state) &&
          row.queuedAt >= since &&
          row.queuedAt < until,
      )
      .map((row) => row.id)
      .reverse();
    expect(expected.length).toBeGreaterThan(4);

    const seen: number[] = [];
    let before: number | null = null;
    for (let page = 0; page < 20; page++) {
      const query = new URLSearchParams({
        user: 'bob',
        states: 'failed,timed_out',
        state: 'succeeded',
        since: new Date(since).toISOString(),
        until: new Date(until).toISOString(),
        limit: '2',
        ...(before === null ? {} : { before: String(before) }),
      });
      const response = await baton.request('GET', `/api/v1/executions?${query}`, undefined, alice);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { executions: { id: number }[]; next: number | null };
      expect(body.executions.length).toBeLessThanOrEqual(2);
      seen.push(...body.executions.map((execution) => execution.id));
      before = body.next;
      if (before === null) break;
    }
    expect(before).toBeNull();
    expect(seen).toEqual(expected);

    // A duration means that long ago: everything here was queued in 2030.
    const recent = await baton.request('GET', '/api/v1/executions?since=1h&until=2029-12-31T00:00:00Z');
    expect(recent.json().executions).toEqual([]);
  });

  it('refuses a wrong state or time with the querystring field that was wrong', async () => {
    const state = await baton.request('GET', '/api/v1/executions?states=failed,exploded');
    expect(state.statusCode).toBe(400);
    expect(state.json().error.problems[0]).toMatchObject({ path: 'querystring.states[1]' });
    expect(state.json().error.problems[0].message).toContain('succeeded');
    const since = await baton.request('GET', '/api/v1/executions?since=yesterday');
    expect(since.statusCode).toBe(400);
    expect(since.json().error.problems[0].path).toBe('querystring.since');
  });
});
