/**
 * The usage API end to end on both databases: executions with known states and times are
 * inserted directly, then read back through HTTP by callers who may see all or part of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** 2025-03-01T00:00:00Z; the window under test is three days from here. */
const D0 = Date.UTC(2025, 2, 1);
const WINDOW = 'since=2025-03-01T00:00:00Z&until=2025-03-04T00:00:00Z';

const DOCUMENTS = `
apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [alice]}
---
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [bob]}
---
apiVersion: baton/v1
kind: Project
metadata: {name: shop}
spec: {owner: payments}
---
apiVersion: baton/v1
kind: Project
metadata: {name: ops}
spec: {owner: sre}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: dave-sees-shop}
spec:
  rules:
    - {subjects: [user/dave], actions: [view], resources: ["job/shop/*"], effect: allow}
`;

interface Row {
  job: string;
  user: string;
  state: string;
  queuedAt: number;
  /** Run time in ms; undefined for an execution that never started. */
  ranFor?: number;
  /** Still running: started, not finished. */
  unfinished?: boolean;
  manualMinutes?: number;
}

/** Every execution starts a minute after it was queued. */
const ROWS: Row[] = [
  { job: 'shop/deploy', user: 'alice', state: 'succeeded', queuedAt: D0 - HOUR, ranFor: MINUTE },
  {
    job: 'shop/deploy',
    user: 'alice',
    state: 'succeeded',
    queuedAt: D0 + HOUR,
    ranFor: 10 * MINUTE,
    manualMinutes: 30,
  },
  {
    job: 'shop/deploy',
    user: 'alice',
    state: 'succeeded',
    queuedAt: D0 + 2 * HOUR,
    ranFor: 20 * MINUTE,
    manualMinutes: 30,
  },
  {
    job: 'shop/deploy',
    user: 'bob',
    state: 'failed',
    queuedAt: D0 + DAY + HOUR,
    ranFor: 5 * MINUTE,
    manualMinutes: 30,
  },
  {
    job: 'shop/deploy',
    user: 'carol',
    state: 'timed_out',
    queuedAt: D0 + DAY + 2 * HOUR,
    ranFor: 40 * MINUTE,
  },
  { job: 'shop/refund', user: 'alice', state: 'cancelled', queuedAt: D0 + DAY + 3 * HOUR },
  { job: 'ops/restart', user: 'bob', state: 'succeeded', queuedAt: D0 + 2 * DAY + HOUR, ranFor: MINUTE },
  {
    job: 'ops/restart',
    user: 'alice',
    state: 'succeeded',
    queuedAt: D0 + 2 * DAY + 2 * HOUR,
    ranFor: 3 * MINUTE,
    manualMinutes: 5,
  },
  { job: 'ops/restart', user: 'carol', state: 'rejected', queuedAt: D0 + 2 * DAY + 3 * HOUR },
  { job: 'ops/restart', user: 'bob', state: 'running', queuedAt: D0 + 2 * DAY + 4 * HOUR, unfinished: true },
  // `until` is exclusive.
  { job: 'ops/restart', user: 'bob', state: 'succeeded', queuedAt: D0 + 3 * DAY, ranFor: MINUTE },
];

