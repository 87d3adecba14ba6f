import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcStat, readProcEntry } from './proc-table.js';
import { describeOutlived, startProcess } from './process-tree.js';
import type { ProcessTimings, StepProcess } from './process-tree.js';
import { detectContainment } from './step-cgroup.js';
import type { StepContainment } from './step-cgroup.js';

// Short timings so that the slow paths (grace periods) run quickly; the defaults only differ in size.
const FAST: ProcessTimings = { leftoverGraceMs: 300, pipeIdleMs: 200, trackIntervalMs: 100 };

let dir: string;
let env: Record<string, string>;
/** Every pid a test learned of, killed afterwards so that a failing test leaves nothing behind. */
const seenPids = new Set<number>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-process-tree-'));
  env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir, LANG: 'C' };
});

afterEach(async () => {
  for (const pid of seenPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: what the tests expect
    }
  }
  seenPids.clear();
  await rm(dir, { recursive: true, force: true });
});

function bash(
  script: string,
  timings: ProcessTimings = FAST,
  containment?: StepContainment,
): Promise<StepProcess> {
  return startProcess({ argv: ['bash', '-c', script], env, cwd: dir }, timings, containment);
}

function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/** Waits until the step has written a pid into `name` (the test's timeout bounds the wait). */
async function pidFrom(name: string): Promise<number> {
  for (;;) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (text.endsWith('\n')) {
      const pid = Number(text.trim());
      seenPids.add(pid);
      return pid;
    }
    await sleep(20);
  }
}

/** Gone for good: no such process, or a zombie that runs nothing and holds nothing. */
async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const entry = await readProcEntry(pid);
  return entry === undefined || entry.state === 'Z';
}

async function waitUntilGone(pid: number): Promise<void> {
  while (!(await isGone(pid))) await sleep(20);
}

/** Waits until `pid` leads a session of its own: `$!` is known as soon as bash forked, before setsid ran. */
async function waitForOwnSession(pid: number): Promise<void> {
  while ((await readProcEntry(pid))?.sid !== pid) await sleep(20);
}

describe('terminate', () => {
  it('ends the main process, a background grandchild and a setsid grandchild: nothing survives', async () => {
    const step = await bash(`
      sleep 300 & echo $! > bg.pid
      setsid sleep 300 & echo $! > setsid.pid
      echo ready
      sleep 300
    `);
    seenPids.add(step.pid);
    const output = collect(step.stdout);
    const background = await pidFrom('bg.pid');
    const detached = await pidFrom('setsid.pid');
    // The premise: the setsid'd grandchild really left the step's session.
    await waitForOwnSession(detached);
    for (const pid of [step.pid, background, detached]) expect(await isGone(pid)).toBe(false);

    await step.terminate(5000);

    for (const pid of [step.pid, background, detached]) expect(await isGone(pid)).toBe(true);
    expect(await step.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await output).toContain('ready');
    // All of them were still in the tree (children of the step): nothing outlived it.
    expect(step.outlived).toEqual([]);
  }, 20_000);

  it('ends a setsid grandchild whose parent has already exited, because it was seen in the tree before', async () => {
    const step = await bash(`
      ( setsid sleep 300 & echo $! > escaped.pid; echo $BASHPID > parent.pid; sleep 1.5 ) &
      sleep 300
    `);
    seenPids.add(step.pid);
    void collect(step.stdout);
    const escaped = await pidFrom('escaped.pid');
    const parent = await pidFrom('parent.pid');
    await waitUntilGone(parent);
    await waitForOwnSession(escaped);
    // Now nothing links the sleep to the step: not its parent, not its group, not its session.
    expect((await readProcEntry(escaped))?.ppid).not.toBe(step.pid);

    await step.terminate(5000);

    expect(await isGone(escaped)).toBe(true);
    expect(await isGone(step.pid)).toBe(true);
    await step.exited;
    // It had left the tree, so the execution is told it outlived the step (and was ended).
    expect(step.outlived).toEqual([{ pid: escaped, command: 'sleep 300', ended: true }]);
  }, 20_000);

  it('kills with SIGKILL after the grace a step that ignores SIGTERM', async () => {
    const step = await bash(`trap '' TERM; sleep 300 & echo $! > bg.pid; echo ready; sleep 300`);
    seenPids.add(step.pid);
    void collect(step.stdout);
    const background = await pidFrom('bg.pid');

    await step.terminate(300);

    expect(await step.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await isGone(background)).toBe(true);
  }, 20_000);

  it('lets a step that handles SIGTERM clean up and report its own exit code', async () => {
    const step = await bash(`trap 'echo cleaning up; exit 42' TERM; echo ready; sleep 300 & wait`);
    seenPids.add(step.pid);
    const output = collect(step.stdout);
    await new Promise((resolve) => step.stdout.once('data', resolve));

    await step.terminate(10_000);

    expect(await step.exited).toEqual({ code: 42, signal: null });
    expect(await output).toContain('cleaning up');
  }, 20_000);

  it('is idempotent, and resolves at once after the step ended on its own', async () => {
    const step = await bash('echo hi');
    void collect(step.stdout);
    await step.exited;
    await step.terminate(1000);
    await step.terminate(1000);

    const running = await bash('sleep 300');
    const first = running.terminate(5000);
    expect(running.terminate(1)).toBe(first);
    await first;
    expect(await running.exited).toEqual({ code: null, signal: 'SIGTERM' });
  }, 20_000);
});

