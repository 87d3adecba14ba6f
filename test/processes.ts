/**
 * Real Baton processes for tests: `baton server` and `baton worker`, compiled and started the way
 * an operator starts them, on one fresh PostgreSQL schema; and the means to hurt them (SIGKILL,
 * SIGTERM, terminated database connections). Everything a cluster started, including the step
 * processes its workers left behind, is ended by `stop()`, and by a last resort at exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestLocation, TEST_POSTGRES_URL, type TestLocation } from './databases.js';
import { assertBuiltForThisRun } from './projects.js';

// Re-exported: the scale-out tests wait with it next to the processes they start.
export { eventually } from './eventually.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** How much of a process's output is kept for failure messages. */
const OUTPUT_KEPT = 64 * 1024;
const INT8_OID = 20;

export interface BuiltBaton {
  /** bin/baton.js, as a user runs it. */
  bin: string;
  remove(): Promise<void>;
}

/** Baton as compiled for this test run by test/global-setup.ts (once, before any test file). */
export async function buildBaton(): Promise<BuiltBaton> {
  assertBuiltForThisRun('test/processes.ts');
  await fs.access(path.join(ROOT, 'dist/src/cli/main.js'));
  return { bin: path.join(ROOT, 'bin/baton.js'), remove: async () => {} };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen. */
  at: number;
}

/** Every process started here, ended at exit should a test not get to its cleanup. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** One running `baton …` process with its output. */
export class BatonProcess {
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  private stdout = '';
  private log = '';
  private readonly readers = new Set<() => void>();

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    started.add(child);
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.keep(text);
      for (const reader of this.readers) reader();
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => this.keep(text));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        started.delete(child);
        this.exit = { code, signal, at: Date.now() };
        for (const reader of this.readers) reader();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last part of everything it printed (stdout and its JSON log on stderr). */
  get output(): string {
    return this.log;
  }

  private keep(text: string): void {
    this.log = (this.log + text).slice(-OUTPUT_KEPT);
  }

  /** Resolves with the match once stdout matches; rejects if the process exits or time runs out first. */
  waitForStdout(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(this.stdout);
        if (match) done(undefined, match);
        else if (this.exit) done(new Error(`exited (${this.exit.code ?? this.exit.signal}) first`));
      };
      const done = (error?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer);
        this.readers.delete(check);
        if (match) resolve(match);
        else reject(new Error(`${this.label}: ${error?.message}; its output:\n${this.output}`));
      };
      this.readers.add(check);
      check();
    });
  }

  /** Sends a signal to the process itself (SIGKILL is `kill -9`). */
  signal(signal: NodeJS.Signals): void {
    if (!this.exit) process.kill(this.pid, signal);
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Waits for the exit, or fails with the output after `timeoutMs`. */
  async waitForExit(timeoutMs = 30_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.label} did not exit in ${timeoutMs} ms; its output:\n${this.output}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends its whole process group at once. */
  async destroy(): Promise<void> {
    killGroup(this.child, 'SIGKILL');
    await this.exited;
  }
}

export class ServerProcess extends BatonProcess {
  /** http://127.0.0.1:PORT */
  url = '';
}

export class WorkerProcess extends BatonProcess {
  name = '';
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface StartOptions {
  /** Environment variables for this process (BATON_LEASE, BATON_DRAIN_TIMEOUT…). */
  env?: Record<string, string>;
  concurrency?: number;
}

/**
 * Baton processes sharing one fresh PostgreSQL schema. Their connections carry an
 * application_name of their own, so that `terminateConnections` ends theirs and nobody else's.
 */
export class Cluster {
  readonly token = 'baton_scale_out_admin_token';
  /** Set in the environment of every job applied through `jobDocument`, to find stray steps. */
  readonly tag = `so_${randomBytes(5).toString('hex')}`;
  readonly databaseUrl: string;
  /** The test's own connection to the schema (not ended by `terminateConnections`). */
  readonly db: pg.Pool;
  readonly processes: BatonProcess[] = [];
  private serial = 0;

