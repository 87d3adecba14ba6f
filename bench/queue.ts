/**
 * Queue mechanics on PostgreSQL: N no-op jobs queued, then claimed and completed at the same
 * concurrency by Baton's queue statements, by graphile-worker and by pg-boss, each in a schema
 * of its own on the same server. Baton is held to the faster of the two: the queue is not the
 * product, but it must not be the reason a worker is slow.
 *
 * Baton's side is its claim and finish path without the process in between: `claimExecutions`
 * in batches and `finishExecution` per execution, driven by the Worker's own loop shape (claim
 * up to min(free slots, 16); claim again at once after a full batch, else when a slot frees).
 * pg-boss gets the same loop over its `fetch` (batchSize) and `complete`: its `work()` helper
 * waits out the rest of its polling interval (500 ms at least) after every batch, which would
 * measure the interval, not the queue. graphile-worker runs its own runner, as it is meant to
 * be used (prepared statements, one fetch per free slot). Full Worker runs of `echo ok` on the
 * same database are reported beside it, for scale: they are bound by the processes.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  run as runGraphileWorker,
  runMigrations,
} from 'graphile-worker';
import PgBoss from 'pg-boss';
import { sql } from 'kysely';
import { claimExecutions, finishExecution, leaseOf } from '../src/automation/executions/store.js';
import { getJob } from '../src/automation/jobs/store.js';
import { createWorker } from '../src/runtime.js';
import {
  PROJECT,
  collectGarbage,
  compare,
  jobDocument,
  median,
  printTable,
  progress,
  runBare,
  startInProcessServer,
  type Comparison,
  type InProcessServer,
} from './harness.js';
import {
  POSTGRES_URL,
  countFinished,
  createSchema,
  postgresUnavailable,
  queueInBulk,
  waitUntil,
  type BenchSchema,
} from './postgres.js';

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3);
/** The Worker's default on this kind of machine (4 × 2 cores); the same for all three. */
const CONCURRENCY = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 8);
const FULL_EXECUTIONS = Number(process.env.BENCH_QUEUE_FULL_EXECUTIONS ?? 500);
const WARMUP_JOBS = 300;
/** As the Worker's CLAIM_BATCH. */
const CLAIM_BATCH = 16;
const QUEUE_NAME = 'noop';
const COMMAND = 'echo ok';

export interface QueueResult {
  skipped?: string;
  jobs?: number;
  concurrency?: number;
  rounds?: number;
  batonPerSecond?: number;
  graphileWorkerPerSecond?: number;
  pgBossPerSecond?: number;
  faster?: string;
  ratio?: number;
  fullWorkerExecutions?: number;
  fullWorkerPerSecond?: number;
  fullWorkerRatio?: number;
  bareSpawnsPerSecond?: number;
  samples?: Record<string, number[]>;
  comparisons: Comparison[];
}

/** One drain: from the first claim that returned a job to the last recorded completion. */
interface Drain {
  completed: number;
  ms: number;
}

/** A wake-up that is not lost when it comes while nobody waits (as in the Worker). */
class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  notify(): void {
    if (this.resolve) {
      this.resolve();
      this.resolve = undefined;
    } else this.pending = true;
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.resolve = resolve));
  }
}

/**
 * The Worker's claim loop with the execution replaced by its completion: at most CONCURRENCY
 * jobs in flight, claims of up to CLAIM_BATCH, until a claim finds nothing and nothing runs.
 */
async function drainLikeWorker<T>(
  claim: (limit: number) => Promise<T[]>,
  complete: (job: T) => Promise<void>,
): Promise<Drain> {
  const wakeup = new Wakeup();
  let inFlight = 0;
  let completed = 0;
  let firstClaimAt = Number.NaN;
  let lastCompletedAt = Number.NaN;
  let failure: unknown;
  for (;;) {
    const want = Math.min(CONCURRENCY - inFlight, CLAIM_BATCH);
    let claimed: T[] = [];
    if (want > 0) {
      claimed = await claim(want);
      if (claimed.length > 0 && Number.isNaN(firstClaimAt)) firstClaimAt = performance.now();
      for (const job of claimed) {
        inFlight++;
        void complete(job)
          .then(
            () => {
              completed++;
              lastCompletedAt = performance.now();
            },
            (error: unknown) => {
              failure ??= error;
            },
          )
          .finally(() => {
            inFlight--;
            wakeup.notify();
          });
      }
    }
    if (failure !== undefined) throw failure;
    if (claimed.length > 0 && claimed.length === want) continue;
    if (claimed.length === 0 && inFlight === 0) break;
    await wakeup.wait();
  }
  return { completed, ms: lastCompletedAt - firstClaimAt };
}

/** A queue under test: fill it with `count` no-op jobs, then drain it. */
interface Contender {
  name: string;
  fill(count: number): Promise<void>;
  drain(): Promise<Drain>;
  close(): Promise<void>;
}

