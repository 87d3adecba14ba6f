/**
 * What the PostgreSQL benchmarks share: an isolated schema per run on the test server (the
 * same one `npm test` uses), a queue filled fast with multi-row inserts, and `baton worker` as
 * a child process, the way an operator starts one next to `baton server --no-worker`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Job } from '../src/automation/jobs/model.js';
import type { Db } from '../src/platform/db/database.js';
import { ROOT, readMemoryStatus, type MemoryStatus } from './harness.js';

/** The PostgreSQL server the benchmarks use: the tests' one unless BENCH_POSTGRES_URL says otherwise. */
export const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL ??
  process.env.BATON_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<T>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL cannot be used (a benchmark then reports itself skipped), or undefined. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await adminQuery('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is not reachable (${error instanceof Error ? error.message : String(error)})`;
  }
}

export interface BenchSchema {
  name: string;
  /** `postgres://…?schema=NAME`, as Baton takes it. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh schema, dropped by `drop()`, so that runs never see each other's rows. Baton takes it
 * as `?schema=`; graphile-worker and pg-boss take the name and create it themselves.
 */
export async function createSchema(prefix: string, create = true): Promise<BenchSchema> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  if (create) await adminQuery(`CREATE SCHEMA ${name}`);
  return {
    name,
    url: `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${name}`,
    drop: async () => {
      await adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    },
  };
}

/** Rows per INSERT statement: 1,000 executions with their specs stay well under a megabyte. */
const BULK_ROWS = 1000;

/**
 * Queues `count` runs of `job` with multi-row inserts, as `insertExecution` would one at a
 * time (same columns, one pending row per step), without waking anyone: the caller decides
 * when workers may start. Returns the new ids.
 */
export async function queueInBulk(db: Db, job: Job, count: number): Promise<number[]> {
  const ids: number[] = [];
  const spec = JSON.stringify(job.spec);
  for (let done = 0; done < count; done += BULK_ROWS) {
    const now = Date.now();
    const rows = Array.from({ length: Math.min(BULK_ROWS, count - done) }, () => ({
      job_id: job.id,
      project: job.project,
      job_name: job.name,
      job_revision: job.revision,
      spec,
      options: '{}',
      requested_by: 'admin',
      state: 'queued',
      retry_of: null,
      parent_id: null,
      concurrency_key: null,
      concurrency_limit: null,
      worker_group: job.spec.workerGroup ?? null,
      retry_on_worker_loss: job.spec.retryOnWorkerLoss ? 1 : 0,
      queued_at: now,
      run_after: now,
      started_at: null,
      lease_owner: null,
      lease_expires_at: null,
    }));
    const inserted = await db.transaction().execute(async (trx) => {
      const created = await trx.insertInto('executions').values(rows).returning('id').execute();
      await trx
        .insertInto('execution_steps')
        .values(
          created.flatMap(({ id }) =>
            job.spec.steps.map((step, idx) => ({ execution_id: id, idx, name: step.name, state: 'pending' })),
          ),
        )
        .execute();
      return created;
    });
    ids.push(...inserted.map((row) => row.id));
  }
  return ids;
}

/** Executions in a terminal state (what a worker has completed so far). */
export async function countFinished(db: Db): Promise<number> {
  const row = await db
    .selectFrom('executions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('finished_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Polls `check` every `everyMs` until it returns true, or throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  { everyMs = 50, timeoutMs = 120_000 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface WorkerProcess {
  pid: number;
  name: string;
  memory(): MemoryStatus;
  /** SIGTERM (the worker drains, then exits) and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Node flags for the `baton worker` children: BENCH_WORKER_PROFILE_DIR=DIR writes a V8 CPU
 * profile of each one there when it exits (open it in Chrome DevTools or speedscope).
 */
function workerNodeArgs(): string[] {
  const dir = process.env.BENCH_WORKER_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/** Starts `baton worker` on a PostgreSQL schema and waits until it claims. */
export async function spawnWorkerProcess(
  databaseUrl: string,
  { concurrency, env = {} }: { concurrency: number; env?: Record<string, string> },
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...workerNodeArgs(),
      path.join(ROOT, 'bin', 'baton.js'),
      'worker',
      '--database-url',
      databaseUrl,
      '--concurrency',
      String(concurrency),
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? os.tmpdir(),
        BATON_LOG_LEVEL: 'warn',
        BATON_DRAIN_TIMEOUT: '10s',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const name = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('baton worker exited before it started')));
    lines.on('line', (line) => {
      const match = /^Worker (\S+) is running/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  return {
    pid: child.pid!,
    name,
    memory: () => readMemoryStatus(child.pid!),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
