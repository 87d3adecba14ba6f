/**
 * The `baton` command as users run it, for tests: a real Baton (SQLite) listening on a random
 * port, and the compiled CLI (bin/baton.js, built by test/global-setup.ts) started against it in
 * child processes. One harness, so that every CLI test isolates the child the same way: none of
 * the developer's BATON_* variables or saved login reach it, and it never touches their HOME.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBaton, type Baton } from '../src/app.js';
import { bootstrapAdmin } from '../src/access/bootstrap.js';
import { loadConfig, type ConfigOverrides } from '../src/platform/config.js';
import { assertBuiltForThisRun } from './projects.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'baton.js');

/** What a CLI run printed, and its exit code (null when a signal ended it). */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** BATON_TOKEN: the admin's token unless given, so a test acts as someone else by saying so. */
  token?: string;
  /** What the CLI reads on stdin; stdin is closed after it (at once when not given). */
  input?: string;
  /** Set last, over everything else; `undefined` removes a variable (e.g. BATON_TOKEN). */
  env?: Record<string, string | undefined>;
  /** The directory the CLI runs in; `work` when not given. */
  cwd?: string;
}

export interface CliServerOptions {
  /** The admin's token, bootstrapped before the server listens; 'test-token' when not given. */
  adminToken?: string;
  /** Over the defaults: a fresh data directory, no examples, 127.0.0.1 on a random port. */
  config?: ConfigOverrides;
}

export interface CliServer {
  baton: Baton;
  /** Where the server listens, as the CLI gets it in BATON_URL. */
  url: string;
  adminToken: string;
  /** A fresh temporary directory, Baton's data directory; stop() removes it. */
  dir: string;
  /** The CLI's HOME, empty: a login saved by one test is not read by the next. */
  home: string;
  /** The directory the CLI runs in unless told otherwise, for the files it is given. */
  work: string;
  /** Starts `baton ARGS…`; pass it to finished() or waitForText() at once, before it prints. */
  start(args: string[], options?: CliOptions): ChildProcessWithoutNullStreams;
  /** Runs `baton ARGS…` to the end. */
  cli(args: string[], options?: CliOptions): Promise<CliResult>;
  /** Ends any CLI still running (a failed test may leave a follower), closes Baton, removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts Baton with the admin bootstrapped, listening on a random port, for the CLI to talk to.
 * The configuration ignores this process's BATON_* variables, as the CLI's environment does.
 */
export async function startCliServer(options: CliServerOptions = {}): Promise<CliServer> {
  assertBuiltForThisRun('test/cli-harness.ts');
  const adminToken = options.adminToken ?? 'test-token';
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-cli-'));
  const home = path.join(dir, 'home');
  const work = path.join(dir, 'work');
  let baton: Baton | undefined;
  try {
    await fs.mkdir(home);
    await fs.mkdir(work);
    baton = await createBaton(
      loadConfig(
        {
          dataDir: dir,
          host: '127.0.0.1',
          port: 0,
          applyExamples: false,
          // SLOs are evaluated when a test asks (`baton.sloEvaluation.evaluateNow`), never on a
          // timer that could overwrite the statuses a test writes (see test/baton.ts).
          sloIntervalMs: 0,
          ...options.config,
        },
        {},
      ),
    );
    await bootstrapAdmin(baton.db, adminToken);
    const url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
    const running = new Set<ChildProcessWithoutNullStreams>();

    /** A user's environment with BATON_URL and BATON_TOKEN set and nothing else of Baton's. */
    const cliEnv = (cliOptions: CliOptions): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {};
      for (const [name, value] of Object.entries(process.env)) {
        if (!name.startsWith('BATON_') && name !== 'XDG_CONFIG_HOME') env[name] = value;
      }
      Object.assign(env, { HOME: home, BATON_URL: url, BATON_TOKEN: cliOptions.token ?? adminToken });
      Object.assign(env, cliOptions.env);
      for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
      return env;
    };

    const start = (args: string[], cliOptions: CliOptions = {}): ChildProcessWithoutNullStreams => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: cliOptions.cwd ?? work,
        env: cliEnv(cliOptions),
      });
      running.add(child);
      child.once('close', () => running.delete(child));
      child.stdin.end(cliOptions.input ?? '');
      return child;
    };

    const started = baton;
    return {
      baton: started,
      url,
      adminToken,
      dir,
      home,
      work,
      start,
      cli: (args, cliOptions) => finished(start(args, cliOptions)),
      stop: async () => {
        await Promise.all(
          [...running].map((child) => {
            const closed = new Promise((resolve) => child.once('close', resolve));
            child.kill('SIGKILL');
            return closed;
          }),
        );
        await started.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await baton?.close();
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What a started CLI printed, and its exit code; call it before the CLI can print anything. */
export function finished(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Resolves with all the text of one output of a started CLI once it matches; rejects if the CLI
 * exits first. For acting on a CLI that is still running, e.g. sending Ctrl-C once it follows.
 */
export function waitForText(
  child: ChildProcessWithoutNullStreams,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        child[stream].off('data', onData);
        resolve(text);
      }
    };
    child[stream].on('data', onData);
    child.once('close', (code) =>
      reject(new Error(`baton exited (${code}) before printing ${pattern}: ${text}`)),
    );
  });
}
