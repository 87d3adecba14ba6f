/**
 * A cgroup (v2) per step, where Baton may create one: every process a step starts is born in the
 * step's cgroup and cannot leave it (moving out needs write access to a cgroup above it, which
 * only a step running as root or as the owner of the parent has), so
 * writing `1` to its `cgroup.kill` (Linux ≥ 5.14) ends every descendant, including a daemon that
 * double-forked into a session of its own and cleared its environment.
 *
 * Where no cgroup can be created (no cgroup2 mount, not root and no delegated subtree, an older
 * kernel, or BATON_STEP_CGROUPS=off), steps are contained by their process group and session
 * only, and a marker in their environment (BATON_STEP_TOKEN) finds what escaped after the step.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError, InputError } from '../../platform/errors.js';

/** How the steps of this process are kept together, decided once at start-up. */
export type StepContainment =
  | {
      kind: 'cgroup';
      /** The directory under which each step gets a cgroup of its own. */
      parent: string;
      /** The shell that moves itself into the step's cgroup and then execs the step. */
      shell: string;
    }
  | { kind: 'process-group'; reason: string };

/** One line for the worker's start-up log: how steps are contained, and why not better. */
export function describeContainment(containment: StepContainment): string {
  return containment.kind === 'cgroup'
    ? `steps are contained by a cgroup each (under ${containment.parent}): every process a step starts is ended with it`
    : `steps are contained by process group and session only (${containment.reason}): a process that double-forks and clears its environment can outlive its step`;
}

let detected: Promise<StepContainment> | undefined;

/** The containment of this process's steps, detected on first use (BATON_STEP_CGROUPS, BATON_CGROUP_PARENT). */
export function stepContainment(): Promise<StepContainment> {
  detected ??= detectContainment(process.env);
  return detected;
}

/**
 * Finds the cgroup2 hierarchy and this process's place in it, creates `baton-steps` below it (or
 * uses BATON_CGROUP_PARENT) and proves with a real process that a step can join a cgroup there.
 */
export async function detectContainment(env: NodeJS.ProcessEnv): Promise<StepContainment> {
  const setting = env.BATON_STEP_CGROUPS ?? 'auto';
  if (setting === 'off') return { kind: 'process-group', reason: 'turned off by BATON_STEP_CGROUPS=off' };
  if (setting !== 'auto' && setting !== 'on') {
    throw new InputError('environment variable BATON_STEP_CGROUPS is invalid', [
      {
        path: 'BATON_STEP_CGROUPS',
        message: 'expected auto, on or off',
        expected: 'auto, on or off',
        found: setting,
      },
    ]);
  }
  const containment = await findCgroupParent(env).then(
    async (parent) => (typeof parent === 'string' ? await probeCgroup(parent) : parent),
    (error: unknown) => ({ kind: 'process-group' as const, reason: coerceError(error).message }),
  );
  if (setting === 'on' && containment.kind !== 'cgroup') {
    throw new Error(`BATON_STEP_CGROUPS=on but steps cannot have a cgroup each: ${containment.reason}`);
  }
  return containment;
}

type Fallback = { kind: 'process-group'; reason: string };

async function findCgroupParent(env: NodeJS.ProcessEnv): Promise<string | Fallback> {
  if (env.BATON_CGROUP_PARENT) return resolve(env.BATON_CGROUP_PARENT);
  const mount = cgroup2Mount(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  if (!mount) return { kind: 'process-group', reason: 'no cgroup2 file system is mounted' };
  const own = (await readFile('/proc/self/cgroup', 'utf8').catch(() => ''))
    .split('\n')
    .find((line) => line.startsWith('0::'))
    ?.slice(3);
  if (own === undefined)
    return { kind: 'process-group', reason: 'this process has no cgroup2 path in /proc/self/cgroup' };
  // A mount of a subtree (root other than /) shows our path from the hierarchy's root: cut the prefix.
  if (own !== mount.root && !own.startsWith(mount.root === '/' ? '/' : `${mount.root}/`)) {
    return {
      kind: 'process-group',
      reason: `this process's cgroup ${own} is outside the mounted ${mount.root}`,
    };
  }
  const relative = mount.root === '/' ? own : own.slice(mount.root.length);
  return join(mount.point, relative, 'baton-steps');
}

/** The mount point and root of the first cgroup2 file system in a mountinfo text. */
export function cgroup2Mount(mountinfo: string): { point: string; root: string } | undefined {
  for (const line of mountinfo.split('\n')) {
    // `36 25 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw`: the type follows the ` - `.
    const [before, after] = line.split(' - ');
    if (after?.split(' ')[0] !== 'cgroup2') continue;
    const fields = before?.split(' ') ?? [];
    const root = fields[3];
    const point = fields[4];
    if (root === undefined || point === undefined) continue;
    return { point: unescapeMountField(point), root: unescapeMountField(root) };
  }
  return undefined;
}

/** mountinfo writes a space as `\040`, a tab as `\011`, and so on. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Creates the parent, then a probe cgroup into which a real shell moves itself: the only proof
 * that a step will be able to (a non-root Baton also needs write access to the common ancestor).
 */
async function probeCgroup(parent: string): Promise<StepContainment> {
  const shell = findShell();
  let probe: StepCgroup | undefined;
  try {
    await mkdir(parent, { recursive: true });
    if (!(await exists(join(parent, 'cgroup.procs')))) {
      return { kind: 'process-group', reason: `${parent} is not a directory of a cgroup2 file system` };
    }
    probe = await StepCgroup.create(parent, 'probe');
    if (!(await exists(join(probe.path, 'cgroup.kill')))) {
      return {
        kind: 'process-group',
        reason: 'the kernel has no cgroup.kill (it needs Linux 5.14 or later)',
      };
    }
    await new Promise<void>((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', 'echo $$ > "$1/cgroup.procs"', 'baton-probe', probe!.path],
        (error, _out, stderr) => (error ? reject(new Error(stderr.trim() || error.message)) : resolve()),
      );
    });
    return { kind: 'cgroup', parent, shell };
  } catch (error) {
    return {
      kind: 'process-group',
      reason: `cannot use cgroups under ${parent}: ${coerceError(error).message}`,
    };
  } finally {
    await probe?.end(PROBE_SETTLE_MS).catch(() => undefined);
  }
}

