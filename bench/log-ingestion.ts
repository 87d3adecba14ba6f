/**
 * Log ingestion: a job that prints 200 MB of ~100-byte lines, from the HTTP call that queues it
 * to its recorded completion with every byte stored, against reading the same bytes from the
 * same command through a plain pipe. The server runs as its own `baton server` process so that
 * its peak memory (VmHWM) is its own; the writer promises memory bounded whatever a job prints.
 * Also reports how well stored logs compress, for this flood and for a log of varied text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import {
  ApiClient,
  compare,
  interleave,
  jobDocument,
  limit,
  median,
  printTable,
  progress,
  readMemoryStatus,
  runBare,
  startServerProcess,
  type Comparison,
} from './harness.js';

const MB = 1e6;
const FLOOD_BYTES = Number(process.env.BENCH_LOG_BYTES ?? 200 * MB);
const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 5);
/** How often the server's RSS is sampled while a job floods it. */
const RSS_SAMPLE_MS = 20;
/** Varied, deterministic text: file names of installed documentation, then a long listing. */
const TYPICAL_SCRIPT = 'find /usr/share/doc -type f | sort | head -20000\nls -la /usr/lib';

export interface LogIngestionResult {
  bytes: number;
  rounds: number;
  baselineMBps: number;
  batonMBps: number;
  ratio: number;
  rssBeforeMB: number;
  rssPeakSampledMB: number;
  rssHighWaterMB: number;
  compressionFlood: number;
  compressionTypical: number;
  typicalBytes: number;
  comparisons: Comparison[];
}