  private constructor(
    private readonly bin: string,
    readonly location: TestLocation,
  ) {
    this.databaseUrl = `${location.url!}&application_name=baton_${this.tag}`;
    const schema = new URL(location.url!).searchParams.get('schema')!;
    this.db = new pg.Pool({
      connectionString: TEST_POSTGRES_URL,
      options: `-c search_path=${schema}`,
      application_name: `baton_test_${this.tag}`,
      max: 3,
      // Timestamps are epoch milliseconds in bigint columns: numbers, as Baton reads them.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    this.db.on('error', () => undefined);
  }

  static async create(built: BuiltBaton): Promise<Cluster> {
    return new Cluster(built.bin, await createTestLocation('postgres'));
  }

  /** A temporary directory for the test's files (removed by `stop`). */
  get dir(): string {
    return this.location.dir;
  }

  private spawn<P extends BatonProcess>(
    Kind: new (label: string, child: ChildProcess) => P,
    label: string,
    args: string[],
    extraEnv: Record<string, string>,
  ): P {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env))
      if (!name.startsWith('BATON_')) env[name] = value;
    Object.assign(env, { BATON_DATA_DIR: this.dir, BATON_KILL_GRACE: '1s' }, extraEnv);
    const child = spawn(process.execPath, [this.bin, ...args], {
      cwd: this.dir,
      env,
      // A process group of its own, so that cleanup can end it with anything it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const process_ = new Kind(label, child);
    this.processes.push(process_);
    return process_;
  }

  /**
   * Starts `baton server --port 0` and waits until it listens. The first server of a cluster
   * creates the schema and the admin (with this cluster's token).
   */
  async startServer(options: StartOptions & { worker?: boolean } = {}): Promise<ServerProcess> {
    const args = ['server', '--database-url', this.databaseUrl, '--port', '0', '--no-examples'];
    if (options.worker === false) args.push('--no-worker');
    if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
    // Only the first server is told the admin token: it bootstraps the empty database.
    const first = !this.processes.some((process_) => process_ instanceof ServerProcess);
    const env = { ...(first ? { BATON_ADMIN_TOKEN: this.token } : {}), ...options.env };
    const server = this.spawn(ServerProcess, `server ${++this.serial}`, args, env);
    const [, url] = await server.waitForStdout(/^Baton is listening on (http:\S+)/m);
    server.url = url!;
    return server;
  }

  /** Starts `baton worker` and waits until it runs. */
  async startWorker(
    options: StartOptions & { name?: string; groups?: string[] } = {},
  ): Promise<WorkerProcess> {
    const name = options.name ?? `worker-${++this.serial}-${this.tag}`;
    const args = ['worker', '--database-url', this.databaseUrl, '--name', name];
    for (const group of options.groups ?? []) args.push('--group', group);
    if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
    const worker = this.spawn(WorkerProcess, `worker ${name}`, args, options.env ?? {});
    await worker.waitForStdout(/^Worker \S+ is running/m);
    worker.name = name;
    return worker;
  }

  /** Calls a server's API as the admin. */
  async request<T = unknown>(
    server: ServerProcess,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: (type.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** A job document whose steps carry this cluster's tag (see `killStraySteps`). */
  jobDocument(name: string, spec: Record<string, unknown>): string {
    const env = { ...(spec.env as Record<string, string> | undefined), SCALE_OUT_TAG: this.tag };
    return JSON.stringify({
      apiVersion: 'baton/v1',
      kind: 'Job',
      metadata: { name, project: 'scale' },
      spec: { ...spec, env },
    });
  }

  /** Applies documents through a server's API; throws unless it answers 200. */
  async apply(server: ServerProcess, ...documents: string[]): Promise<void> {
    const files = documents.map((content, index) => ({ name: `doc-${index}.json`, content }));
    const response = await this.request(server, 'POST', '/api/v1/apply', { files });
    if (response.status !== 200) throw new Error(`apply failed: ${JSON.stringify(response.body)}`);
  }

  /** Queues an execution of scale/JOB through a server's API; returns its id. */
  async run(server: ServerProcess, job: string, options: Record<string, unknown> = {}): Promise<number> {
    const response = await this.request<{ execution: { id: number } }>(
      server,
      'POST',
      `/api/v1/jobs/scale/${job}/executions`,
      { options },
    );
    if (response.status !== 201) throw new Error(`run failed: ${JSON.stringify(response.body)}`);
    return response.body.execution.id;
  }

  /** A query on the cluster's schema over the test's own connection. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.db.query<R>(text, values)).rows;
  }

  /** Ends every database connection of this cluster's Baton processes, as a failover would. */
  async terminateConnections(): Promise<number> {
    const rows = await this.query<{ ended: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended
         FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [`baton_${this.tag}`],
    );
    return Number(rows[0]?.ended ?? 0);
  }

  /**
   * Ends the step processes of this cluster's jobs that outlived their worker (a worker killed
   * with SIGKILL cannot end the process trees it started; they live in sessions of their own).
   */
  async killStraySteps(): Promise<number> {
    const marker = `SCALE_OUT_TAG=${this.tag}`;
    let killed = 0;
    for (const entry of await fs.readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const environ = await fs.readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
      if (!environ.split('\0').includes(marker)) continue;
      try {
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      } catch {
        // gone meanwhile
      }
    }
    return killed;
  }

  /** Kills every process (and process group) of the cluster, its stray steps, and drops the schema. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((process_) => process_.destroy()));
    await this.killStraySteps();
    await this.db.end().catch(() => undefined);
    await this.location.drop();
  }
}