describe('a step that exits on its own', () => {
  it('does not wait for, nor leave behind, a background sleep that holds its output pipe', async () => {
    // Default timings: the production setting must finish promptly too.
    const step = await bash('sleep 300 & echo $! > bg.pid; echo done', {});
    const output = collect(step.stdout);
    const background = await pidFrom('bg.pid');

    expect(await step.exited).toEqual({ code: 0, signal: null });
    expect(await output).toBe('done\n');
    expect(await isGone(background)).toBe(true);
  }, 20_000);

  it('kills a leftover that ignores SIGTERM after the leftover grace', async () => {
    const step = await bash(`(trap '' TERM; exec sleep 300) & echo $! > bg.pid; exit 3`);
    void collect(step.stdout);
    const background = await pidFrom('bg.pid');

    expect(await step.exited).toEqual({ code: 3, signal: null });
    expect(await isGone(background)).toBe(true);
  }, 20_000);

  it('gives up on a pipe held by a process that escaped the tree and its marker', async () => {
    // A double fork into a new session, gone from the tree before any scan could see it, with an
    // environment of its own (no BATON_STEP_TOKEN) and no cgroup to hold it: the documented limit.
    const step = await bash(
      `( env -i setsid sleep 300 & echo $! > escaped.pid ) ; echo done`,
      { ...FAST, trackIntervalMs: 60_000 },
      { kind: 'process-group', reason: 'forced off by the test' },
    );
    const output = collect(step.stdout);
    await pidFrom('escaped.pid');

    expect(await step.exited).toEqual({ code: 0, signal: null });
    // The caller's stream ends normally, with all the step wrote.
    expect(await output).toBe('done\n');
  }, 20_000);

  it('reports exit codes and signals', async () => {
    const codes = await Promise.all(
      ['exit 0', 'exit 7', 'kill -USR1 $$', 'kill -KILL $$'].map(async (script) => {
        const step = await bash(script);
        void collect(step.stdout);
        return step.exited;
      }),
    );
    expect(codes).toEqual([
      { code: 0, signal: null },
      { code: 7, signal: null },
      { code: null, signal: 'SIGUSR1' },
      { code: null, signal: 'SIGKILL' },
    ]);
  }, 20_000);
});

