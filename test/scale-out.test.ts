/**
 * Baton scaled out, as operators run it: several `baton server` and `baton worker` processes on
 * one PostgreSQL database, hurt the ways production hurts them (kill -9, SIGTERM, connections
 * terminated under them). What must hold: every execution ends in exactly one terminal state, a
 * step that may run only once runs at most once, no stored log line goes missing, once-only
 * duties run in one process at a time, and logs stream across processes.
 */
import type { WorkerView } from '../src/contract/workers.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBaton, Cluster, eventually, type BuiltBaton, type ServerProcess } from './processes.js';

let built: BuiltBaton;
const clusters: Cluster[] = [];

beforeAll(async () => {
  built = await buildBaton();
}, 120_000);

afterEach(async (context) => {
  const all = clusters.splice(0);
  if (context.task.result?.state === 'fail') {
    for (const process_ of all.flatMap((cluster) => cluster.processes)) {
      console.error(`--- ${process_.label} (pid ${process_.pid}) ---\n${process_.output.slice(-4000)}`);
    }
  }
  await Promise.all(all.map((cluster) => cluster.stop()));
}, 60_000);

afterAll(async () => {
  await built?.remove();
});

async function newCluster(): Promise<Cluster> {
  const cluster = await Cluster.create(built);
  clusters.push(cluster);
  return cluster;
}

interface LogLine {
  n: number;
  t: number;
  s: 'stdout' | 'stderr' | 'system';
  text: string;
}

