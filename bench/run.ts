/**
 * `npm run bench`: Baton against bare baselines measured in the same run, printed as tables and
 * as one `bench-result {…}` JSON line to copy into a note. BENCH_ONLY=latency,throughput,logs
 * picks benchmarks; BENCH_LATENCY_SAMPLES, BENCH_THROUGHPUT_EXECUTIONS, BENCH_LOG_BYTES and
 * BENCH_LOG_ROUNDS shrink or grow them. Never part of `npm test`: the numbers depend on the
 * machine and its load. Exits 0 when a target is missed: the result is a measurement, not a test.
 *
 * The PostgreSQL parts (queue, remote-latency, backlog, worker-rss) use the tests' server
 * (BENCH_POSTGRES_URL or BATON_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
 * a fresh schema each, and report themselves skipped when it is unreachable. BENCH_QUEUE_JOBS,
 * BENCH_QUEUE_ROUNDS, BENCH_QUEUE_FULL_EXECUTIONS, BENCH_REMOTE_LATENCY_SAMPLES,
 * BENCH_BACKLOG_QUEUED, BENCH_BACKLOG_EXECUTIONS and BENCH_WORKER_RSS_EXECUTIONS size them;
 * BENCH_WORKER_PROFILE_DIR=DIR writes a CPU profile of every `baton worker` they start.
 *
 * `access` lists executions as a user whose view policies decide against the same listing as the
 * admin (SQLite, in-process); BENCH_ACCESS_EXECUTIONS and BENCH_ACCESS_SAMPLES size it.
 *
 * `schedules` fires 1,000 schedules due in the same second on SQLite and PostgreSQL and reports
 * p50/p99/max lateness against one schedule alone; BENCH_SCHEDULES and BENCH_SCHEDULE_ROUNDS size it.
 *
 * `nodes` fans a trivial step out to 20 real sshd nodes (parallelism 20) and compares it with 20
 * runs one after another on one node; BENCH_NODES and BENCH_NODES_ROUNDS size it.
 *
 * `ui` drives the web UI in Chromium (installed by scripts/install-test-deps.sh when missing): the
 * initial JavaScript size, the time to the first line of a 1,000,000-line log, and the longest
 * main-thread task while scrolling it; BENCH_UI_LINES and BENCH_UI_ROUNDS size it.
 *
 * `chaos` hurts real servers and workers (SIGSTOP/SIGCONT, kill -9, a flood of log followers)
 * and prints each promise as held or did not hold; a check that did not hold counts as a missed
 * target. BENCH_CHAOS_FOLLOWERS sizes the flood.
 *
 * `slo` evaluates 1,000 SLOs on a month of Baton's own executions (first round and a steady
 * round, against the 1-minute interval), times the error-budget gate on starting a change job
 * against a routine job, and reports the slices' storage per SLO, on SQLite and PostgreSQL;
 * BENCH_SLO_COUNT, BENCH_SLO_EXECUTIONS_PER_HOUR, BENCH_SLO_STEADY_ROUNDS and
 * BENCH_SLO_GATE_SAMPLES size it.
 */
import os from 'node:os';
import { benchAccess } from './access.js';
import { benchChaos } from './chaos.js';
import { benchBacklog } from './backlog.js';
import { benchLatency } from './latency.js';
import { benchLogIngestion } from './log-ingestion.js';
import { benchQueue } from './queue.js';
import { benchRemoteLatency } from './remote-latency.js';
import { benchSchedules } from './schedules.js';
import { benchSlo } from './slo.js';
import { benchNodes } from './nodes.js';
import { benchThroughput } from './throughput.js';
import { benchUi } from './ui.js';
import { benchWorkerRss } from './worker-rss.js';
import { collectGarbage, progress, type Comparison } from './harness.js';

/** What a benchmark returns: its comparisons, and for `chaos` how many of its checks did not hold. */
type BenchResult = { comparisons: Comparison[]; notHeld?: number };

const BENCHMARKS: Record<string, () => Promise<BenchResult>> = {
  latency: benchLatency,
  throughput: benchThroughput,
  logs: benchLogIngestion,
  queue: benchQueue,
  'remote-latency': benchRemoteLatency,
  backlog: benchBacklog,
  'worker-rss': benchWorkerRss,
  access: benchAccess,
  schedules: benchSchedules,
  nodes: benchNodes,
  ui: benchUi,
  chaos: benchChaos,
  slo: benchSlo,
};

function selected(): string[] {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!only || only.length === 0) return Object.keys(BENCHMARKS);
  const unknown = only.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})`,
    );
  }
  return only;
}

async function main(): Promise<void> {
  const names = selected();
  const started = Date.now();
  const results: Record<string, unknown> = {};
  let missed = 0;
  process.stdout.write(
    `Baton bench: node ${process.version}, ${os.availableParallelism()} CPUs, load ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}\n`,
  );
  for (const name of names) {
    collectGarbage();
    const { comparisons, ...numbers } = await BENCHMARKS[name]!();
    const notHeld = numbers.notHeld ?? 0;
    missed += comparisons.filter((comparison) => comparison.pass === false).length + notHeld;
    results[name] = {
      ...numbers,
      pass: comparisons.every((comparison) => comparison.pass !== false) && notHeld === 0,
    };
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `\n${missed === 0 ? 'all targets met' : `${missed} target(s) missed`} in ${seconds.toFixed(0)} s\n`,
  );
  process.stdout.write(
    `bench-result ${JSON.stringify({
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.availableParallelism(),
      loadAverage: os.loadavg(),
      seconds,
      ...results,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