async function batonContender(): Promise<Contender> {
  const schema = await createSchema('bench_baton_queue');
  const server = await startInProcessServer({ databaseUrl: schema.url, embeddedWorker: false });
  await server.applyJobs(jobDocument('noop', 'true'));
  const job = (await getJob(server.baton.db, PROJECT, 'noop'))!;
  const { db, caps } = server.baton;
  const owner = 'bench-queue';
  return {
    name: 'Baton',
    fill: async (count) => {
      await queueInBulk(db, job, count);
    },
    drain: () =>
      drainLikeWorker(
        (limit) => {
          const now = Date.now();
          return claimExecutions(db, caps, { owner, groups: [], now, leaseExpiresAt: now + 30_000, limit });
        },
        async (execution) => {
          const log = { lines: 0, bytes: 0, discardedBytes: 0 };
          const completion = { state: 'succeeded', exitCode: 0, reason: null, now: Date.now(), log } as const;
          if (!(await finishExecution(db, execution.id, leaseOf(execution, owner), completion)))
            throw new Error(`execution ${execution.id} was not recorded as finished`);
        },
      ),
    close: async () => {
      await server.stop();
      await schema.drop();
    },
  };
}

/** graphile-worker's logs go nowhere: Baton's bench runs at level warn, and printing costs. */
const silentGraphileLogger = new GraphileLogger(() => () => {});

async function graphileContender(): Promise<Contender> {
  const schema = await createSchema('bench_graphile', false);
  const options = { connectionString: POSTGRES_URL, schema: schema.name, logger: silentGraphileLogger };
  await runMigrations(options);
  const utils = await makeWorkerUtils(options);
  return {
    name: 'graphile-worker',
    fill: async (count) => {
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: QUEUE_NAME, payload: {} })));
    },
    drain: async () => {
      const queued = () =>
        utils.withPgClient(async (client) =>
          Number(
            (await client.query<{ count: string }>(`SELECT count(*) FROM ${schema.name}._private_jobs`))
              .rows[0]!.count,
          ),
        );
      const expected = await queued();
      const events = new EventEmitter();
      let firstClaimAt = Number.NaN;
      let completed = 0;
      let allCompleted!: () => void;
      const done = new Promise<void>((resolve) => (allCompleted = resolve));
      events.on('job:start', () => {
        if (Number.isNaN(firstClaimAt)) firstClaimAt = performance.now();
      });
      events.on('job:complete', () => {
        if (++completed === expected) allCompleted();
      });
      const runner = await runGraphileWorker({
        ...options,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        pollInterval: 1000,
        events,
        taskList: { [QUEUE_NAME]: async () => {} },
      });
      await done;
      // graphile-worker records a completion without waiting for it (the worker goes on to the
      // next job), so the last one is recorded when its row is gone.
      await waitUntil('graphile-worker to record its completions', async () => (await queued()) === 0, {
        everyMs: 1,
      });
      const ms = performance.now() - firstClaimAt;
      await runner.stop();
      return { completed, ms };
    },
    close: async () => {
      await utils.release();
      await schema.drop();
    },
  };
}

async function pgBossContender(): Promise<Contender> {
  const schema = await createSchema('bench_pgboss', false);
  const boss = new PgBoss({
    connectionString: POSTGRES_URL,
    schema: schema.name,
    max: 10,
    supervise: false,
    schedule: false,
  });
  boss.on('error', (error: Error) => progress(`queue: pg-boss error: ${error.message}`));
  await boss.start();
  await boss.createQueue(QUEUE_NAME);
  return {
    name: 'pg-boss',
    fill: async (count) => {
      await boss.insert(Array.from({ length: count }, () => ({ name: QUEUE_NAME, data: {} })));
    },
    drain: () =>
      drainLikeWorker(
        (limit) => boss.fetch(QUEUE_NAME, { batchSize: limit }),
        (job) => boss.complete(QUEUE_NAME, job.id),
      ),
    close: async () => {
      await boss.stop({ graceful: false, close: true, wait: true });
      await schema.drop();
    },
  };
}

/** Fills, drains and checks one contender; returns jobs per second. */
async function measure(contender: Contender, count: number): Promise<number> {
  await contender.fill(count);
  collectGarbage();
  const { completed, ms } = await contender.drain();
  if (completed !== count) throw new Error(`${contender.name} completed ${completed} of ${count} jobs`);
  return count / (ms / 1000);
}

/**
 * Full runs of `echo ok` by a Worker in this process, on PostgreSQL: the queue plus the step
 * bookkeeping, the process, the log and the NOTIFYs. Timed from the stored first claim to the
 * stored last finish.
 */
