/**
 * Latency of a trivial job: from the HTTP call that queues `echo ok` to its recorded completion,
 * against spawning `bash -c 'echo ok'` and reading its output. The gap is what Baton adds to
 * every run a user waits for: HTTP and auth, the queue row, the claim, the script file, the
 * process-tree bookkeeping, the log chunk and the recorded outcome.
 */
import { performance } from 'node:perf_hooks';
import type { Db } from '../src/platform/db/database.js';
import type { EventBus } from '../src/platform/events.js';
import { TERMINAL_STATES } from '../src/automation/executions/model.js';
import { getExecution, getExecutionState, listSteps } from '../src/automation/executions/store.js';
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
  startInProcessServer,
  type Comparison,
} from './harness.js';

const COMMAND = 'echo ok';
const WARMUP = 10;
const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 60);

export interface LatencyResult {
  samples: number;
  baselineMedianMs: number;
  baselineP90Ms: number;
  batonMedianMs: number;
  batonP90Ms: number;
  ratio: number;
  ratioP90: number;
  phaseMs: Record<string, number>;
  comparisons: Comparison[];
}

/**
 * Records when each execution is first seen finished. The worker publishes 'execution' right
 * after it stores the outcome, so the time of that event, once the row confirms a terminal
 * state, is the moment the completion became visible. It may come before the HTTP answer that
 * named the id reaches the client, hence the map rather than a waiter registered afterwards.
 * On PostgreSQL the bus is LISTEN/NOTIFY, so this sees a worker in another process finish.
 */
export class CompletionWatcher {
  private readonly finishedAt = new Map<number, number>();
  private readonly waiters = new Map<number, (at: number) => void>();
  private readonly unsubscribe: () => void;

  constructor(private readonly baton: { db: Db; events: EventBus }) {
    this.unsubscribe = baton.events.subscribe('execution', (id) => {
      if (id === undefined || this.finishedAt.has(id)) return;
      const at = performance.now();
      void getExecutionState(this.baton.db, id).then((state) => {
        if (!state || !TERMINAL_STATES.has(state) || this.finishedAt.has(id)) return;
        this.finishedAt.set(id, at);
        this.waiters.get(id)?.(at);
        this.waiters.delete(id);
      });
    });
  }

  /** performance.now() at which the execution was seen finished. */
  finished(id: number): Promise<number> {
    const at = this.finishedAt.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }

  close(): void {
    this.unsubscribe();
  }
}

export interface Sent {
  id: number;
  /** Date.now() just before the request, comparable with the stored timestamps. */
  sentAt: number;
}

/**
 * Where a run's time went, from the timestamps Baton stores (millisecond resolution): the medians
 * of request → queued, queued → claimed, claimed → step started, the step, step ended → recorded.
 */
export async function phases(db: Db, sent: readonly Sent[]): Promise<Record<string, number>> {
  const columns: Record<string, number[]> = { request: [], claim: [], prepare: [], step: [], record: [] };
  for (const { id, sentAt } of sent) {
    const execution = await getExecution(db, id);
    const [step] = await listSteps(db, id);
    if (!execution?.startedAt || !execution.finishedAt || !step?.startedAt || !step.finishedAt) continue;
    columns.request!.push(execution.queuedAt.getTime() - sentAt);
    columns.claim!.push(execution.startedAt.getTime() - execution.queuedAt.getTime());
    columns.prepare!.push(step.startedAt.getTime() - execution.startedAt.getTime());
    columns.step!.push(step.finishedAt.getTime() - step.startedAt.getTime());
    columns.record!.push(execution.finishedAt.getTime() - step.finishedAt.getTime());
  }
  return Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, median(values)]));
}

export async function benchLatency(): Promise<LatencyResult> {
  const server = await startInProcessServer();
  const watcher = new CompletionWatcher(server.baton);
  try {
    await server.applyJobs(jobDocument('echo', COMMAND));
    const api = new ApiClient(server.url, server.token);

    const sent: Sent[] = [];
    const baseline = async () => (await runBare(COMMAND)).ms;
    const baton = async () => {
      const sentAt = Date.now();
      const started = performance.now();
      const id = await api.run('echo');
      sent.push({ id, sentAt });
      return (await watcher.finished(id)) - started;
    };

    progress(`latency: ${WARMUP} warm-up rounds, then ${SAMPLES} interleaved samples each`);
    // JIT, the SQLite page cache, the HTTP keep-alive connection and bash's page cache all warm up here.
    await interleave(WARMUP, baseline, baton);
    sent.length = 0;
    const samples = await interleave(SAMPLES, baseline, baton);
    const phaseMs = await phases(server.baton.db, sent);

    const result = {
      samples: SAMPLES,
      baselineMedianMs: median(samples.a),
      baselineP90Ms: percentile(samples.a, 90),
      batonMedianMs: median(samples.b),
      batonP90Ms: percentile(samples.b, 90),
    };
    const comparisons = [
      compare('median latency', 'ms', result.baselineMedianMs, result.batonMedianMs, { op: '<=', value: 2 }),
      compare('p90 latency', 'ms', result.baselineP90Ms, result.batonP90Ms),
    ];
    printTable('Latency: trivial job, queue over HTTP → recorded completion vs bare spawn', comparisons, [
      `${SAMPLES} samples each, interleaved; baseline = spawn('bash', ['-c', '${COMMAND}']) + read stdout + exit`,
      `Baton phases, median ms from stored timestamps: ${Object.entries(phaseMs)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')}`,
      '  (request = HTTP call → row queued; claim; prepare = claimed → step started; step = script' +
        ' file, spawn, exit, process-tree check; record = log stored and outcome recorded)',
    ]);
    return { ...result, phaseMs, ratio: comparisons[0]!.ratio, ratioP90: comparisons[1]!.ratio, comparisons };
  } finally {
    watcher.close();
    await server.stop();
  }
}
