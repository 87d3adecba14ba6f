/**
 * Throughput of trivial executions: 2,000 runs of `echo ok` queued first, then drained by one
 * worker at its configured concurrency, against 2,000 bare spawns of the same command with as
 * many in flight. The gap is Baton's per-execution cost once waiting is out of the picture: the
 * claim, the step bookkeeping, the log and the outcome, all through the one SQLite writer.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { Worker } from '../src/automation/worker/worker.js';
import { countByState } from '../src/automation/executions/store.js';
import {
  ADMIN,
  PROJECT,
  compare,
  jobDocument,
  printTable,
  progress,
  runBare,
  startInProcessServer,
  type Comparison,
} from './harness.js';

const COMMAND = 'echo ok';
const EXECUTIONS = Number(process.env.BENCH_THROUGHPUT_EXECUTIONS ?? 2000);

export interface ThroughputResult {
  executions: number;
  concurrency: number;
  baselinePerSecond: number;
  batonPerSecond: number;
  ratio: number;
  failed: number;
  queueSeconds: number;
  comparisons: Comparison[];
}

/** Runs `count` bare spawns with at most `concurrency` in flight; returns spawns per second. */
async function bareSpawnsPerSecond(count: number, concurrency: number): Promise<number> {
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        await runBare(COMMAND);
      }
    }),
  );
  return count / ((performance.now() - begin) / 1000);
}

export async function benchThroughput(): Promise<ThroughputResult> {
  // No embedded worker: the queue is filled first, then a worker is started by hand.
  const server = await startInProcessServer({ embeddedWorker: false });
  const { baton } = server;
  const concurrency = baton.config.workerConcurrency;
  try {
    await server.applyJobs(jobDocument('echo', COMMAND));

    progress(`throughput: ${EXECUTIONS} bare spawns, ${concurrency} in flight`);
    await bareSpawnsPerSecond(50, concurrency); // warm-up
    const before = await bareSpawnsPerSecond(EXECUTIONS, concurrency);

    progress(`throughput: queueing ${EXECUTIONS} executions`);
    const queueStarted = performance.now();
    for (let i = 0; i < EXECUTIONS; i++) await baton.executions.run(ADMIN, PROJECT, 'echo', {});
    const queueSeconds = (performance.now() - queueStarted) / 1000;

    progress(`throughput: draining them with a worker of concurrency ${concurrency}`);
    const worker = new Worker({
      db: baton.db,
      caps: baton.caps,
      events: baton.events,
      logs: baton.logs,
      metrics: baton.metrics,
      logger: baton.logger,
      config: baton.config,
      concurrency,
    });
    baton.worker = worker; // so server.stop() stops it
    const workerStarted = Date.now();
    worker.start();
    // Polling the counts is cheap next to 2,000 runs; the end time comes from the rows themselves.
    for (;;) {
      const counts = await countByState(baton.db);
      if ((counts.queued ?? 0) + (counts.running ?? 0) === 0) break;
      await sleep(50);
    }
    const { lastFinished, failed } = await baton.db
      .selectFrom('executions')
      .select([
        sql<number>`max(finished_at)`.as('lastFinished'),
        sql<number>`sum(case when state = 'succeeded' then 0 else 1 end)`.as('failed'),
      ])
      .executeTakeFirstOrThrow();
    const batonPerSecond = EXECUTIONS / ((lastFinished - workerStarted) / 1000);

    progress(`throughput: ${EXECUTIONS} bare spawns again`);
    // A baseline on each side of the Baton run, averaged, cancels a slow drift of the machine.
    const after = await bareSpawnsPerSecond(EXECUTIONS, concurrency);
    const baselinePerSecond = (before + after) / 2;

    const comparisons = [
      compare('trivial executions', 'per s', baselinePerSecond, batonPerSecond, { op: '>=', value: 0.6 }),
    ];
    printTable(`Throughput: ${EXECUTIONS} queued trivial executions vs bare spawns`, comparisons, [
      `concurrency ${concurrency}; Baton timed from worker start to the last recorded finish;` +
        ` ${failed} not succeeded`,
      `baseline before/after: ${before.toFixed(0)}/${after.toFixed(0)} per s;` +
        ` queueing ${EXECUTIONS} through ExecutionService.run took ${queueSeconds.toFixed(1)} s` +
        ` (${(EXECUTIONS / queueSeconds).toFixed(0)} per s)`,
    ]);
    return {
      executions: EXECUTIONS,
      concurrency,
      baselinePerSecond,
      batonPerSecond,
      ratio: comparisons[0]!.ratio,
      failed,
      queueSeconds,
      comparisons,
    };
  } finally {
    await server.stop();
  }
}