describe('startProcess', () => {
  it('rejects a program that is not there with a message naming it', async () => {
    await expect(startProcess({ argv: ['pythn3', '-c', 'print(1)'], env, cwd: dir })).rejects.toThrow(
      'cannot run "pythn3": not found',
    );
    await expect(startProcess({ argv: [join(dir, 'missing.sh')], env, cwd: dir })).rejects.toThrow(
      `cannot run "${join(dir, 'missing.sh')}": not found`,
    );
  });

  it('says when the interpreter of a shebang is missing, not the script', async () => {
    const script = join(dir, 'step.script');
    await writeFile(script, '#!/usr/bin/pythn3\nprint(1)\n', { mode: 0o700 });
    await expect(startProcess({ argv: [script], env, cwd: dir })).rejects.toThrow(
      `cannot run "${script}": its interpreter "#!/usr/bin/pythn3" was not found`,
    );
  });

  it('says when the working directory is missing', async () => {
    await expect(startProcess({ argv: ['true'], env, cwd: join(dir, 'nope') })).rejects.toThrow(
      `working directory "${join(dir, 'nope')}" does not exist`,
    );
  });

  it('tries again while a freshly written script is still open for writing (ETXTBSY)', async () => {
    const script = join(dir, 'busy.sh');
    await writeFile(script, '#!/bin/sh\necho ran\n', { mode: 0o700 });
    // Holding it open for writing is what a child forked at the wrong moment does for a few ms.
    const handle = await open(script, 'r+');
    const closing = sleep(40).then(() => handle.close());
    const step = await startProcess({ argv: [script], env, cwd: dir }, FAST);
    await closing;
    expect(await collect(step.stdout)).toBe('ran\n');
    expect(await step.exited).toEqual({ code: 0, signal: null });
  });

  it('rejects a file that is not executable', async () => {
    const script = join(dir, 'plain.sh');
    await writeFile(script, 'echo hi\n', { mode: 0o600 });
    await expect(startProcess({ argv: [script], env, cwd: dir })).rejects.toThrow(
      `cannot run "${script}": permission denied`,
    );
  });

  it('gives the step exactly the environment it was given, nothing of Baton’s own', async () => {
    process.env.BATON_TEST_SECRET = 'must not leak';
    try {
      const given = { PATH: '/usr/bin:/bin', ONE: '1', SPACED: 'a b  c', EMPTY: '' };
      const step = await startProcess({ argv: ['/usr/bin/env'], env: given, cwd: dir });
      const output = await collect(step.stdout);
      await step.exited;
      const received = Object.fromEntries(
        output
          .split('\n')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      // Plus the step's marker, which finds its escaped processes later; bash, which moves a step
      // into its cgroup, also passes on its own SHLVL (shell level), nothing of Baton's.
      const { SHLVL, ...rest } = received;
      expect(SHLVL === undefined || SHLVL === '0').toBe(true);
      expect(rest).toEqual({ ...given, BATON_STEP_TOKEN: expect.stringMatching(/^[0-9a-f]{32}$/) });
    } finally {
      delete process.env.BATON_TEST_SECRET;
    }
  });

  it('runs in the given directory with stdin from /dev/null, in its own session', async () => {
    const step = await bash(
      'pwd; cat; echo "pgid=$(ps -o pgid= $$ | tr -d " ") sid=$(ps -o sid= $$ | tr -d " ")"',
    );
    const output = await collect(step.stdout);
    expect(await step.exited).toEqual({ code: 0, signal: null });
    expect(output).toBe(`${dir}\npgid=${step.pid} sid=${step.pid}\n`);
  });

  it('passes large output through without loss while the caller pauses for backpressure', async () => {
    const step = await bash('head -c 3000000 /dev/zero; echo tail >&2');
    step.stdout.pause();
    const stderr = collect(step.stderr);
    // Nobody reads stdout for a while: the step blocks on a full pipe and nothing is dropped.
    await sleep(300);
    const stdout = collect(step.stdout);
    step.stdout.resume();
    expect(await step.exited).toEqual({ code: 0, signal: null });
    expect((await stdout).length).toBe(3_000_000);
    expect(await stderr).toBe('tail\n');
  }, 20_000);
});

describe('parseProcStat', () => {
  it('reads fields after a command name containing spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const entry = parseProcStat(`1234 (a (b) c) ${fields.join(' ')}\n`);
    expect(entry).toEqual({ pid: 1234, ppid: 4, pgid: 5, sid: 6, state: 'S', startTime: '22' });
  });
});

/** Whether `pgrep -f pattern` finds a process (exit 0) or none (exit 1). */
function pgrep(pattern: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-f', pattern], (error) => {
      if (!error) resolve(true);
      else if (error.code === 1) resolve(false);
      else reject(error);
    });
  });
}

/** Waits until no process matches; the test's timeout bounds the wait. */
async function waitUntilNoneMatch(pattern: string): Promise<void> {
  while (await pgrep(pattern)) await sleep(20);
}

/**
 * A unique duration such as `1000.4817263`: `sleep` takes it, and it marks the daemon's argv so
 * that `pgrep -f` finds exactly this test's daemon.
 */
function marker(): string {
  return `1000.${randomInt(1e9, 1e10)}`;
}

/**
 * A daemon started the classic way: a subshell forks it into a session of its own and exits at
 * once, so it is nobody's child, in no group of the step, before any tracking scan could see it.
 */
function daemonScript(mark: string, prefix = ''): string {
  // daemon.pid appears only once the subshell is gone and the daemon runs `sleep` (so it has left
  // the session): a daemon still below the step, or in its group, has not escaped anything yet.
  return `( ${prefix} setsid sleep ${mark} </dev/null >/dev/null 2>&1 & echo $! > daemon.tmp )
    until pgrep -f '^sleep ${mark}$' >/dev/null; do sleep 0.01; done
    mv daemon.tmp daemon.pid`;
}

/** No tracking scan in time to see the daemon below the step: only containment finds it. */
const NO_TRACKING: ProcessTimings = { ...FAST, trackIntervalMs: 600_000 };

