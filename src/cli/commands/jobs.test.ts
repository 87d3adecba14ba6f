/**
 * `baton jobs` and `baton executions` filters as users run them: the compiled CLI in a child
 * process against a real Baton (SQLite). The catalog shows each job's last execution and
 * success rate; the history narrows by user, time and several states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';
import { admin } from '../../../test/baton.js';
import type { ExecutionState } from '../../automation/executions/model.js';

let server: CliServer;
let ids: Record<string, number>;

const JOBS = ['restart-web', 'rotate-certs', 'disk-report']
  .map(
    (name) => `---
apiVersion: baton/v1
kind: Job
metadata:
  name: ${name}
  project: ops
  description: ${name === 'disk-report' ? 'How full the disks are' : `Does ${name}`}
  labels: {team: ${name === 'disk-report' ? 'storage' : 'web'}, risk: ${name === 'rotate-certs' ? 'low' : 'high'}}
spec:
  steps: [{name: main, script: "echo ${name}"}]
`,
  )
  .join('');

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
  await server.baton.apply.apply({ files: [{ name: 'jobs.yaml', content: JOBS }] }, admin);
  const now = Date.now();
  const insert = async (job: string, state: ExecutionState, user: string, agoMinutes: number) => {
    const at = now - agoMinutes * 60_000;
    const row = await server.baton.db
      .insertInto('executions')
      .values({
        project: 'ops',
        job_name: job,
        job_revision: 1,
        spec: '{}',
        options: '{}',
        requested_by: user,
        state,
        queued_at: at - 1000,
        run_after: at - 1000,
        started_at: at - 1000,
        finished_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };
  ids = {
    old: await insert('restart-web', 'failed', 'bob', 3 * 24 * 60),
    first: await insert('restart-web', 'succeeded', 'bob', 90),
    second: await insert('restart-web', 'failed', 'carol', 60),
    third: await insert('restart-web', 'succeeded', 'bob', 30),
    timedOut: await insert('rotate-certs', 'timed_out', 'bob', 10),
  };
});

afterAll(async () => {
  await server?.stop();
});

describe('baton jobs', () => {
  it('shows the last execution and the success rate of each job', async () => {
    const result = await server.cli(['jobs']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PROJECT\/NAME\s+DESCRIPTION\s+OPTIONS\s+REVISION\s+LAST\s+SUCCESS$/);
    // restart-web: 2 of the 4 finished in the last 30 days succeeded; the newest, 30 minutes ago.
    expect(result.stdout).toMatch(
      /^ops\/restart-web\s+Does restart-web\s+1\s+succeeded 30m\d\ds ago\s+50%$/m,
    );
    expect(result.stdout).toMatch(/^ops\/rotate-certs\s+.*timed_out 10m\d\ds ago\s+0%$/m);
    expect(result.stdout).toMatch(/^ops\/disk-report\s+How full the disks are\s+1\s+-$/m);
  });

  it('narrows the list with --search, repeated --label and --service', async () => {
    const listed = async (args: string[]) => {
      const result = await server.cli(['jobs', '--output', 'json', ...args]);
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { jobs: { name: string }[] }).jobs.map((job) => job.name);
    };
    expect(await listed(['--search', 'DISKS'])).toEqual(['disk-report']);
    expect(await listed(['--label', 'team=web', '--label', 'risk=low'])).toEqual(['rotate-certs']);
    expect(await listed(['--label', 'team=web'])).toEqual(['restart-web', 'rotate-certs']);
    expect(await listed(['--service', 'web'])).toEqual([]);
    const none = await server.cli(['jobs', '--search', 'nothing-like-this']);
    expect(none).toMatchObject({ code: 0, stderr: 'no jobs found\n' });
  });

  it('refuses a --label that is not key=value before asking the server', async () => {
    const result = await server.cli(['jobs', '--label', 'team']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected name=value');
  });
});

describe('baton executions', () => {
  const listed = async (args: string[]) => {
    const result = await server.cli(['executions', '--output', 'json', ...args]);
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { executions: { id: number }[] }).executions.map((e) => e.id);
  };

  it('filters by --user, --since as an age or an ISO time, and a comma list of --state', async () => {
    expect(await listed(['--user', 'bob'])).toEqual([ids.timedOut, ids.third, ids.first, ids.old]);
    expect(await listed(['--user', 'bob', '--since', '1d'])).toEqual([ids.timedOut, ids.third, ids.first]);
    expect(await listed(['--state', 'failed,timed_out'])).toEqual([ids.timedOut, ids.second, ids.old]);
    expect(await listed(['--state', 'succeeded', '--user', 'bob', '--since', '45m'])).toEqual([ids.third]);
    const iso = new Date(Date.now() - 75 * 60_000).toISOString();
    expect(await listed(['--since', iso, '--user', 'bob'])).toEqual([ids.timedOut, ids.third]);
  });

  it('reports a wrong --state or --since with the field and exit code 2', async () => {
    const state = await server.cli(['executions', '--state', 'failed,exploded']);
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('states');
    const since = await server.cli(['executions', '--since', 'last tuesday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('since');
  });
});
