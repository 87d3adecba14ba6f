/**
 * Memory of a `baton worker` process: its peak resident set (VmHWM) once started and idle, and
 * after running 500 trivial executions at concurrency 8. An idle `node` process is the
 * baseline, for scale: what the runtime costs before Baton loads anything.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJob } from '../src/automation/jobs/store.js';
import {
  PROJECT,
  compare,
  jobDocument,
  printTable,
  progress,
  readMemoryStatus,
  startInProcessServer,
  type Comparison,
  type MemoryStatus,
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
const EXECUTIONS = Number(process.env.BENCH_WORKER_RSS_EXECUTIONS ?? 500);
/** Long enough for the heartbeat, a lease renewal and the duties to have run once. */
const IDLE_MS = 3000;

export interface WorkerRssResult {
  skipped?: string;
  executions?: number;
  concurrency?: number;
  bareNodePeakBytes?: number;
  idlePeakBytes?: number;
  idleRssBytes?: number;
  busyPeakBytes?: number;
  busyRssAfterBytes?: number;
  comparisons: Comparison[];
}

/** VmHWM of a `node` process that only keeps its event loop alive. */
async function bareNodeMemory(): Promise<MemoryStatus> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await sleep(1000);
    return readMemoryStatus(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function benchWorkerRss(): Promise<WorkerRssResult> {
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    progress(`worker-rss: skipped: ${unavailable}`);
    return { skipped: unavailable, comparisons: [] };
  }
  const bare = await bareNodeMemory();
  const schema = await createSchema('bench_worker_rss');
  const server = await startInProcessServer({ databaseUrl: schema.url, embeddedWorker: false });
  try {
    await server.applyJobs(jobDocument('echo', COMMAND));
    const job = (await getJob(server.baton.db, PROJECT, 'echo'))!;
    progress(`worker-rss: an idle baton worker for ${IDLE_MS / 1000} s`);
    const worker = await spawnWorkerProcess(schema.url, { concurrency: CONCURRENCY });
    let idle: MemoryStatus;
    let busy: MemoryStatus;
    try {
      await sleep(IDLE_MS);
      idle = worker.memory();
      progress(
        `worker-rss: the same worker running ${EXECUTIONS} executions of ${COMMAND}, ${CONCURRENCY} at once`,
      );
      await queueInBulk(server.baton.db, job, EXECUTIONS);
      server.baton.events.publish('queue');
      await waitUntil(
        `${EXECUTIONS} executions`,
        async () => (await countFinished(server.baton.db)) >= EXECUTIONS,
        { everyMs: 100 },
      );
      busy = worker.memory();
    } finally {
      await worker.stop();
    }
    const mb = (bytes: number) => bytes / 1e6;
    const comparisons = [
      compare('peak RSS, idle worker', 'MB', mb(bare.peak), mb(idle.peak)),
      compare(`peak RSS, after ${EXECUTIONS} executions`, 'MB', mb(bare.peak), mb(busy.peak)),
    ];
    printTable(`Worker memory: baton worker (VmHWM) vs an idle node process`, comparisons, [
      `idle: ${IDLE_MS / 1000} s after it started (RSS then ${mb(idle.rss).toFixed(0)} MB);` +
        ` busy: ${EXECUTIONS} executions of ${COMMAND} at concurrency ${CONCURRENCY}` +
        ` (RSS after ${mb(busy.rss).toFixed(0)} MB); baseline: node -e 'setInterval(…)'`,
    ]);
    return {
      executions: EXECUTIONS,
      concurrency: CONCURRENCY,
      bareNodePeakBytes: bare.peak,
      idlePeakBytes: idle.peak,
      idleRssBytes: idle.rss,
      busyPeakBytes: busy.peak,
      busyRssAfterBytes: busy.rss,
      comparisons,
    };
  } finally {
    await server.stop();
    await schema.drop();
  }
}
