/**
 * Throughput under a deep queue: a `baton worker` running trivial executions on PostgreSQL with
 * 20,000 already queued, against the same with about 100 queued (kept topped up while it
 * runs). A claim that costs more as the queue grows (a scan or a sort of every queued row)
 * shows here as a ratio below 1; the queue's depth should not matter to the worker at its head.
 *
 * The two cases run in the order small, large, large, small, half the executions each time,
 * so that a slow stretch of a shared machine weighs on both alike. Beside the throughput, the
 * claim statement itself is timed at each depth, in transactions that are rolled back.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimExecutions } from '../src/automation/executions/store.js';
import { getJob } from '../src/automation/jobs/store.js';
import type { DialectCapabilities } from '../src/platform/db/capabilities.js';
import type { Db } from '../src/platform/db/database.js';
import {
  PROJECT,
  collectGarbage,
  compare,
  jobDocument,
  median,
  printTable,
  progress,
  startInProcessServer,
  type Comparison,
} from './harness.js';
import {
  countFinished,
  createSchema,
  postgresUnavailable,
  queueInBulk,
  spawnWorkerProcess,
  waitUntil,
} from './postgres.js';

const COMMAND = 'echo ok';
const CONCURRENCY = 8;
const SMALL = 100;
const LARGE = Number(process.env.BENCH_BACKLOG_QUEUED ?? 20_000);
/** Measured completions per case, over its two runs. */
const MEASURED = Number(process.env.BENCH_BACKLOG_EXECUTIONS ?? 1000);
/** Completions before the measured ones in each run: the worker's JIT, pool and caches warm up. */
const WARMUP = 50;
/** Claims timed at each depth. */
const CLAIM_SAMPLES = 20;

export interface BacklogResult {
  skipped?: string;
  measured?: number;
  concurrency?: number;
  smallQueued?: number;
  largeQueued?: number;
  smallPerSecond?: number;
  largePerSecond?: number;
  ratio?: number;
  smallRunsPerSecond?: number[];
  largeRunsPerSecond?: number[];
  smallClaimMs?: number;
  largeClaimMs?: number;
  largeQueueSeconds?: number;
  comparisons: Comparison[];
}