const detected = await detectContainment({ ...process.env, BATON_STEP_CGROUPS: 'auto' });
const PROCESS_GROUP_ONLY: StepContainment = { kind: 'process-group', reason: 'forced off by the test' };

describe.skipIf(detected.kind !== 'cgroup')(
  `a step in a cgroup of its own${detected.kind === 'cgroup' ? '' : ` (skipped: ${detected.reason})`}`,
  () => {
    it('ends a double-forked setsid daemon when the step exits on its own, and removes the cgroup', async () => {
      const mark = marker();
      const step = await bash(
        `${daemonScript(mark)}
 cat /proc/self/cgroup > cgroup.txt; echo done`,
        NO_TRACKING,
      );
      const output = collect(step.stdout);
      const daemon = await pidFrom('daemon.pid');
      expect(step.containment).toBe('cgroup');

      expect(await step.exited).toEqual({ code: 0, signal: null });

      expect(await output).toBe('done\n');
      await waitUntilNoneMatch(mark);
      expect(await isGone(daemon)).toBe(true);
      expect(step.outlived).toEqual([{ pid: daemon, command: `sleep ${mark}`, ended: true }]);
      // The step ran in a cgroup below baton-steps, which is gone once the step is.
      const own = (await readFile(join(dir, 'cgroup.txt'), 'utf8'))
        .split('\n')
        .find((line) => line.startsWith('0::'));
      expect(own).toMatch(/\/baton-steps\/step-[0-9a-f]{8}$/);
      expect(existsSync(join((detected as { parent: string }).parent, own!.split('/').pop()!))).toBe(false);
    });

    it('ends a double-forked daemon that cleared its environment, on cancel', async () => {
      const mark = marker();
      const step = await bash(
        `${daemonScript(mark, 'env -i')}
 echo ready; sleep 300`,
        NO_TRACKING,
      );
      seenPids.add(step.pid);
      void collect(step.stdout);
      const daemon = await pidFrom('daemon.pid');
      await waitForOwnSession(daemon);

      await step.terminate(5000);
      await step.exited;

      await waitUntilNoneMatch(mark);
      expect(await isGone(step.pid)).toBe(true);
    });
  },
);

describe('a step contained by process group only (cgroups turned off)', () => {
  it('ends a double-forked setsid daemon after the step exits, and reports it', async () => {
    const mark = marker();
    const step = await bash(
      `${daemonScript(mark)}
 echo done`,
      NO_TRACKING,
      PROCESS_GROUP_ONLY,
    );
    const output = collect(step.stdout);
    const daemon = await pidFrom('daemon.pid');
    expect(step.containment).toBe('process-group');

    expect(await step.exited).toEqual({ code: 0, signal: null });

    expect(await output).toBe('done\n');
    await waitUntilNoneMatch(mark);
    expect(step.outlived).toEqual([{ pid: daemon, command: `sleep ${mark}`, ended: true }]);
    expect(describeOutlived(step.outlived)).toEqual([
      `1 process outlived its step and was ended: pid ${daemon} \`sleep ${mark}\``,
    ]);
  });

  it('ends a double-forked setsid daemon on cancel, and reports it', async () => {
    const mark = marker();
    const step = await bash(
      `${daemonScript(mark)}
 echo ready; sleep 300`,
      NO_TRACKING,
      PROCESS_GROUP_ONLY,
    );
    seenPids.add(step.pid);
    void collect(step.stdout);
    const daemon = await pidFrom('daemon.pid');
    await waitForOwnSession(daemon);

    await step.terminate(5000);
    expect(await step.exited).toEqual({ code: null, signal: 'SIGTERM' });

    await waitUntilNoneMatch(mark);
    expect(step.outlived).toEqual([{ pid: daemon, command: `sleep ${mark}`, ended: true }]);
  });

  it('reports nothing for a step that left nothing behind', async () => {
    const step = await bash('echo hi', FAST, PROCESS_GROUP_ONLY);
    void collect(step.stdout);
    await step.exited;
    expect(step.outlived).toEqual([]);
  });
});

describe('describeOutlived', () => {
  it('says how many processes outlived the step, which were ended and which could not be', () => {
    expect(describeOutlived([])).toEqual([]);
    expect(
      describeOutlived([
        { pid: 10, command: 'sleep 1000', ended: true },
        { pid: 11, command: 'daemon -d', ended: true },
        { pid: 12, command: 'stuck', ended: false },
      ]),
    ).toEqual([
      '2 processes outlived their step and were ended: pid 10 `sleep 1000`, pid 11 `daemon -d`',
      '1 process outlived its step and could not be ended: pid 12 `stuck`',
    ]);
  });
});