describe.each(DIALECTS)('usage statistics on %s', (dialect) => {
  let baton: TestBaton;
  let dave: Record<string, string>;
  let nobody: Record<string, string>;
  const ids: number[] = [];

  beforeAll(async () => {
    // The rows are from 2025, long past the default retention (30 days): the retention duty, which
    // runs a second after start and then every minute, would delete them whenever it ran after the
    // inserts below (on a loaded machine it did, and the counts came out short).
    baton = await startTestBaton(dialect, { embeddedWorker: false, retentionMs: 100 * 365 * DAY });
    for (const name of ['alice', 'bob', 'carol']) await baton.addUser(name);
    dave = (await baton.addUser('dave')).headers;
    nobody = (await baton.addUser('nobody')).headers;
    await baton.applyYaml(DOCUMENTS);
    for (const row of ROWS) {
      const [project, job] = row.job.split('/') as [string, string];
      const startedAt = row.ranFor !== undefined || row.unfinished ? row.queuedAt + MINUTE : null;
      const finishedAt =
        row.unfinished === true
          ? null
          : (startedAt ?? row.queuedAt) + (row.ranFor ?? 0) + (startedAt ? 0 : MINUTE);
      const spec = {
        steps: [{ name: 'main', script: 'true' }],
        ...(row.manualMinutes !== undefined && { manualMinutes: row.manualMinutes }),
      };
      const { id } = await baton.db
        .insertInto('executions')
        .values({
          project,
          job_name: job,
          job_revision: 1,
          spec: JSON.stringify(spec),
          options: '{}',
          requested_by: row.user,
          state: row.state,
          queued_at: row.queuedAt,
          run_after: row.queuedAt,
          started_at: startedAt,
          finished_at: finishedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(id);
    }
  });
  afterAll(() => baton.stop());

  const usage = async (query: string, headers?: Record<string, string>) => {
    const response = await baton.request('GET', `/api/v1/usage?${query}`, undefined, headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  it('counts every section exactly over the window, for a caller who may see everything', async () => {
    const report = await usage(WINDOW);
    expect(report.window).toEqual({ since: '2025-03-01T00:00:00.000Z', until: '2025-03-04T00:00:00.000Z' });
    expect(report.truncated).toBe(false);
    expect(report.days).toEqual([
      { day: '2025-03-01', executions: 2, succeeded: 2, failed: 0, other: 0 },
      { day: '2025-03-02', executions: 3, succeeded: 0, failed: 2, other: 1 },
      { day: '2025-03-03', executions: 4, succeeded: 2, failed: 0, other: 1 },
    ]);
    expect(report.byJob).toEqual([
      {
        project: 'ops',
        job: 'restart',
        executions: 4,
        succeeded: 2,
        failed: 0,
        other: 1,
        successRate: 1,
        durationMs: { p50: MINUTE, p95: 3 * MINUTE, max: 3 * MINUTE },
        lastExecution: { id: ids[9], state: 'running', finishedAt: null },
      },
      {
        project: 'shop',
        job: 'deploy',
        executions: 4,
        succeeded: 2,
        failed: 2,
        other: 0,
        successRate: 0.5,
        durationMs: { p50: 10 * MINUTE, p95: 40 * MINUTE, max: 40 * MINUTE },
        lastExecution: {
          id: ids[4],
          state: 'timed_out',
          finishedAt: new Date(D0 + DAY + 2 * HOUR + 41 * MINUTE).toISOString(),
        },
      },
      {
        project: 'shop',
        job: 'refund',
        executions: 1,
        succeeded: 0,
        failed: 0,
        other: 1,
        successRate: null,
        durationMs: null,
        lastExecution: {
          id: ids[5],
          state: 'cancelled',
          finishedAt: new Date(D0 + DAY + 3 * HOUR + MINUTE).toISOString(),
        },
      },
    ]);
    expect(report.byUser).toEqual([
      { user: 'alice', executions: 4, successRate: 1, onBehalfOf: ['payments', 'sre'] },
      { user: 'bob', executions: 3, successRate: 0.5, onBehalfOf: ['payments', 'sre'] },
      { user: 'carol', executions: 2, successRate: 0, onBehalfOf: ['payments', 'sre'] },
    ]);
    expect(report.byTeam).toEqual([
      {
        team: 'payments',
        executions: 4,
        successRate: 1,
        days: [
          { day: '2025-03-01', executions: 2 },
          { day: '2025-03-02', executions: 1 },
          { day: '2025-03-03', executions: 1 },
        ],
      },
      {
        team: 'sre',
        executions: 3,
        successRate: 0.5,
        days: [
          { day: '2025-03-02', executions: 1 },
          { day: '2025-03-03', executions: 2 },
        ],
      },
      {
        team: '(no team)',
        executions: 2,
        successRate: 0,
        days: [
          { day: '2025-03-02', executions: 1 },
          { day: '2025-03-03', executions: 1 },
        ],
      },
    ]);
  });

  it('reports time saved from the manualMinutes of each succeeded execution’s spec snapshot', async () => {
    const report = await usage(WINDOW);
    // shop/deploy: (30 - 10) + (30 - 20); the failed run saves nothing. ops/restart: 5 - 3.
    expect(report.timeSaved).toEqual({
      totalMinutes: 32,
      byJob: [
        { project: 'shop', job: 'deploy', executions: 2, manualMinutes: 60, runMinutes: 30, minutes: 30 },
        { project: 'ops', job: 'restart', executions: 1, manualMinutes: 5, runMinutes: 3, minutes: 2 },
      ],
    });
  });

  it('shows a caller allowed one project only that project’s numbers', async () => {
    const report = await usage(WINDOW, dave);
    expect(report.days).toEqual([
      { day: '2025-03-01', executions: 2, succeeded: 2, failed: 0, other: 0 },
      { day: '2025-03-02', executions: 3, succeeded: 0, failed: 2, other: 1 },
    ]);
    expect(report.byJob.map((job: { job: string }) => job.job)).toEqual(['deploy', 'refund']);
    expect(report.byUser).toEqual([
      { user: 'alice', executions: 3, successRate: 1, onBehalfOf: ['payments'] },
      { user: 'bob', executions: 1, successRate: 0, onBehalfOf: ['payments'] },
      { user: 'carol', executions: 1, successRate: 0, onBehalfOf: ['payments'] },
    ]);
    expect(
      report.byTeam.map((team: { team: string; executions: number }) => [team.team, team.executions]),
    ).toEqual([
      ['payments', 3],
      ['(no team)', 1],
      ['sre', 1],
    ]);
    expect(report.timeSaved.totalMinutes).toBe(30);
  });

  it('shows a caller without permissions empty sections', async () => {
    const report = await usage(WINDOW, nobody);
    expect(report).toMatchObject({
      days: [],
      byJob: [],
      byUser: [],
      byTeam: [],
      timeSaved: { totalMinutes: 0, byJob: [] },
    });
  });

  it('narrows to a project, a job or the requesters of a team', async () => {
    const ops = await usage(`${WINDOW}&project=ops`);
    expect(ops.byJob.map((job: { job: string }) => job.job)).toEqual(['restart']);
    const deploy = await usage(`${WINDOW}&job=shop/deploy`);
    expect(deploy.days.map((day: { executions: number }) => day.executions)).toEqual([2, 2]);
    expect(deploy.byJob.map((job: { job: string }) => job.job)).toEqual(['deploy']);
    const sre = await usage(`${WINDOW}&team=sre`);
    expect(sre.byUser.map((user: { user: string }) => user.user)).toEqual(['bob']);
    expect(sre.byTeam).toEqual([
      {
        team: 'sre',
        executions: 3,
        successRate: 0.5,
        days: [
          { day: '2025-03-02', executions: 1 },
          { day: '2025-03-03', executions: 2 },
        ],
      },
    ]);
  });

  it('defaults to the last 30 days', async () => {
    const report = await usage('');
    expect(Date.parse(report.window.until) - Date.parse(report.window.since)).toBe(30 * DAY);
    expect(report.days).toEqual([]);
  });

  it('refuses a bad time, an inverted window and one longer than 400 days, naming the field', async () => {
    const refusal = async (query: string) => {
      const response = await baton.request('GET', `/api/v1/usage?${query}`);
      expect(response.statusCode).toBe(400);
      return response.json().error.problems[0].path;
    };
    expect(await refusal('since=last-week')).toBe('querystring.since');
    expect(await refusal('since=2025-03-02T00:00:00Z&until=2025-03-01T00:00:00Z')).toBe('querystring.until');
    expect(await refusal('since=2023-01-01T00:00:00Z&until=2025-01-01T00:00:00Z')).toBe('querystring.since');
    expect(await refusal('job=deploy')).toBe('querystring.job');
  });
});