async function countQueued(db: Db): Promise<number> {
  const row = await db
    .selectFrom('executions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('state', '=', 'queued')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

class RolledBack extends Error {}

/**
 * The median time of one claim of one execution, as the worker issues it when a slot frees,
 * in a transaction that is rolled back so that the queue stays as it was.
 */
async function claimMs(db: Db, caps: DialectCapabilities): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < CLAIM_SAMPLES; i++) {
    await db
      .transaction()
      .execute(async (trx) => {
        const now = Date.now();
        const started = performance.now();
        await claimExecutions(trx, caps, {
          owner: 'bench',
          groups: [],
          now,
          leaseExpiresAt: now + 30_000,
          limit: 1,
        });
        samples.push(performance.now() - started);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  }
  return median(samples);
}

/** Stored finish times of completions WARMUP and WARMUP + measured, in the order they were recorded. */
async function measuredSpan(db: Db, measured: number): Promise<{ ms: number; failed: number }> {
  const rows = await db
    .selectFrom('executions')
    .select(['finished_at', 'state'])
    .where('finished_at', 'is not', null)
    .orderBy('finished_at')
    .orderBy('id')
    .limit(WARMUP + measured)
    .execute();
  return {
    ms: Number(rows[WARMUP + measured - 1]!.finished_at) - Number(rows[WARMUP - 1]!.finished_at),
    failed: rows.slice(WARMUP).filter((row) => row.state !== 'succeeded').length,
  };
}

interface Run {
  perSecond: number;
  ms: number;
  claimMs: number;
  queueSeconds: number;
}

/**
 * Queues `backlog` executions, starts a worker, and measures `measured` completions after the
 * first WARMUP. With `topUp`, the queue is refilled to `backlog` as the worker drains it.
 */
async function runWithBacklog(backlog: number, topUp: boolean, measured: number): Promise<Run> {
  const schema = await createSchema('bench_backlog');
  const server = await startInProcessServer({ databaseUrl: schema.url, embeddedWorker: false });
  const { db, caps } = server.baton;
  try {
    await server.applyJobs(jobDocument('echo', COMMAND));
    const job = (await getJob(db, PROJECT, 'echo'))!;
    const queueStarted = performance.now();
    await queueInBulk(db, job, backlog);
    const queueSeconds = (performance.now() - queueStarted) / 1000;
    const claim = await claimMs(db, caps);
    collectGarbage();
    const worker = await spawnWorkerProcess(schema.url, { concurrency: CONCURRENCY });
    let feeding = topUp;
    const feeder = (async () => {
      while (feeding) {
        const missing = backlog - (await countQueued(db));
        if (missing > 0) await queueInBulk(db, job, missing);
        await sleep(20);
      }
    })();
    try {
      await waitUntil(
        `${WARMUP + measured} completions`,
        async () => (await countFinished(db)) >= WARMUP + measured,
        { everyMs: 100 },
      );
    } finally {
      feeding = false;
      await feeder;
      await worker.stop();
    }
    const { ms, failed } = await measuredSpan(db, measured);
    if (failed > 0) throw new Error(`${failed} of the measured executions did not succeed`);
    return { perSecond: measured / (ms / 1000), ms, claimMs: claim, queueSeconds };
  } finally {
    await server.stop();
    await schema.drop();
  }
}

export async function benchBacklog(): Promise<BacklogResult> {
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    progress(`backlog: skipped: ${unavailable}`);
    return { skipped: unavailable, comparisons: [] };
  }
  const half = Math.ceil(MEASURED / 2);
  const runs: { small: Run[]; large: Run[] } = { small: [], large: [] };
  for (const which of ['small', 'large', 'large', 'small'] as const) {
    const backlog = which === 'small' ? SMALL : LARGE;
    progress(`backlog: baton worker, ${half} executions of ${COMMAND} with ${backlog} queued`);
    runs[which].push(await runWithBacklog(backlog, which === 'small', half));
  }
  const perSecond = (list: Run[]) =>
    (list.length * half) / (list.reduce((sum, run) => sum + run.ms, 0) / 1000);
  const small = perSecond(runs.small);
  const large = perSecond(runs.large);
  const claims = {
    small: median(runs.small.map((run) => run.claimMs)),
    large: median(runs.large.map((run) => run.claimMs)),
  };
  const comparisons = [
    compare(`trivial executions, ${LARGE} vs ${SMALL} queued`, 'per s', small, large, {
      op: '>=',
      value: 0.8,
    }),
    compare(`one claim, ${LARGE} vs ${SMALL} queued`, 'ms', claims.small, claims.large),
  ];
  const format = (list: Run[]) => list.map((run) => run.perSecond.toFixed(1)).join(', ');
  printTable(
    `Backlog: a baton worker's throughput with ${LARGE} executions queued vs ${SMALL}`,
    comparisons,
    [
      `baton worker --concurrency ${CONCURRENCY} on PostgreSQL; runs in the order small, large, large, small,` +
        ` ${half} measured completions each after ${WARMUP}, timed by their stored finish times;` +
        ` the small queue is refilled to ${SMALL} every 20 ms`,
      `per run: ${SMALL} queued ${format(runs.small)}; ${LARGE} queued ${format(runs.large)} per s`,
      `one claim = median of ${CLAIM_SAMPLES} claimExecutions(limit 1) in rolled-back transactions, before the` +
        ` worker starts; queueing ${LARGE} with multi-row inserts took ${runs.large[0]!.queueSeconds.toFixed(1)} s`,
    ],
  );
  return {
    measured: MEASURED,
    concurrency: CONCURRENCY,
    smallQueued: SMALL,
    largeQueued: LARGE,
    smallPerSecond: small,
    largePerSecond: large,
    ratio: comparisons[0]!.ratio,
    smallRunsPerSecond: runs.small.map((run) => run.perSecond),
    largeRunsPerSecond: runs.large.map((run) => run.perSecond),
    smallClaimMs: claims.small,
    largeClaimMs: claims.large,
    largeQueueSeconds: runs.large[0]!.queueSeconds,
    comparisons,
  };
}
