/**
 * Latency of a trivial job across processes, as a scaled-out Baton runs it: the HTTP call to a
 * `baton server --no-worker` queues `echo ok` on PostgreSQL, the server's NOTIFY wakes a
 * separate `baton worker`, which claims, runs and records it. Compared with spawning
 * `bash -c 'echo ok'` and reading its output. The completion is seen the way any other process
 * sees it: the worker's NOTIFY of the execution, confirmed by its row.
 */
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/platform/db/database.js';
import {
  ApiClient,
  compare,
  interleave,
  jobDocument,
  median,
  percentile,
  printTable,
  progress,
  runBare,
  startServerProcess,
  type Comparison,
} from './harness.js';
import { CompletionWatcher, phases, type Sent } from './latency.js';
import { createSchema, postgresUnavailable, spawnWorkerProcess } from './postgres.js';

const COMMAND = 'echo ok';
const WARMUP = 10;
const SAMPLES = Number(process.env.BENCH_REMOTE_LATENCY_SAMPLES ?? 60);

export interface RemoteLatencyResult {
  skipped?: string;
  samples?: number;
  baselineMedianMs?: number;
  baselineP90Ms?: number;
  batonMedianMs?: number;
  batonP90Ms?: number;
  ratio?: number;
  ratioP90?: number;
  phaseMs?: Record<string, number>;
  comparisons: Comparison[];
}

export async function benchRemoteLatency(): Promise<RemoteLatencyResult> {
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    progress(`remote-latency: skipped: ${unavailable}`);
    return { skipped: unavailable, comparisons: [] };
  }
  const schema = await createSchema('bench_remote');
  const server = await startServerProcess({}, ['--no-worker', '--database-url', schema.url]);
  const worker = await spawnWorkerProcess(schema.url, { concurrency: 8 });
  // The bench's own view of the database: the same LISTEN/NOTIFY bus as the two processes.
  const database = await openDatabase({ url: schema.url, migrate: false });
  const events = await database.createEventBus();
  const watcher = new CompletionWatcher({ db: database.db, events });
  try {
    const api = new ApiClient(server.url, server.token);
    await api.applyJobs(jobDocument('echo', COMMAND));

    const sent: Sent[] = [];
    const baseline = async () => (await runBare(COMMAND)).ms;
    const baton = async () => {
      const sentAt = Date.now();
      const started = performance.now();
      const id = await api.run('echo');
      sent.push({ id, sentAt });
      return (await watcher.finished(id)) - started;
    };

    progress(
      `remote-latency: baton server --no-worker + baton worker on PostgreSQL; ${WARMUP} warm-up rounds,` +
        ` then ${SAMPLES} interleaved samples each`,
    );
    await interleave(WARMUP, baseline, baton);
    sent.length = 0;
    const samples = await interleave(SAMPLES, baseline, baton);
    const phaseMs = await phases(database.db, sent);

    const result = {
      samples: SAMPLES,
      baselineMedianMs: median(samples.a),
      baselineP90Ms: percentile(samples.a, 90),
      batonMedianMs: median(samples.b),
      batonP90Ms: percentile(samples.b, 90),
    };
    const comparisons = [
      compare('median latency', 'ms', result.baselineMedianMs, result.batonMedianMs, { op: '<=', value: 3 }),
      compare('p90 latency', 'ms', result.baselineP90Ms, result.batonP90Ms),
    ];
    printTable(
      'Remote latency: HTTP on baton server --no-worker → recorded by a separate baton worker, vs bare spawn',
      comparisons,
      [
        `${SAMPLES} samples each, interleaved; PostgreSQL, wake-up by LISTEN/NOTIFY; completion seen through` +
          " the worker's NOTIFY, confirmed by the row",
        `Baton phases, median ms from stored timestamps: ${Object.entries(phaseMs)
          .map(([name, ms]) => `${name} ${ms}`)
          .join(', ')}`,
        '  (claim = queued → claimed by the other process: NOTIFY, wake-up and the claim statement)',
      ],
    );
    return { ...result, phaseMs, ratio: comparisons[0]!.ratio, ratioP90: comparisons[1]!.ratio, comparisons };
  } finally {
    watcher.close();
    await database.close();
    await worker.stop();
    await server.stop();
    await schema.drop();
  }
}
