/**
 * The follower flood: many live log followers (Server-Sent Events) on one busy execution of a
 * `baton server` child process, while a probe asks /healthz every 100 ms. Reports the probe's
 * latency, the server's peak resident set, how many followers read the whole log and how many
 * were refused by the stream limits (429). Callable on its own (`followerFlood()`) so the chaos
 * part of `npm run bench` can run it; BENCH_FLOOD_FOLLOWERS, BENCH_FLOOD_LOG_BYTES and
 * BENCH_FLOOD_DEADLINE_MS size it.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATES, type ExecutionState } from '../src/automation/executions/model.js';
import { ApiClient, jobDocument, percentile, progress, startServerProcess } from './harness.js';

export interface FollowerFloodOptions {
  /** Streams opened at once on the execution (default 50). */
  followers?: number;
  /** Bytes the execution prints (default 50,000,000). */
  logBytes?: number;
  /** Extra environment for the server (for example the stream limits). */
  env?: Record<string, string>;
  /** Followers still open after this long are closed and not counted as completed (default 300,000). */
  deadlineMs?: number;
}

export interface FollowerFloodResult {
  /** 99th percentile of /healthz while the execution ran and the followers were open, milliseconds. */
  healthzP99Ms: number;
  healthzP50Ms: number;
  healthzSamples: number;
  /** From the first follower opened to the end of the execution and of every follower. */
  durationMs: number;
  healthzMaxMs: number;
  /** Peak resident set of the server process (VmHWM), MiB. */
  rssPeakMb: number;
  /** Followers that were let in. */
  followers: number;
  /** Followers that read up to the `end` event. */
  completed: number;
  /** Followers refused with 429. */
  limited: number;
  /** Bytes of SSE received by all followers together. */
  receivedBytes: number;
}

const END_EVENT = 'event: end';

/** Asks the URL in argv every 100 ms and prints each answer's latency in ms, until killed. */
const PROBE = `
const { performance } = require('node:perf_hooks');
const url = process.argv[1];
(async () => {
  for (;;) {
    const started = performance.now();
    await (await fetch(url)).text();
    process.stdout.write(String(performance.now() - started) + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
})();
`;

/** Runs the flood once on a fresh server and returns what it measured. */
export async function followerFlood(options: FollowerFloodOptions = {}): Promise<FollowerFloodResult> {
  const followers = options.followers ?? Number(process.env.BENCH_FLOOD_FOLLOWERS ?? 50);
  const logBytes = options.logBytes ?? Number(process.env.BENCH_FLOOD_LOG_BYTES ?? 50_000_000);
  const deadlineMs = options.deadlineMs ?? Number(process.env.BENCH_FLOOD_DEADLINE_MS ?? 300_000);
  const server = await startServerProcess(options.env ?? {});
  try {
    const api = new ApiClient(server.url, server.token);
    await api.applyJobs(
      jobDocument(
        'flood',
        `yes 'a busy line of output, as a build or a test run prints it' | head -c ${logBytes}`,
      ),
    );
    const id = await api.run('flood');
    const headers = { authorization: `Bearer ${server.token}`, accept: 'text/event-stream' };

    // The probe runs in a process of its own: in this one, its timer would wait behind the
    // followers' reading (50 streams of SSE), and the bench would measure itself, not the server.
    const probe = spawn(process.execPath, ['-e', PROBE, `${server.url}/healthz`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let probeText = '';
    const firstAnswer = new Promise<void>((resolve) =>
      probe.stdout.on('data', (chunk: Buffer) => {
        probeText += chunk.toString();
        resolve();
      }),
    );
    const probeOutput = new Promise<number[]>((resolve) =>
      probe.once('exit', () => resolve(probeText.split('\n').filter(Boolean).map(Number))),
    );
    // The probe's connection is open before the flood: what is measured is how long the server
    // takes to answer, not how long a new connection waits to be accepted.
    await firstAnswer;
    const started = performance.now();

    let limited = 0;
    let completed = 0;
    let receivedBytes = 0;
    const deadline = AbortSignal.timeout(deadlineMs);
    const follow = async (): Promise<'in' | 'limited'> => {
      const response = await fetch(`${server.url}/api/v1/executions/${id}/log/stream`, {
        headers,
        signal: deadline,
      });
      if (response.status === 429) {
        limited++;
        await response.text();
        return 'limited';
      }
      if (!response.ok || !response.body)
        throw new Error(`follow: ${response.status} ${await response.text()}`);
      // Only the tail of what was received is decoded: the bench must not be the bottleneck.
      let tail = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body) {
          receivedBytes += chunk.byteLength;
          tail = (tail + decoder.decode(chunk.subarray(Math.max(0, chunk.byteLength - 256)))).slice(-512);
        }
      } catch (error) {
        // Past the deadline the follower is closed and counted as not completed.
        if (!deadline.aborted) throw error;
      }
      if (tail.includes(END_EVENT)) completed++;
      return 'in';
    };
    progress(`follower flood: ${followers} followers of a ${logBytes}-byte log`);
    const outcomes = await Promise.all(Array.from({ length: followers }, follow));
    // The probe runs as long as the execution does, so that a flood of 0 followers (the
    // baseline: what the busy execution alone costs the server) is measured the same way.
    for (;;) {
      const { execution } = await api.request<{ execution: { state: string } }>(
        'GET',
        `/api/v1/executions/${id}`,
      );
      if (TERMINAL_STATES.has(execution.state as ExecutionState)) break;
      await sleep(100);
    }
    probe.kill('SIGTERM');
    const latencies = await probeOutput;
    return {
      healthzP99Ms: percentile(latencies, 99),
      healthzP50Ms: percentile(latencies, 50),
      healthzSamples: latencies.length,
      durationMs: performance.now() - started,
      healthzMaxMs: Math.max(...latencies),
      rssPeakMb: server.memory().peak / 1024 / 1024,
      followers: outcomes.filter((outcome) => outcome === 'in').length,
      completed,
      limited,
      receivedBytes,
    };
  } finally {
    await server.stop();
  }
}

// `node dist/bench/follower-flood.js` runs it alone and prints the result as one JSON line.
if (process.argv[1]?.endsWith('follower-flood.js')) {
  followerFlood().then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
