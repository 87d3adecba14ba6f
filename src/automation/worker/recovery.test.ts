/**
 * Scale-out mechanisms in one process, on both databases: worker groups, recovery of a lost
 * worker's executions (re-queued or failed), a worker that notices it lost its lease,
 * once-only duties, and retention.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { eventually } from '../../../test/eventually.js';
import { Duties } from '../../platform/duties.js';
import { silentLogger } from '../../platform/logging.js';
import { Metrics } from '../../platform/metrics.js';
import { createWorker } from '../../runtime.js';
import { retentionDuty } from '../executions/retention.js';
import { listSteps, requeueExecution } from '../executions/store.js';
import { processStartTime } from '../runner/orphans.js';

/** Live (non-zombie) processes whose session id is `sid`. */
function sessionMembers(sid: number): number[] {
  const members: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid && fields[0] !== 'Z') members.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function job(name: string, spec: string, project = 'scale'): string {
  return `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: ${project}}
spec:
${spec.replace(/^/gm, '  ')}
`;
}

describe.each(DIALECTS)('scale-out mechanisms on %s', (dialect) => {
  let baton: TestBaton;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { workerConcurrency: 4, leaseMs: 1500 });
  });
  afterAll(async () => baton?.stop());

  it('keeps a job that needs a worker group waiting, says why, and runs it once such a worker starts', async () => {
    await baton.applyYaml(
      job('grouped', `workerGroup: linux-prod\nsteps: [{name: s, script: echo on the right worker}]`),
    );
    const execution = await baton.run('scale/grouped');
    const waiting = (await baton.request('GET', `/api/v1/executions/${execution.id}`)).json().execution;
    expect(waiting).toMatchObject({ state: 'queued', workerGroup: 'linux-prod' });
    expect(waiting.waitingFor).toContain('no live worker serves group "linux-prod"');

    const grouped = createWorker(baton, {
      name: 'grouped-worker',
      concurrency: 1,
      groups: ['linux-prod'],
      embedded: false,
    });
    await grouped.start();
    try {
      baton.events.publish('queue');
      expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
      const workers = (await baton.request('GET', '/api/v1/workers')).json().workers;
      expect(workers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'grouped-worker', groups: ['linux-prod'], state: 'alive' }),
        ]),
      );
    } finally {
      await grouped.stop();
    }
    const stopped = (await baton.request('GET', '/api/v1/workers')).json().workers;
    expect(stopped.find((worker: { name: string }) => worker.name === 'grouped-worker').state).toBe(
      'stopped',
    );
  });

  it("re-queues a lost worker's execution when the job allows it, and fails it with the reason otherwise", async () => {
    // No worker serves the group, so nothing but recovery touches these executions.
    await baton.applyYaml(
      `${job('resumable', `workerGroup: unserved\nretryOnWorkerLoss: true\nsteps: [{name: s, script: echo ran}]`)}---\n${job(
        'fragile',
        `workerGroup: unserved\nsteps: [{name: s, script: echo ran}]`,
      )}`,
    );
    const ids: number[] = [];
    for (const name of ['resumable', 'fragile']) {
      // A worker claimed it, started its step and died: running, with a lease in the past.
      const execution = await baton.run(`scale/${name}`);
      ids.push(execution.id);
      await baton.db
        .updateTable('executions')
        .set({
          state: 'running',
          lease_owner: 'dead-worker',
          lease_expires_at: Date.now() - 1,
          started_at: Date.now(),
        })
        .where('id', '=', execution.id)
        .execute();
      await baton.db
        .updateTable('execution_steps')
        .set({ state: 'running', started_at: Date.now() })
        .where('execution_id', '=', execution.id)
        .execute();
    }
    const [resumableId, fragileId] = ids as [number, number];
    const failed = await baton.waitFor(fragileId);
    expect(failed).toMatchObject({ state: 'failed', reason: 'worker lost: its lease expired' });
    expect((await listSteps(baton.db, fragileId)).map((step) => step.state)).toEqual(['failed']);

    const requeued = (await baton.request('GET', `/api/v1/executions/${resumableId}`)).json().execution;
    expect(requeued).toMatchObject({ state: 'queued', reason: 're-queued: worker lost: its lease expired' });
    expect(requeued.steps.map((step: { state: string }) => step.state)).toEqual(['pending']);
  });

  it('leaves an execution to its worker when the lease was renewed after recovery read it as expired', async () => {
    await baton.applyYaml(
      job('renewed', `workerGroup: unserved\nretryOnWorkerLoss: true\nsteps: [{name: s, script: echo ran}]`),
    );
    const execution = await baton.run('scale/renewed');
    const claimedAt = Date.now();
    // Recovery read this lease as expired; its worker renewed it before the re-queue was written.
    await baton.db
      .updateTable('executions')
      .set({
        state: 'running',
        lease_owner: 'slow-worker',
        lease_expires_at: claimedAt + 60_000,
        started_at: claimedAt,
      })
      .where('id', '=', execution.id)
      .execute();
    const lease = { owner: 'slow-worker', claimedAt };
    const requeued = await requeueExecution(baton.db, execution.id, lease, 're-queued: lost', claimedAt + 1, {
      onlyIfExpired: true,
    });
    expect(requeued).toBe(false);
    const row = await baton.db
      .selectFrom('executions')
      .select(['state', 'lease_owner'])
      .where('id', '=', execution.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'running', lease_owner: 'slow-worker' });
    // Once the lease really is past due, the same call takes the execution back.
    expect(
      await requeueExecution(baton.db, execution.id, lease, 're-queued: lost', claimedAt + 60_001, {
        onlyIfExpired: true,
      }),
    ).toBe(true);
  });

  it('stops running an execution whose lease it lost, and records nothing for it', async () => {
    await baton.applyYaml(job('long', `steps: [{name: s, script: 'echo started; sleep 60'}]`));
    const execution = await baton.run('scale/long');
    await baton.waitFor(execution.id, 'running');
    // Another process recovered it while this worker could not reach the database.
    await baton.db
      .updateTable('executions')
      .set({
        state: 'failed',
        reason: 'worker lost: its lease expired',
        lease_owner: null,
        finished_at: Date.now(),
      })
      .where('id', '=', execution.id)
      .execute();
    await eventually(`the worker to let execution ${execution.id} go`, async () =>
      baton.worker!.running.includes(execution.id) ? undefined : true,
    );
    const after = (await baton.request('GET', `/api/v1/executions/${execution.id}`)).json().execution;
    expect(after).toMatchObject({ state: 'failed', reason: 'worker lost: its lease expired' });
  });

  it('ends the process tree that a dead worker on this host left behind', async () => {
    await baton.applyYaml(job('orphaned', `workerGroup: unserved\nsteps: [{name: s, script: 'sleep 300'}]`));
    const execution = await baton.run('scale/orphaned');
    // What a worker killed with -9 leaves: a step process in a session of its own, still recorded.
    // detached: a session of its own whose id is the bash's pid, as Baton starts every step.
    const tree = spawn('bash', ['-c', 'sleep 300 & sleep 300'], { detached: true, stdio: 'ignore' });
    tree.unref();
    const members = await eventually(
      'bash and its two sleeps in their session',
      async () => {
        const found = sessionMembers(tree.pid!);
        return found.length >= 3 ? found : undefined;
      },
      30_000,
      50,
    );
    const leader = tree.pid!;
    expect(members).toHaveLength(3);
    const startTime = (await processStartTime(leader))!;
    await baton.db
      .updateTable('executions')
      .set({ state: 'failed', reason: 'worker lost: its lease expired', finished_at: Date.now() })
      .where('id', '=', execution.id)
      .execute();
    await baton.db
      .updateTable('execution_steps')
      .set({ host: os.hostname(), pid: leader, pid_start_time: startTime })
      .where('execution_id', '=', execution.id)
      .execute();
    const sweeper = createWorker(baton, { name: 'sweeper', concurrency: 1, embedded: false });
    await sweeper.start();
    await sweeper.stop();
    await eventually(
      'the left-behind session to be gone',
      async () => (sessionMembers(leader).length === 0 ? true : undefined),
      30_000,
      50,
    );
    const step = await baton.db
      .selectFrom('execution_steps')
      .select(['pid'])
      .where('execution_id', '=', execution.id)
      .executeTakeFirstOrThrow();
    expect(step.pid).toBeNull();
  });

  it('runs once-only duties in exactly one of several processes, and hands them over on stop', async () => {
    const runs: string[] = [];
    const make = (owner: string) => {
      const duties = new Duties({
        db: baton.db,
        owner,
        logger: silentLogger,
        metrics: new Metrics(),
        tickMs: 50,
      });
      duties.add({ name: 'count', everyMs: 0, run: async () => void runs.push(owner) });
      return duties;
    };
    // This test's server holds the maintenance lease; step it aside for the two contenders.
    await baton.duties.stop();
    const contenders = { a: make('a'), b: make('b') };
    contenders.a.start();
    contenders.b.start();
    try {
      // Five runs: the other contender ticked meanwhile too (both tick every 50 ms), and was refused.
      await eventually(
        'the duty to run five times',
        async () => (runs.length >= 5 ? true : undefined),
        30_000,
        50,
      );
      const holders = new Set(runs);
      expect(holders.size).toBe(1);
      const holder = [...holders][0] as 'a' | 'b';
      const other = holder === 'a' ? 'b' : 'a';
      // Counted once stop() returned: a tick in flight when it was called still finishes its run.
      await contenders[holder].stop();
      const before = runs.length;
      await eventually(
        `contender ${other} to take the duty over`,
        async () => (runs.slice(before).includes(other) ? true : undefined),
        30_000,
        50,
      );
      expect(runs.slice(before).filter((owner) => owner === holder)).toEqual([]);
    } finally {
      await contenders.a.stop();
      await contenders.b.stop();
      baton.duties.start();
    }
  });

  it('deletes old executions and their logs in batches, honouring a project retention', async () => {
    await baton.applyYaml(
      `apiVersion: baton/v1
kind: Project
metadata: {name: short-lived, description: keeps a day}
spec: {retention: 1d}
---
${job('kept', `steps: [{name: s, script: echo kept}]`)}---
${job('brief', `steps: [{name: s, script: echo brief}]`, 'short-lived')}`,
    );
    const kept = await baton.waitFor((await baton.run('scale/kept')).id);
    const brief = await baton.waitFor((await baton.run('short-lived/brief')).id);
    // Both finished two days ago: past the project's 1 day, within the global 30 days.
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await baton.db
      .updateTable('executions')
      .set({ finished_at: twoDaysAgo })
      .where('id', 'in', [kept.id, brief.id])
      .execute();
    const metrics = new Metrics();
    await retentionDuty({ db: baton.db, metrics }, { defaultMs: 30 * 86_400_000 }).run(Date.now());
    const remaining = await baton.db
      .selectFrom('executions')
      .select('id')
      .where('id', 'in', [kept.id, brief.id])
      .execute();
    expect(remaining.map((row) => row.id)).toEqual([kept.id]);
    const chunks = await baton.db
      .selectFrom('log_chunks')
      .select('execution_id')
      .where('execution_id', '=', brief.id)
      .execute();
    expect(chunks).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/baton_retention_deleted_total\{kind="executions"\} 1/);
    expect(text).toMatch(/baton_retention_deleted_total\{kind="log_chunks"\} [1-9]/);
    expect(
      (
        await baton.apply.apply(
          {
            files: [
              {
                name: 'p.yaml',
                content:
                  'apiVersion: baton/v1\nkind: Project\nmetadata: {name: short-lived, description: keeps a day}\nspec: {retention: 1d}\n',
              },
            ],
          },
          admin,
        )
      )[0]!.action,
    ).toBe('unchanged');
  });
});