const PROBE_SETTLE_MS = 2000;

/** bash when there is one: it can try again when a freshly written script is still busy (ETXTBSY). */
function findShell(): string {
  for (const candidate of ['/bin/bash', '/usr/bin/bash']) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: try the next
    }
  }
  return '/bin/sh';
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The wrapper a step starts through: it moves itself into the step's cgroup, then execs the step
 * (same pid, same session). Nothing of the step runs before the move, so no process of the step
 * can be born outside the cgroup; writing the child's pid after spawn would leave a window in
 * which the step can fork. With bash, an exec refused with ETXTBSY (a script written an instant
 * ago, still open in a process another step's spawn forked) is tried again, as startProcess does
 * for direct spawns; sh has no `execfail` and fails the step with exit code 126 instead.
 *
 * Cost: 100 sequential `true` steps took ~63 ms each with and without the wrapper on this
 * (loaded, two-core) VM; the shell's start-up and the mkdir/rmdir are lost in the spawn's own cost.
 *
 * The shell adds PWD to what it passes on (removed again unless the step was given one), and
 * bash also SHLVL, which it re-exports on exec whatever we do (`0` when the step had none).
 */
export function wrapInCgroup(
  containment: StepContainment & { kind: 'cgroup' },
  cgroup: StepCgroup,
  argv: string[],
  env: Record<string, string>,
): string[] {
  const lines = ['echo $$ > "$1/cgroup.procs" || exit 125', 'shift'];
  if (env.PWD === undefined) lines.push('unset PWD');
  if (containment.shell === '/bin/sh') {
    lines.push('exec "$@"');
  } else {
    lines.push(
      'shopt -s execfail',
      'for pause in 0.005 0.01 0.02 0.05 0.1 0.2; do',
      '  exec "$@"',
      '  status=$?',
      '  [ "$status" -eq 126 ] || exit "$status"',
      '  sleep "$pause"',
      'done',
      'exec "$@"',
    );
  }
  return [containment.shell, '-c', lines.join('\n'), 'baton-step', cgroup.path, ...argv];
}

/** After cgroup.kill we look again after 5 ms, doubling up to 100 ms. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * The step cgroup a process is in, when it is one of ours (a cgroup directly below the parent this
 * process uses): how a worker finds the cgroup of a step whose worker died.
 */
export async function stepCgroupOf(
  pid: number,
  containment: StepContainment,
): Promise<StepCgroup | undefined> {
  if (containment.kind !== 'cgroup') return undefined;
  const own = (await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''))
    .split('\n')
    .find((line) => line.startsWith('0::'))
    ?.slice(3);
  const mount = cgroup2Mount(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  if (own === undefined || !mount) return undefined;
  const path = join(mount.point, mount.root === '/' ? own : own.slice(mount.root.length));
  return dirname(path) === containment.parent ? StepCgroup.at(path) : undefined;
}

/** One step's cgroup: who is in it, and ending all of them at once. */
export class StepCgroup {
  private constructor(readonly path: string) {}

  /** An existing step cgroup, by its directory. */
  static at(path: string): StepCgroup {
    return new StepCgroup(path);
  }

  /** Creates `<parent>/<label>-<random>`; the label is reduced to letters, digits, `-` and `_`. */
  static async create(parent: string, label: string): Promise<StepCgroup> {
    const safe = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    const path = join(parent, `${safe}-${randomBytes(4).toString('hex')}`);
    await mkdir(path);
    return new StepCgroup(path);
  }

  /**
   * The processes in the cgroup now. Read synchronously: a few bytes from a kernel file, and the
   * callers (the tree scans) are synchronous themselves.
   */
  pids(): number[] {
    try {
      return readFileSync(join(this.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** True while any process (or zombie not yet reaped) is in the cgroup. */
  populated(): boolean {
    try {
      return /^populated 1$/m.test(readFileSync(join(this.path, 'cgroup.events'), 'utf8'));
    } catch {
      return false;
    }
  }

  /**
   * SIGKILLs everything in the cgroup (the kernel also gets processes forking at that moment),
   * waits up to settleMs until it is empty, and removes it. Returns false when it did not empty.
   */
  async end(settleMs: number): Promise<boolean> {
    if (this.populated()) await writeFile(join(this.path, 'cgroup.kill'), '1');
    const deadline = Date.now() + settleMs;
    for (let pause = FIRST_POLL_MS; this.populated(); pause = Math.min(pause * 2, MAX_POLL_MS)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(pause, left));
    }
    // ENOENT: already gone. EBUSY cannot happen once it is not populated; anything else is kept
    // for the operator to see rather than thrown into a step that already finished.
    await rmdir(this.path).catch(() => undefined);
    return true;
  }
}