async function fullWorkerRuns(server: InProcessServer): Promise<number> {
  await server.applyJobs(jobDocument('echo', COMMAND));
  const job = (await getJob(server.baton.db, PROJECT, 'echo'))!;
  await queueInBulk(server.baton.db, job, FULL_EXECUTIONS);
  const worker = createWorker(server.baton, { name: 'bench-full', concurrency: CONCURRENCY, embedded: true });
  await worker.start();
  try {
    await waitUntil(
      'the Worker to run every execution',
      async () => (await countFinished(server.baton.db)) >= FULL_EXECUTIONS,
    );
  } finally {
    await worker.stop();
  }
  const { first, last, failed } = await server.baton.db
    .selectFrom('executions')
    .select([
      sql<number>`min(started_at)`.as('first'),
      sql<number>`max(finished_at)`.as('last'),
      sql<number>`sum(case when state = 'succeeded' then 0 else 1 end)`.as('failed'),
    ])
    .executeTakeFirstOrThrow();
  if (Number(failed) > 0) throw new Error(`${failed} of the Worker's executions did not succeed`);
  return FULL_EXECUTIONS / ((Number(last) - Number(first)) / 1000);
}

async function bareSpawnsPerSecond(count: number): Promise<number> {
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < count) {
        started++;
        await runBare(COMMAND);
      }
    }),
  );
  return count / ((performance.now() - begin) / 1000);
}

export async function benchQueue(): Promise<QueueResult> {
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    progress(`queue: skipped: ${unavailable}`);
    return { skipped: unavailable, comparisons: [] };
  }
  progress(`queue: ${ROUNDS} rounds of ${JOBS} no-op jobs each for Baton, graphile-worker and pg-boss`);
  const contenders = [await batonContender(), await graphileContender(), await pgBossContender()];
  const samples: Record<string, number[]> = Object.fromEntries(contenders.map(({ name }) => [name, []]));
  let full: { perSecond: number; spawns: number };
  try {
    for (const contender of contenders) await measure(contender, WARMUP_JOBS);
    for (let round = 0; round < ROUNDS; round++) {
      // A different one goes first each round, so a slow moment of the machine is shared.
      for (let turn = 0; turn < contenders.length; turn++) {
        const contender = contenders[(round + turn) % contenders.length]!;
        samples[contender.name]!.push(await measure(contender, JOBS));
      }
    }
    progress(`queue: ${FULL_EXECUTIONS} full Worker runs of ${COMMAND}, and as many bare spawns`);
    const schema: BenchSchema = await createSchema('bench_baton_full');
    const server = await startInProcessServer({ databaseUrl: schema.url, embeddedWorker: false });
    try {
      full = { perSecond: await fullWorkerRuns(server), spawns: 0 };
    } finally {
      await server.stop();
      await schema.drop();
    }
    await bareSpawnsPerSecond(50);
    full.spawns = await bareSpawnsPerSecond(FULL_EXECUTIONS);
  } finally {
    for (const contender of contenders) await contender.close();
  }

  const baton = median(samples.Baton!);
  const graphile = median(samples['graphile-worker']!);
  const pgBoss = median(samples['pg-boss']!);
  const faster = graphile >= pgBoss ? 'graphile-worker' : 'pg-boss';
  const best = Math.max(graphile, pgBoss);
  const comparisons = [
    compare('no-op jobs, vs graphile-worker', 'per s', graphile, baton),
    compare('no-op jobs, vs pg-boss', 'per s', pgBoss, baton),
    compare(`no-op jobs, vs the faster (${faster})`, 'per s', best, baton, { op: '>=', value: 1 }),
    compare(`full Worker runs of ${COMMAND}, vs ${faster} no-op`, 'per s', best, full.perSecond),
  ];
  const format = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
  printTable(
    `Queue: ${JOBS} no-op jobs claimed and completed, concurrency ${CONCURRENCY}, PostgreSQL`,
    comparisons,
    [
      `medians of ${ROUNDS} rounds, timed from the first claim to the last recorded completion;` +
        ` per round: Baton ${format(samples.Baton!)}; graphile-worker ${format(samples['graphile-worker']!)};` +
        ` pg-boss ${format(samples['pg-boss']!)}`,
      `Baton = claimExecutions (batches of up to ${CLAIM_BATCH}) + finishExecution in the Worker's loop;` +
        ' pg-boss = fetch (batchSize) + complete in the same loop; graphile-worker = its own runner',
      `full Worker runs: ${FULL_EXECUTIONS} executions of ${COMMAND} by an in-process Worker on PostgreSQL` +
        ` (for scale, no target); bare spawns at the same concurrency: ${full.spawns.toFixed(0)} per s`,
    ],
  );
  return {
    jobs: JOBS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    batonPerSecond: baton,
    graphileWorkerPerSecond: graphile,
    pgBossPerSecond: pgBoss,
    faster,
    ratio: comparisons[2]!.ratio,
    fullWorkerExecutions: FULL_EXECUTIONS,
    fullWorkerPerSecond: full.perSecond,
    fullWorkerRatio: comparisons[3]!.ratio,
    bareSpawnsPerSecond: full.spawns,
    samples,
    comparisons,
  };
}