interface ExecutionRow {
  id: number;
  job_name: string;
  state: string;
  reason: string | null;
  lease_owner: string | null;
  log_lines: number;
  finished_at: number | null;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** Executions of the cluster, straight from the database. */
async function executions(cluster: Cluster, ids?: number[]): Promise<ExecutionRow[]> {
  return cluster.query<ExecutionRow>(
    `SELECT id, job_name, state, reason, lease_owner, log_lines, finished_at FROM executions
      ${ids ? 'WHERE id = ANY($1)' : ''} ORDER BY id`,
    ids ? [ids] : [],
  );
}

/** Waits until none of the cluster's executions is queued or running; returns them all. */
async function allTerminal(cluster: Cluster, timeoutMs: number): Promise<ExecutionRow[]> {
  return eventually(
    'every execution to reach a terminal state',
    async () => {
      const rows = await executions(cluster);
      return rows.every((row) => TERMINAL.includes(row.state)) ? rows : undefined;
    },
    timeoutMs,
    500,
  );
}

/** How many times each execution id was appended to a file. */
async function appendCounts(file: string): Promise<Map<number, number>> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const counts = new Map<number, number>();
  for (const line of text.split('\n').filter(Boolean)) {
    const id = Number(line);
    expect(Number.isInteger(id), `a whole line in the append file: ${JSON.stringify(line)}`).toBe(true);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The whole stored log of an execution through a server's API. */
async function readLog(cluster: Cluster, server: ServerProcess, id: number): Promise<LogLine[]> {
  const response = await cluster.request<{ lines: LogLine[]; complete: boolean }>(
    server,
    'GET',
    `/api/v1/executions/${id}/log?limit=10000`,
  );
  expect(response.status).toBe(200);
  expect(response.body.complete, `log of execution ${id} complete`).toBe(true);
  return response.body.lines;
}

/** Checks a finished execution's log: numbered 0..n-1 without gaps, as many lines as recorded. */
function expectWholeLog(row: ExecutionRow, lines: LogLine[], step: string): void {
  const where = `log of execution ${row.id}`;
  expect(
    lines.map((line) => line.n),
    where,
  ).toEqual(lines.map((_, index) => index));
  expect(lines.length, where).toBe(row.log_lines);
  const texts = lines.map((line) => line.text);
  expect(texts, where).toContainEqual(
    expect.stringMatching(new RegExp(`^\\[baton\\] step 1/1 "${step}" started$`)),
  );
  expect(texts, where).toContainEqual(
    expect.stringMatching(new RegExp(`^\\[baton\\] step "${step}" succeeded`)),
  );
  expect(texts.at(-1), where).toBe('[baton] execution succeeded');
}

/** Runs `task` over `items` with at most `limit` at a time. */
async function inParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

async function workers(cluster: Cluster, server: ServerProcess): Promise<WorkerView[]> {
  const response = await cluster.request<{ workers: WorkerView[] }>(server, 'GET', '/api/v1/workers');
  expect(response.status).toBe(200);
  return response.body.workers;
}

/** The name of the worker embedded in a server process. */
async function embeddedWorkerName(cluster: Cluster, server: ServerProcess): Promise<string> {
  const [row] = await cluster.query<{ name: string }>(
    'SELECT name FROM workers WHERE pid = $1 AND embedded = 1',
    [server.pid],
  );
  expect(row, `the embedded worker of ${server.label}`).toBeDefined();
  return row!.name;
}

/** Waits until the execution is running on `worker` with its step process started. */
async function runningOn(cluster: Cluster, id: number, worker: string): Promise<void> {
  await eventually(`execution ${id} running on ${worker}`, async () => {
    const rows = await cluster.query(
      `SELECT 1 FROM executions e JOIN execution_steps s ON s.execution_id = e.id
        WHERE e.id = $1 AND e.state = 'running' AND e.lease_owner = $2 AND s.state = 'running'`,
      [id, worker],
    );
    return rows.length > 0 ? true : undefined;
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

describe('scale-out: real servers and workers on PostgreSQL', () => {
  it('1,000 executions over 2 servers and 3 workers, with kill -9 of a worker and a server mid-run: each ends once, at most once per step, no log line lost', async () => {
    const cluster = await newCluster();
    const env = { BATON_LEASE: '3s', BATON_DRAIN_TIMEOUT: '1s', BATON_LOG_LEVEL: 'warn' };
    const first = await cluster.startServer({ concurrency: 4, env });
    const second = await cluster.startServer({ concurrency: 4, env });
    const [victim, ...survivors] = await Promise.all(
      [1, 2, 3].map((index) =>
        cluster.startWorker({ name: `chaos-${index}-${cluster.tag}`, concurrency: 4, env }),
      ),
    );
    const file = path.join(cluster.dir, 'appended.txt');
    // Each step sleeps long enough that 20 worker slots drain the queue (about 20 per second)
    // more slowly than the servers take requests, so a backlog is still there when the test
    // looks for victims to kill; with shorter steps a loaded machine can run everything first.
    const script = [
      '#!/usr/bin/env bash',
      'echo "$BATON_EXECUTION_ID" >> "$OUT"',
      'echo "appended $BATON_EXECUTION_ID"',
      'sleep 1',
    ].join('\n');
    const spec = { env: { OUT: file }, steps: [{ name: 'append', script }] };
    await cluster.apply(
      first,
      cluster.jobDocument('once', spec),
      cluster.jobDocument('again', { ...spec, retryOnWorkerLoss: true }),
    );

    // Queued through both servers' APIs, alternating; half the executions may run again when
    // their worker is lost (retryOnWorkerLoss), half may not.
    const servers = [first, second];
    const ids = await inParallel(
      Array.from({ length: 1000 }, (_, index) => index),
      16,
      (index) => cluster.run(servers[index % 2]!, Math.floor(index / 2) % 2 ? 'again' : 'once'),
    );
    expect(new Set(ids).size).toBe(1000);

    // Mid-run: once some have finished, and while both victims hold executions that may not
    // run twice, kill -9 one worker and one server (whose embedded worker runs executions too).
    const embedded = await embeddedWorkerName(cluster, second);
    const victims = [victim!.name, embedded];
    let seen = 'nothing yet';
    const held = await eventually(
      'progress, and both victims running executions of the once-only job',
      async () => {
        const states = await cluster.query<{ state: string; lease_owner: string | null; count: string }>(
          `SELECT state, lease_owner, count(*) FROM executions GROUP BY state, lease_owner`,
        );
        seen = states.map((row) => `${row.state}@${row.lease_owner ?? '-'}=${row.count}`).join(' ');
        const [done] = await cluster.query<{ count: string }>(
          `SELECT count(*) FROM executions WHERE state NOT IN ('queued', 'running')`,
        );
        if (Number(done?.count) < 100) return undefined;
        const rows = await cluster.query<{ id: number; lease_owner: string; job_name: string }>(
          `SELECT id, lease_owner, job_name FROM executions WHERE state = 'running' AND lease_owner = ANY($1)`,
          [victims],
        );
        const busy = victims.every((name) =>
          rows.some((row) => row.lease_owner === name && row.job_name === 'once'),
        );
        return busy ? rows : undefined;
      },
      60_000,
      50,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last seen: ${seen}`);
    });
    victim!.signal('SIGKILL');
    second.signal('SIGKILL');
    await Promise.all([victim!.exited, second.exited]);

    const rows = await allTerminal(cluster, 150_000);
    expect(rows.map((row) => row.id)).toEqual([...ids].sort((a, b) => a - b));
    const byState = new Map<string, ExecutionRow[]>();
    for (const row of rows) byState.set(row.state, [...(byState.get(row.state) ?? []), row]);
    const failed = byState.get('failed') ?? [];
    const succeeded = byState.get('succeeded') ?? [];
    expect([...byState.keys()].filter((state) => state !== 'failed' && state !== 'succeeded')).toEqual([]);
    expect(failed.length + succeeded.length).toBe(1000);
    expect(rows.filter((row) => row.lease_owner !== null || row.finished_at === null)).toEqual([]);

    const counts = await appendCounts(file);
    expect(
      [...counts.keys()].filter((id) => !ids.includes(id)),
      'unknown ids appended',
    ).toEqual([]);
    for (const row of rows) {
      const times = counts.get(row.id) ?? 0;
      if (row.state === 'succeeded') {
        // Once-only: exactly one run. Retry-on-loss: a run on a lost worker may have appended first.
        if (row.job_name === 'once') expect(times, `execution ${row.id}`).toBe(1);
        else expect(times, `execution ${row.id}`).toBeGreaterThanOrEqual(1);
      } else {
        expect(row.job_name, `only the once-only job may fail: execution ${row.id}`).toBe('once');
        expect(row.reason, `execution ${row.id}`).toMatch(/^worker lost/);
        expect(times, `execution ${row.id} ran at most once`).toBeLessThanOrEqual(1);
      }
    }
    // Only the executions the two victims held can have been lost: at most their 4 + 4 slots,
    // and at least one of those they were seen running (each takes a quarter of a second).
    expect(failed.length).toBeLessThanOrEqual(8);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const { id, job_name } of held) {
      const row = rows.find((candidate) => candidate.id === id)!;
      if (job_name === 'again')
        expect(row.state, `execution ${id} re-run after its worker was lost`).toBe('succeeded');
    }
    const twice = succeeded.filter((row) => (counts.get(row.id) ?? 0) > 1).length;
    console.log(
      `chaos: killed ${victims.join(' and ')} holding ${held.length} executions; ` +
        `${succeeded.length} succeeded (${twice} ran twice after their worker was lost), ${failed.length} failed`,
    );
    // A recovered execution's steps end too: nothing is left running or pending.
    const unfinishedSteps = await cluster.query(
      `SELECT s.execution_id, s.state FROM execution_steps s WHERE s.state IN ('running', 'pending')`,
    );
    expect(unfinishedSteps).toEqual([]);

    // Every stored log is whole, read through the surviving server.
    await inParallel(succeeded, 8, async (row) => {
      const lines = await readLog(cluster, first, row.id);
      expectWholeLog(row, lines, 'append');
      expect(lines.map((line) => line.text)).toContain(`appended ${row.id}`);
    });

    // The registry tells the lost workers from the live ones.
    const registry = await eventually(
      'the killed worker and the killed server to show as lost',
      async () => {
        const listed = await workers(cluster, first);
        const lost = listed.filter((worker) => worker.state === 'lost').map((worker) => worker.name);
        return victims.every((name) => lost.includes(name)) ? listed : undefined;
      },
      40_000,
      1000,
    );
    const alive = registry.filter((worker) => worker.state === 'alive').map((worker) => worker.name);
    expect(alive.sort()).toEqual(
      [await embeddedWorkerName(cluster, first), ...survivors.map((worker) => worker!.name)].sort(),
    );
    for (const process_ of [first, ...survivors]) expect(process_!.exit, process_!.label).toBeUndefined();
  }, 240_000);

  it('a job for a worker group nobody serves waits, says why, and runs once such a worker starts', async () => {
    const cluster = await newCluster();
    const server = await cluster.startServer({ concurrency: 2 });
    await cluster.apply(
      server,
      cluster.jobDocument('grouped', {
        workerGroup: 'linux-prod',
        steps: [{ name: 'where', command: ['echo', 'on linux-prod'] }],
      }),
      cluster.jobDocument('plain', { steps: [{ name: 'anywhere', command: ['echo', 'anywhere'] }] }),
    );
    const grouped: number[] = [];
    for (let index = 0; index < 3; index++) grouped.push(await cluster.run(server, 'grouped'));
    const plain = await cluster.run(server, 'plain');

    // The embedded worker (no group) passes over the grouped executions and runs the later one.
    await eventually('the ungrouped execution to succeed', async () => {
      const [row] = await executions(cluster, [plain]);
      return row?.state === 'succeeded' ? row : undefined;
    });
    for (const id of grouped) {
      const response = await cluster.request<{ execution: { state: string; waitingFor: string | null } }>(
        server,
        'GET',
        `/api/v1/executions/${id}`,
      );
      expect(response.body.execution.state).toBe('queued');
      expect(response.body.execution.waitingFor).toMatch(/no live worker serves group "linux-prod"/);
      expect(response.body.execution.waitingFor).toContain('baton worker --group linux-prod');
    }

    const worker = await cluster.startWorker({ groups: ['linux-prod'], concurrency: 2 });
    const rows = await eventually('the grouped executions to succeed', async () => {
      const found = await executions(cluster, grouped);
      return found.every((row) => row.state === 'succeeded') ? found : undefined;
    });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect((await readLog(cluster, server, row.id)).map((line) => line.text)).toContain('on linux-prod');
    }
    const registry = await workers(cluster, server);
    expect(registry.find((entry) => entry.name === worker.name)?.groups).toEqual(['linux-prod']);
  });

  it('a frozen worker (SIGSTOP past its lease) never runs a step at the same time as its retry, and writes nothing once resumed', async () => {
    const cluster = await newCluster();
    const lease = { BATON_LEASE: '2s' };
    const server = await cluster.startServer({ worker: false, env: lease });
    const dir = path.join(cluster.dir, 'fenced');
    await fs.mkdir(dir);
    // Each start appends its pid; a start that finds the lock held by another run says so.
    const script = `echo $$ >> "$DIR/starts"
exec 9>>"$DIR/lock"
flock -n 9 || echo $$ >> "$DIR/overlaps"
echo "step $$ started"
while [ ! -e "$DIR/release" ]; do sleep 0.05; done
echo "step $$ done"`;
    await cluster.apply(
      server,
      cluster.jobDocument('exclusive', {
        retryOnWorkerLoss: true,
        env: { DIR: dir },
        steps: [{ name: 'exclusive', script }],
      }),
    );
    const frozen = await cluster.startWorker({ env: lease, concurrency: 1 });
    const id = await cluster.run(server, 'exclusive');
    await runningOn(cluster, id, frozen.name);
    // The step's process is recorded a moment after it starts; the retry needs it to end it.
    await eventually('the step process to be recorded', async () => {
      const rows = await cluster.query(
        'SELECT 1 FROM execution_steps WHERE execution_id = $1 AND pid IS NOT NULL',
        [id],
      );
      return rows.length > 0 ? true : undefined;
    });
    const starts = async () =>
      (await fs.readFile(path.join(dir, 'starts'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    // Recorded is not yet running the script: wait for its first line, or the pid is unknown.
    const firstPid = await eventually('the step to note its start', async () => (await starts())[0]);
    // Two workers on one host, as in production: the other one is up (its start-up sweep of
    // orphaned steps done) before the first one freezes.
    const other = await cluster.startWorker({ env: lease, concurrency: 1 });
    frozen.signal('SIGSTOP');

    // Past the frozen worker's lease, recovery re-queues the execution and the other worker runs it.
    await eventually('the retry to start on the other worker', async () => {
      const [row] = await executions(cluster, [id]);
      return row?.lease_owner === other.name && (await starts()).length === 2 ? true : undefined;
    });
    // The first run's step was ended before the retry's started (its worker, stopped, did not reap it).
    const state = await fs.readFile(`/proc/${firstPid}/stat`, 'utf8').catch(() => '');
    expect(state === '' || / Z /.test(state), `first step process ${firstPid}: ${state}`).toBe(true);

    frozen.signal('SIGCONT');
    await eventually('the resumed worker to let go of its lost lease', async () =>
      frozen.output.includes('lease past due and not renewed') ? true : undefined,
    );
    // Still the other worker's, untouched by the resumed one.
    const [during] = await executions(cluster, [id]);
    expect(during).toMatchObject({ state: 'running', lease_owner: other.name });
    const steps = await cluster.query<{ state: string; host: string | null }>(
      'SELECT state, host FROM execution_steps WHERE execution_id = $1',
      [id],
    );
    expect(steps.map((step) => step.state)).toEqual(['running']);

    await fs.writeFile(path.join(dir, 'release'), '');
    const [done] = await allTerminal(cluster, 30_000);
    expect(done).toMatchObject({ id, state: 'succeeded' });
    expect(await fs.readFile(path.join(dir, 'overlaps'), 'utf8').catch(() => 'none')).toBe('none');
    const lines = await readLog(cluster, server, id);
    expectWholeLog(done!, lines, 'exclusive');
    const texts = lines.map((line) => line.text);
    // Nothing of the resumed worker: it would have said why it ended its step, and how that went.
    expect(texts.filter((text) => text.includes('lost its lease on the execution'))).toEqual([]);
    expect(texts).toContainEqual(
      expect.stringMatching(
        new RegExp(
          // Ended by the retry's worker, or just before by its sweep of orphaned steps.
          `^\\[baton\\] (ended )?the earlier run of step "exclusive" \\(pid ${firstPid} on .+\\), whose worker lost its lease(, had already ended)?$`,
        ),
      ),
    );
    // The first run's own end (its process was killed) never reached the log: it lost the lease.
    expect(texts.filter((text) => text.startsWith('[baton] step "exclusive"'))).toEqual([
      expect.stringMatching(/^\[baton\] step "exclusive" succeeded/),
    ]);
    expect(texts.filter((text) => text.startsWith('step ') && text.endsWith(' done'))).toHaveLength(1);
    expect(frozen.exit).toBeUndefined();
  }, 120_000);

  it('terminated database connections: every execution still ends once, succeeded, recorded once', async () => {
    const cluster = await newCluster();
    // Longer than a storm below lasts on a loaded machine (two to three seconds): a worker that
    // cannot renew a lease for a whole lease lets go of the execution (see enforceLeases), and
    // this test is about connections ended mid-query, not about a worker cut off for a lease.
    const env = { BATON_LEASE: '10s', BATON_LOG_LEVEL: 'warn' };
    const server = await cluster.startServer({ concurrency: 4, env });
    const worker = await cluster.startWorker({ concurrency: 4, env });
    const file = path.join(cluster.dir, 'appended.txt');
    const script = [
      '#!/usr/bin/env bash',
      'echo "$BATON_EXECUTION_ID" >> "$OUT"',
      'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.25; done',
    ].join('\n');
    await cluster.apply(
      server,
      cluster.jobDocument('steady', { env: { OUT: file }, steps: [{ name: 'steady', script }] }),
    );
    const ids: number[] = [];
    for (let index = 0; index < 24; index++) ids.push(await cluster.run(server, 'steady'));

    // Twice, while executions are running on both processes, a second-long storm: every
    // connection of every Baton process (pools, LISTEN, the duty holder's) is ended by the
    // database, again and again, so that some end with a query in flight, some inside a
    // transaction, some just as a result arrives.
    let terminated = 0;
    for (const wave of [1, 2]) {
      await eventually(
        `wave ${wave}: steps running on both processes`,
        async () => {
          const rows = await cluster.query<{ owners: string }>(
            `SELECT count(DISTINCT e.lease_owner) AS owners FROM executions e
               JOIN execution_steps s ON s.execution_id = e.id
              WHERE e.state = 'running' AND s.state = 'running'`,
          );
          return Number(rows[0]?.owners) >= 2 ? true : undefined;
        },
        30_000,
        50,
      );
      for (let storm = 0; storm < 20; storm++) {
        terminated += await cluster.terminateConnections();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(terminated).toBeGreaterThanOrEqual(20);

    const rows = await allTerminal(cluster, 120_000);
    expect(rows.map((row) => [row.id, row.state, row.reason])).toEqual(
      ids.map((id) => [id, 'succeeded', null]),
    );
    const counts = await appendCounts(file);
    expect([...counts.entries()].sort(([a], [b]) => a - b)).toEqual(ids.map((id) => [id, 1]));
    for (const row of rows) {
      const lines = await readLog(cluster, server, row.id);
      expectWholeLog(row, lines, 'steady');
      expect(lines.filter((line) => line.s === 'stdout').map((line) => line.text)).toEqual([
        'line 1',
        'line 2',
        'line 3',
        'line 4',
        'line 5',
      ]);
    }
    // Both processes rode it out and still answer.
    expect(server.exit).toBeUndefined();
    expect(worker.exit).toBeUndefined();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('SIGTERM drains: a running execution finishes in time; past the drain timeout it is re-queued or failed', async () => {
    const cluster = await newCluster();
    const server = await cluster.startServer({ worker: false });
    const mark = path.join(cluster.dir, 'first-run');
    await cluster.apply(
      server,
      cluster.jobDocument('slow', {
        steps: [{ name: 'slow', script: 'echo started\nsleep 3\necho finished' }],
      }),
      cluster.jobDocument('long-again', {
        retryOnWorkerLoss: true,
        env: { MARK: mark },
        steps: [
          {
            name: 'long',
            script:
              'if [ -e "$MARK" ]; then echo "second run"; else echo "first run"; touch "$MARK"; sleep 60; fi',
          },
        ],
      }),
      cluster.jobDocument('long-once', { steps: [{ name: 'long', script: 'echo "only run"\nsleep 60' }] }),
    );

    // Within the drain timeout: the execution finishes, then the worker exits 0.
    const patient = await cluster.startWorker({ env: { BATON_DRAIN_TIMEOUT: '10s' }, concurrency: 2 });
    const slow = await cluster.run(server, 'slow');
    await runningOn(cluster, slow, patient.name);
    patient.signal('SIGTERM');
    const patientExit = await patient.waitForExit(30_000);
    expect(patientExit.code).toBe(0);
    const [slowRow] = await executions(cluster, [slow]);
    expect(slowRow).toMatchObject({ state: 'succeeded', reason: null });
    expect(slowRow!.finished_at!).toBeLessThanOrEqual(patientExit.at);
    expect((await readLog(cluster, server, slow)).map((line) => line.text)).toContain('finished');

    // Past the drain timeout: a job that allows it goes back to the queue, any other fails.
    const hasty = await cluster.startWorker({ env: { BATON_DRAIN_TIMEOUT: '500ms' }, concurrency: 2 });
    const again = await cluster.run(server, 'long-again');
    const once = await cluster.run(server, 'long-once');
    await runningOn(cluster, again, hasty.name);
    await runningOn(cluster, once, hasty.name);
    // A running step has not necessarily printed yet: stopped before its mark, the first run
    // would run again as a "first run" and sleep on. The mark comes after the line.
    await eventually('the first run to print and leave its mark', async () =>
      fs.access(mark).then(
        () => true,
        () => undefined,
      ),
    );
    hasty.signal('SIGTERM');
    expect((await hasty.waitForExit(30_000)).code).toBe(0);
    // Nothing of theirs outlived the worker: the process trees were ended.
    expect(await cluster.killStraySteps()).toBe(0);

    const [onceRow] = await executions(cluster, [once]);
    expect(onceRow).toMatchObject({ state: 'failed', reason: 'worker stopped' });
    const [requeued] = await executions(cluster, [again]);
    expect(requeued).toMatchObject({ state: 'queued', reason: `re-queued: worker ${hasty.name} stopped` });

    const rescuer = await cluster.startWorker({ concurrency: 2 });
    const [rescued] = await eventually('the re-queued execution to succeed on another worker', async () => {
      const found = await executions(cluster, [again]);
      return found[0]?.state === 'succeeded' ? found : undefined;
    });
    const lines = await readLog(cluster, server, again);
    expectWholeLog(rescued!, lines, 'long');
    const texts = lines.map((line) => line.text);
    expect(texts).toContain(
      `[baton] worker ${hasty.name} stopped; the execution goes back to the queue (retryOnWorkerLoss)`,
    );
    expect(texts.filter((text) => text === 'first run' || text === 'second run')).toEqual([
      'first run',
      'second run',
    ]);
    expect(rescuer.exit).toBeUndefined();
  });

  it('once-only duties run in one server at a time, and move to the other when the holder is killed', async () => {
    const cluster = await newCluster();
    const servers = [
      await cluster.startServer({ worker: false }),
      await cluster.startServer({ worker: false }),
    ];
    const runs = async (server: ServerProcess): Promise<number> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const match = /^baton_duty_runs_total\{duty="lease-recovery"\} (\d+)$/m.exec(text);
      return match ? Number(match[1]) : 0;
    };
    const sample = () => Promise.all(servers.map(runs));

    const before = await eventually('one server to run lease recovery', async () => {
      const counts = await sample();
      return counts.some((count) => count > 0) ? counts : undefined;
    });
    const holder = before.findIndex((count) => count > 0);
    const other = 1 - holder;
    // Three more runs of the holder (once a second): the other server tried meanwhile, and ran none.
    const after = await eventually('the holder to run lease recovery three more times', async () => {
      const counts = await sample();
      return counts[holder]! >= before[holder]! + 3 ? counts : undefined;
    });
    expect(before[other]).toBe(0);
    expect(after[other]).toBe(0);

    await servers[holder]!.kill();
    // The lease (10 s) expires, and the other server takes the duties over.
    const taken = await eventually('the other server to take the duties over', async () => {
      const count = await runs(servers[other]!);
      return count > 0 ? count : undefined;
    });
    await eventually('its lease recovery runs to keep going', async () =>
      (await runs(servers[other]!)) > taken ? true : undefined,
    );
  });

  it('a log streams from a worker process through a server as it is written', async () => {
    const cluster = await newCluster();
    const server = await cluster.startServer({ worker: false });
    await cluster.startWorker({ concurrency: 2 });
    // The second half of the ticks waits for a gate that the test opens only once the first tick
    // has come through the stream: the execution can only finish if its log streamed. The wait is
    // bounded (30 s) so that a log delivered only at the end fails below instead of hanging.
    const gate = path.join(cluster.dir, 'ticker-gate');
    const script = [
      'for i in $(seq 1 6); do echo "tick $i"; done',
      'deadline=$((SECONDS + 30))',
      'while [ ! -e "$GATE" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done',
      'for i in $(seq 7 12); do echo "tick $i"; done',
    ].join('\n');
    await cluster.apply(
      server,
      cluster.jobDocument('ticker', { env: { GATE: gate }, steps: [{ name: 'tick', script }] }),
    );
    const id = await cluster.run(server, 'ticker');

    let gateOpened = false;
    const events = await followStream(cluster, server, id, async (lines) => {
      if (!gateOpened && lines.some((line) => line.text === 'tick 1')) {
        gateOpened = true;
        await fs.writeFile(gate, '');
      }
    });
    const end = events.at(-1)!;
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    const batches = events.filter((event) => event.event === 'lines');
    const arrivals = batches.flatMap((batch, index) =>
      (JSON.parse(batch.data) as LogLine[]).map((line) => ({ line, at: batch.at, batch: index })),
    );
    // In order, without gaps or repeats, and everything the log holds.
    expect(arrivals.map(({ line }) => line.n)).toEqual(arrivals.map((_, index) => index));
    const [row] = await executions(cluster, [id]);
    expect(arrivals).toHaveLength(row!.log_lines);
    const ticks = arrivals.filter(({ line }) => line.s === 'stdout');
    expect(ticks.map(({ line }) => line.text)).toEqual(
      Array.from({ length: 12 }, (_, index) => `tick ${index + 1}`),
    );
    // Streamed, not delivered at the end: the gate was opened on the first tick's arrival and
    // the last ticks were printed only after it, so they came in a later batch than the first
    // (had the gate timed out, the whole log would have come in one batch at the end).
    expect(gateOpened).toBe(true);
    expect(ticks.at(-1)!.batch).toBeGreaterThan(ticks[0]!.batch);

    const delays = ticks.map(({ line, at }) => at - line.t);
    console.log(
      `live log delay from a worker process through a server (ms): median ${median(delays)}, ` +
        `min ${Math.min(...delays)}, max ${Math.max(...delays)}, batches ${batches.length}`,
    );
  });

  it('GET /api/v1/workers lists the workers; a stopped one shows as stopped', async () => {
    const cluster = await newCluster();
    const server = await cluster.startServer({ worker: false });
    const [grouped, plain] = await Promise.all([
      cluster.startWorker({ groups: ['linux-prod', 'gpu'], concurrency: 3 }),
      cluster.startWorker({ concurrency: 2 }),
    ]);
    const manifest = new URL('../package.json', import.meta.url);
    const { version } = JSON.parse(await fs.readFile(manifest, 'utf8')) as { version: string };
    const listed = await workers(cluster, server);
    expect(listed.map((worker) => worker.name).sort()).toEqual([grouped!.name, plain!.name].sort());
    for (const [worker, groups, concurrency] of [
      [grouped!, ['gpu', 'linux-prod'], 3],
      [plain!, [], 2],
    ] as const) {
      const entry = listed.find((candidate) => candidate.name === worker.name)!;
      expect(entry).toMatchObject({
        host: os.hostname(),
        pid: worker.pid,
        groups,
        concurrency,
        running: 0,
        version,
        embedded: false,
        state: 'alive',
      });
      expect(Number.isNaN(Date.parse(entry.heartbeatAt))).toBe(false);
    }

    plain!.signal('SIGTERM');
    expect((await plain!.waitForExit()).code).toBe(0);
    const after = await workers(cluster, server);
    expect(after.find((worker) => worker.name === plain!.name)?.state).toBe('stopped');
    expect(after.find((worker) => worker.name === grouped!.name)?.state).toBe('alive');
  });
});

interface StreamEvent {
  event: string;
  data: string;
  /** Date.now() when the event arrived. */
  at: number;
}

/** Follows an execution's log over Server-Sent Events until the `end` event; `onLines` sees each batch as it comes. */
async function followStream(
  cluster: Cluster,
  server: ServerProcess,
  id: number,
  onLines: (lines: LogLine[]) => Promise<void> = async () => {},
): Promise<StreamEvent[]> {
  const response = await fetch(`${server.url}/api/v1/executions/${id}/log/stream`, {
    headers: { authorization: `Bearer ${cluster.token}` },
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    const at = Date.now();
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      const event = fields.get('event');
      if (!event) continue;
      events.push({ event, data: fields.get('data') ?? '', at });
      if (event === 'lines') await onLines(JSON.parse(fields.get('data') ?? '[]') as LogLine[]);
      if (event === 'end' || event === 'error') {
        await reader.cancel();
        return events;
      }
    }
  }
}
