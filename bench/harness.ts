/**
 * What every benchmark shares: a real Baton on a temporary SQLite database (in this process or
 * as a `baton server` child), the bare baselines it is compared with, and the statistics and
 * tables. Each benchmark reports Baton against a baseline measured in the same run, because the
 * machines are shared and noisy: an absolute time says little, a ratio says what Baton adds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBaton, type Baton } from '../src/app.js';
import { bootstrapAdmin } from '../src/access/bootstrap.js';
import type { Principal } from '../src/access/model.js';
import { generateToken } from '../src/access/tokens.js';
import { loadConfig, type ConfigOverrides } from '../src/platform/config.js';

/** The repository root (dist/bench/harness.js is two levels below it once compiled). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The admin that bootstrapAdmin creates on an empty database (the first user). */
export const ADMIN: Principal = { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' };

/** The project every benchmark job lives in. */
export const PROJECT = 'bench';

// ---------------------------------------------------------------------------------------------
// Statistics

/** The value below which `p` percent of the samples fall (nearest rank, as dashboards report it). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs `a` and `b` alternately (A B A B …) and returns their samples. Alternating spreads the
 * machine's slow moments (another tenant's build, a GC) over both sides instead of one.
 */
export async function interleave(
  rounds: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<{ a: number[]; b: number[] }> {
  const samples = { a: [] as number[], b: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    samples.a.push(await a());
    samples.b.push(await b());
  }
  return samples;
}

/** Asks V8 for a full collection between benchmarks (run.js is started with --expose-gc). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// ---------------------------------------------------------------------------------------------
// Baselines

export interface PipeRun {
  ms: number;
  bytes: number;
}

/**
 * The bare cost Baton is compared with: `bash -c command`, its stdout read to the end in Node,
 * and its exit waited for. No Baton code is involved.
 */
export function runBare(command: string): Promise<PipeRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (data: Buffer) => {
      bytes += data.length;
    });
    child.once('error', reject);
    // 'close' comes after both the exit and the end of stdout.
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`bash -c ${JSON.stringify(command)} exited with ${code}`));
      else resolve({ ms: performance.now() - started, bytes });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Baton under test

/** A job document with one bash step. */
export function jobDocument(name: string, script: string): string {
  const indented = script.replace(/^/gm, '        ');
  return `apiVersion: baton/v1
kind: Job
metadata: { name: ${name}, project: ${PROJECT} }
spec:
  steps:
    - name: main
      script: |
${indented}
`;
}

export interface InProcessServer {
  baton: Baton;
  url: string;
  /** The admin's token; only valid on the server that created the database. */
  token: string;
  dataDir: string;
  applyJobs(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts Baton in this process, listening on 127.0.0.1 at a free port, on a fresh SQLite database
 * in a temporary directory, or on the one in `overrides.dataDir` (which stop() then leaves alone).
 */
export async function startInProcessServer(overrides: ConfigOverrides = {}): Promise<InProcessServer> {
  const ownsDataDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  const token = generateToken();
  // An empty environment: a BATON_* variable of the shell running the bench must not change it.
  const config = loadConfig(
    { applyExamples: false, host: '127.0.0.1', port: 0, adminToken: token, ...overrides, dataDir },
    {},
  );
  const baton = await createBaton(config);
  await bootstrapAdmin(baton.db, token);
  const url = await baton.http.listen({ host: config.host, port: config.port });
  return {
    baton,
    url,
    token,
    dataDir,
    applyJobs: async (yaml) => {
      await baton.apply.apply({ files: [{ name: 'bench.yaml', content: yaml }] }, ADMIN);
    },
    stop: async () => {
      await baton.close();
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface MemoryStatus {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peak: number;
}

export interface ServerProcess {
  pid: number;
  url: string;
  token: string;
  dataDir: string;
  memory(): MemoryStatus;
  stop(): Promise<void>;
}

/** Reads VmRSS and VmHWM of a process from /proc (kB there). */
export function readMemoryStatus(pid: number): MemoryStatus {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}

/**
 * Starts `baton server` as a child process, the way an operator would, so its memory can be
 * measured apart from the bench's own (which holds samples, buffers, a fetch client). `args`
 * go after the defaults (`--no-worker`, `--database-url …`).
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  const token = generateToken();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'baton.js'),
      'server',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--no-examples',
      ...args,
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? os.tmpdir(),
        BATON_ADMIN_TOKEN: token,
        BATON_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('baton server exited before it listened')));
    lines.on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  return {
    pid: child.pid!,
    url,
    token,
    dataDir,
    memory: () => readMemoryStatus(child.pid!),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small client of the HTTP API, as the admin. */
export class ApiClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async applyJobs(yaml: string): Promise<void> {
    await this.request('POST', '/api/v1/apply', { files: [{ name: 'bench.yaml', content: yaml }] });
  }

  /** Queues a run of a bench job; returns the execution id. */
  async run(job: string): Promise<number> {
    const { execution } = await this.request<{ execution: { id: number } }>(
      'POST',
      `/api/v1/jobs/${PROJECT}/${job}/executions`,
      {},
    );
    return execution.id;
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

/** One Baton-versus-baseline figure, as printed and as recorded in the bench-result line. */
export interface Comparison {
  measure: string;
  unit: string;
  baseline: number;
  baton: number;
  /** Baton / baseline. */
  ratio: number;
  target: { op: '<=' | '>='; value: number } | undefined;
  /** Undefined when there is no target (a figure reported for information). */
  pass: boolean | undefined;
}

export function compare(
  measure: string,
  unit: string,
  baseline: number,
  baton: number,
  target?: Comparison['target'],
): Comparison {
  const ratio = baton / baseline;
  const pass = target && (target.op === '<=' ? ratio <= target.value : ratio >= target.value);
  return { measure, unit, baseline, baton, ratio, target, pass };
}

/** A figure of Baton alone against an absolute limit (peak memory), with the baseline for context. */
export function limit(
  measure: string,
  unit: string,
  baseline: number,
  baton: number,
  target: NonNullable<Comparison['target']>,
): Comparison {
  const pass = target.op === '<=' ? baton <= target.value : baton >= target.value;
  return { measure, unit, baseline, baton, ratio: Number.NaN, target, pass };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Prints a benchmark's comparisons as an aligned table, with any notes under it. */
export function printTable(title: string, rows: readonly Comparison[], notes: readonly string[] = []): void {
  const header = ['measure', 'baseline', 'Baton', 'ratio', 'target', 'result'];
  const body = rows.map((row) => [
    `${row.measure} (${row.unit})`,
    formatNumber(row.baseline),
    formatNumber(row.baton),
    Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}x` : '—',
    row.target ? `${row.target.op} ${row.target.value}${Number.isFinite(row.ratio) ? 'x' : ''}` : '—',
    row.pass === undefined ? '' : row.pass ? 'PASS' : 'MISS',
  ]);
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...body.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) =>
    cells.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
    );
  const out = process.stdout;
  out.write(`\n${title}\n`);
  out.write(`${format(header).join('  ')}\n`);
  out.write(`${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
  for (const line of body) out.write(`${format(line).join('  ')}\n`);
  for (const note of notes) out.write(`  ${note}\n`);
}

/** Writes a progress line to stderr, so stdout holds only the results. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