interface ExecutionView {
  id: number;
  state: string;
  reason: string | null;
  log: { lines: number; bytes: number; discardedBytes: number };
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/**
 * Writes `bytes` of log-like lines (~100 bytes: time, level, component, request, status,
 * latency, id) from a fixed seed, so every run and every machine ingests the same text and
 * compresses it alike. Real logs repeat their structure but not their values; a `yes` flood
 * would compress a hundredfold and flatter the writer.
 */
export function writeFloodFile(file: string, bytes: number): void {
  let seed = 0x9e3779b9;
  // xorshift32: fast, and enough to keep gzip from finding long repeats.
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const levels = ['INFO ', 'INFO ', 'INFO ', 'DEBUG', 'WARN ', 'ERROR'];
  const components = ['api', 'worker', 'scheduler', 'auth', 'billing', 'search'];
  const routes = [
    '/api/v1/orders/',
    '/api/v1/users/',
    '/api/v1/invoices/',
    '/healthz?probe=',
    '/api/v2/carts/',
  ];
  const methods = ['GET', 'GET', 'POST', 'PUT', 'DELETE'];
  const statuses = [200, 200, 200, 201, 204, 304, 400, 404, 500, 503];
  const fd = fs.openSync(file, 'w');
  try {
    let written = 0;
    let ms = Date.UTC(2024, 4, 1);
    while (written < bytes) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        ms += next() % 50;
        const r = next();
        lines.push(
          `${new Date(ms).toISOString()} ${levels[r % 6]} ${components[(r >>> 3) % 6]}[${1000 + ((r >>> 6) % 64)}] ` +
            `${methods[(r >>> 12) % 5]} ${routes[(r >>> 15) % 5]}${next() % 1_000_000} status=${statuses[(r >>> 18) % 10]} ` +
            `latency=${(next() % 5000) / 10}ms req=${next().toString(16).padStart(8, '0')}\n`,
        );
      }
      const block = Buffer.from(lines.join(''));
      const take = Math.min(block.length, bytes - written);
      fs.writeSync(fd, block, 0, take);
      written += take;
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function waitForExecution(api: ApiClient, id: number): Promise<ExecutionView> {
  for (;;) {
    const { execution } = await api.request<{ execution: ExecutionView }>('GET', `/api/v1/executions/${id}`);
    if (TERMINAL.has(execution.state)) return execution;
    await sleep(20);
  }
}

/** Stored bytes of an execution's log: raw line bytes and compressed chunk bytes. */
async function storedLogSize(dataDir: string, id: number): Promise<{ raw: number; stored: number }> {
  // The server keeps running; WAL lets this second connection read beside it.
  const database = await openDatabase({ sqlitePath: path.join(dataDir, 'baton.db'), migrate: false });
  try {
    return await database.db
      .selectFrom('log_chunks')
      .select([sql<number>`sum(raw_bytes)`.as('raw'), sql<number>`sum(length(data))`.as('stored')])
      .where('execution_id', '=', id)
      .executeTakeFirstOrThrow();
  } finally {
    await database.close();
  }
}

export async function benchLogIngestion(): Promise<LogIngestionResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-log-'));
  const file = path.join(scratch, 'flood.log');
  progress(`logs: writing ${(FLOOD_BYTES / MB).toFixed(0)} MB of log lines to ${file}`);
  writeFloodFile(file, FLOOD_BYTES);
  const command = `cat ${file}`;

  // BATON_LOG_CAP raised past the flood, so every byte is stored and none discarded.
  const server = await startServerProcess({ BATON_LOG_CAP: '1GB' });
  try {
    const api = new ApiClient(server.url, server.token);
    await api.applyJobs(jobDocument('flood', command) + '---\n' + jobDocument('typical', TYPICAL_SCRIPT));

    const baseline = async () => {
      const run = await runBare(command);
      if (run.bytes !== FLOOD_BYTES) throw new Error(`the pipe gave ${run.bytes} bytes, not ${FLOOD_BYTES}`);
      return FLOOD_BYTES / MB / (run.ms / 1000);
    };
    const floodIds: number[] = [];
    let peakSampled = 0;
    const baton = async () => {
      const sampler = setInterval(() => {
        peakSampled = Math.max(peakSampled, readMemoryStatus(server.pid).rss);
      }, RSS_SAMPLE_MS);
      try {
        const started = performance.now();
        const id = await api.run('flood');
        const execution = await waitForExecution(api, id);
        const seconds = (performance.now() - started) / 1000;
        if (execution.state !== 'succeeded')
          throw new Error(`flood run ${id} ${execution.state}: ${execution.reason}`);
        if (execution.log.discardedBytes > 0 || execution.log.bytes < FLOOD_BYTES) {
          throw new Error(
            `flood run ${id} stored ${execution.log.bytes} bytes, discarded ${execution.log.discardedBytes}`,
          );
        }
        floodIds.push(id);
        return FLOOD_BYTES / MB / seconds;
      } finally {
        clearInterval(sampler);
      }
    };

    // Warm the page cache with the file, and the bench's own pipe path, before anything is timed.
    await baseline();
    const before = server.memory();
    progress(
      `logs: ${ROUNDS} interleaved rounds of pipe and Baton (server RSS ${(before.rss / MB).toFixed(0)} MB)`,
    );
    const samples = await interleave(ROUNDS, baseline, baton);
    const after = server.memory();

    progress('logs: a typical log, for its compression');
    const typicalId = await api.run('typical');
    const typical = await waitForExecution(api, typicalId);
    if (typical.state !== 'succeeded')
      throw new Error(`typical run ${typicalId} ${typical.state}: ${typical.reason}`);
    const floodSize = await storedLogSize(server.dataDir, floodIds[0]!);
    const typicalSize = await storedLogSize(server.dataDir, typicalId);

    const baselineMBps = median(samples.a);
    const batonMBps = median(samples.b);
    const comparisons = [
      compare('ingestion', 'MB/s', baselineMBps, batonMBps, { op: '>=', value: 0.5 }),
      limit('server peak RSS (VmHWM)', 'MB', before.rss / MB, after.peak / MB, { op: '<=', value: 150 }),
    ];
    const compressionFlood = floodSize.raw / floodSize.stored;
    const compressionTypical = typicalSize.raw / typicalSize.stored;
    printTable(`Log ingestion: ${(FLOOD_BYTES / MB).toFixed(0)} MB of ~100-byte lines`, comparisons, [
      `median of ${ROUNDS} interleaved rounds; samples pipe ${samples.a.map((v) => v.toFixed(0)).join('/')},` +
        ` Baton ${samples.b.map((v) => v.toFixed(0)).join('/')} MB/s`,
      `Baton = queue over HTTP → recorded completion of \`${command}\`, every byte stored (cap 1 GB);` +
        ' baseline = the same command read through a pipe in Node',
      `RSS: baseline column = server RSS before the runs; peak sampled every ${RSS_SAMPLE_MS} ms` +
        ` ${(peakSampled / MB).toFixed(0)} MB, VmHWM ${(after.peak / MB).toFixed(0)} MB`,
      `stored log compression: flood ${compressionFlood.toFixed(2)}x` +
        ` (${(floodSize.raw / MB).toFixed(0)} MB → ${(floodSize.stored / MB).toFixed(1)} MB),` +
        ` typical ${compressionTypical.toFixed(2)}x (${(typicalSize.raw / MB).toFixed(2)} MB → ` +
        `${(typicalSize.stored / MB).toFixed(2)} MB; \`${TYPICAL_SCRIPT.replace('\n', '; ')}\`)`,
    ]);
    return {
      bytes: FLOOD_BYTES,
      rounds: ROUNDS,
      baselineMBps,
      batonMBps,
      ratio: comparisons[0]!.ratio,
      rssBeforeMB: before.rss / MB,
      rssPeakSampledMB: peakSampled / MB,
      rssHighWaterMB: after.peak / MB,
      compressionFlood,
      compressionTypical,
      typicalBytes: typicalSize.raw,
      comparisons,
    };
  } finally {
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
