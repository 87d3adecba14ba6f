/**
 * Throughput of trivial executions: 2,000 runs of `echo ok` queued first, then drained by one
 * server's embedded worker at its configured concurrency, against 2,000 bare spawns of the same
 * command with as many in flight. The gap is Baton's per-execution cost once waiting is out of
 * the picture: the claim, the step bookkeeping, the process-tree check, the log and the outcome.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { countByState } from '../src/automation/executions/store.js';
import { loadConfig } from '../src/platform/config.js';
import {
  ADMIN,
  PROJECT,
  collectGarbage,
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
  baselineAfterPerSecond: number;
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

/** Queues the executions on a server without a worker; returns how long queueing took, in seconds. */
async function queueExecutions(dataDir: string): Promise<number> {
  const server = await startInProcessServer({ dataDir, embeddedWorker: false });
  try {
    await server.applyJobs(jobDocument('echo', COMMAND));
    const started = performance.now();
    for (let i = 0; i < EXECUTIONS; i++) await server.baton.executions.run(ADMIN, PROJECT, 'echo', {});
    return (performance.now() - started) / 1000;
  } finally {
    await server.stop();
  }
}

export async function benchThroughput(): Promise<ThroughputResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  try {
    progress(`throughput: queueing ${EXECUTIONS} executions`);
    const queueSeconds = await queueExecutions(dataDir);

    // The embedded worker's default, as startInProcessServer resolves it (no environment).
    const concurrency = loadConfig({}, {}).workerConcurrency;

    progress(`throughput: ${EXECUTIONS} bare spawns, ${concurrency} in flight`);
    await bareSpawnsPerSecond(50, concurrency); // warm-up
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    const baselinePerSecond = await bareSpawnsPerSecond(EXECUTIONS, concurrency);

    progress(`throughput: draining them with the embedded worker (concurrency ${concurrency})`);
    // A second server on the same database drains the queue with the worker every server runs,
    // built by createBaton as in production, so this bench needs no knowledge of its options.
    const draining = await startInProcessServer({ dataDir });
    let firstClaimed: number;
    let lastFinished: number;
    let failed: number;
    try {
      // Polling the counts is cheap next to 2,000 runs; the times come from the rows themselves.
      for (;;) {
        const counts = await countByState(draining.baton.db);
        if ((counts.queued ?? 0) + (counts.running ?? 0) === 0) break;
        await sleep(50);
      }
      ({ firstClaimed, lastFinished, failed } = await draining.baton.db
        .selectFrom('executions')
        .select([
          sql<number>`min(started_at)`.as('firstClaimed'),
          sql<number>`max(finished_at)`.as('lastFinished'),
          sql<number>`sum(case when state = 'succeeded' then 0 else 1 end)`.as('failed'),
        ])
        .executeTakeFirstOrThrow());
    } finally {
      await draining.stop();
    }
    const batonPerSecond = EXECUTIONS / ((lastFinished - firstClaimed) / 1000);

    progress(`throughput: ${EXECUTIONS} bare spawns again`);
    // Measured again after the Baton run, but only reported: fork() copies the parent's page
    // tables, so it slows as this process's RSS grows, and what Baton's run left behind (memory
    // it never returns) would make the baseline look slower and Baton's ratio better.
    collectGarbage();
    const rssAfter = process.memoryUsage().rss;
    const afterPerSecond = await bareSpawnsPerSecond(EXECUTIONS, concurrency);

    const comparisons = [
      compare('trivial executions', 'per s', baselinePerSecond, batonPerSecond, { op: '>=', value: 0.6 }),
    ];
    printTable(`Throughput: ${EXECUTIONS} queued trivial executions vs bare spawns`, comparisons, [
      `concurrency ${concurrency}; Baton timed from the first claim to the last recorded finish;` +
        ` ${failed} not succeeded`,
      `bare spawns after the Baton run: ${afterPerSecond.toFixed(0)} per s (not used; this process's RSS` +
        ` ${(rssBefore / 1e6).toFixed(0)} → ${(rssAfter / 1e6).toFixed(0)} MB, and fork slows with RSS)`,
      `queueing ${EXECUTIONS} through ExecutionService.run took ${queueSeconds.toFixed(1)} s` +
        ` (${(EXECUTIONS / queueSeconds).toFixed(0)} per s)`,
    ]);
    return {
      executions: EXECUTIONS,
      concurrency,
      baselinePerSecond,
      baselineAfterPerSecond: afterPerSecond,
      batonPerSecond,
      ratio: comparisons[0]!.ratio,
      failed,
      queueSeconds,
      comparisons,
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
