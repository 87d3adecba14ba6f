/**
 * One step as a process tree that can always be ended: the product promises that a cancel or a
 * timeout ends the whole tree and that nothing a step started outlives it.
 *
 * The step runs in its own session (spawn `detached` → setsid), so its pid is also its process
 * group id and session id. Ending it signals the group AND every process found in /proc that
 * belongs to the step: descendants by parent pid (which reaches grandchildren that called setsid
 * or setpgid while still descendants), members of the step's group or session (which reaches
 * background jobs orphaned when their parent exited), and every process a tracking scan saw in
 * the tree before (pid + start time, which reaches a setsid'd grandchild whose parent has since
 * exited). A process that double-forks into a new session and loses its parent between two
 * tracking scans escapes all of that: where Baton may create cgroups, each step runs in a cgroup
 * of its own (step-cgroup.ts), whose members are part of the tree and which is killed whole at the
 * end; elsewhere, after the step, processes whose environment still carries the step's
 * BATON_STEP_TOKEN are ended and reported (`outlived`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, open, stat } from 'node:fs/promises';
import { delimiter, resolve as resolvePath } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { coerceError } from '../../platform/errors.js';
import {
  hasEnvironmentEntry,
  isDead,
  readCommandLine,
  readProcEntry,
  readProcTable,
  withDescendants,
} from './proc-table.js';
import type { ProcTable } from './proc-table.js';
import { StepCgroup, stepContainment, wrapInCgroup } from './step-cgroup.js';
import type { StepContainment } from './step-cgroup.js';

/** What to run: argv[0] is looked up on env.PATH unless it contains a slash. */
export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Names the step's cgroup (`e42-step-1`), so that an operator can tell whose it is. */
  label?: string;
}

/** A process found after its step had ended, ended by Baton (or not, when it could not be). */
export interface OutlivedProcess {
  pid: number;
  /** Its command line when it was found, as `ps` shows it (cut after 120 characters). */
  command: string;
  ended: boolean;
}

/** How the main process ended: an exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running step; the caller must consume both stdout and stderr (they end after `exited`). */
export interface StepProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves when the main process has exited AND its pipes are closed or given up on. */
  readonly exited: Promise<ProcessExit>;
  /**
   * SIGTERM to the whole tree, then SIGKILL after graceMs; resolves when nothing of the tree is left
   * (or after SIGKILL was sent and the main process reaped). Idempotent: later calls share the first.
   */
  terminate(graceMs: number): Promise<void>;
  /** How this step was contained: a cgroup of its own, or its process group and session only. */
  readonly containment: StepContainment['kind'];
  /**
   * Processes that had left the step's tree (a session of their own, their parent gone) and were
   * still running when the step ended, and whether Baton ended them; complete once `exited` resolved.
   */
  readonly outlived: readonly OutlivedProcess[];
}

/** Timings; the defaults suit production, tests shorten them. */
export interface ProcessTimings {
  /**
   * After the main process exits on its own, leftovers (`sleep 1000 &`) get SIGTERM and this long
   * before SIGKILL. Measured from spawn to `exited` for `bash -c` on a two-core VM: ~20–50 ms with
   * no leftover, ~45–135 ms with a `sleep 1000 &` (it obeys SIGTERM), ~1.1 s with a leftover that
   * ignores SIGTERM, ~0.55 s when an escaped process holds the pipe (pipeIdleMs). Only a leftover
   * that ignores SIGTERM pays this grace, so it is short: a cancel gets its own, longer grace.
   */
  leftoverGraceMs?: number;
  /**
   * How long pipes may stay open, with nothing waiting to be read, after everything we know of the
   * tree is gone: then an escaped process holds them and we stop reading. Data the caller has not
   * yet consumed is never dropped for this.
   */
  pipeIdleMs?: number;
  /**
   * How often the tree is scanned while the step runs, to remember processes that may later leave
   * it (setsid and lose their parent). One shared scan for all steps; ~5 ms of thread-pool work per
   * scan with ~90 processes on the machine.
   */
  trackIntervalMs?: number;
}

const DEFAULT_TIMINGS: Required<ProcessTimings> = {
  leftoverGraceMs: 1000,
  pipeIdleMs: 500,
  trackIntervalMs: 1000,
};

/**
 * While waiting for the tree to end we look again after 10 ms, doubling up to 250 ms: a tree that
 * obeys SIGTERM is seen gone within a few ms, and a 30 s grace costs ~120 scans instead of ~1200.
 */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 250;
/** After SIGKILL the kernel needs a moment to tear processes down; we wait this long at most. */
const KILL_SETTLE_MS = 2000;

/**
 * Starts argv[0] in a new session and process group (and, where possible, a cgroup of its own:
 * `containment` defaults to what this process detected at start-up), with pipes for stdout/stderr
 * and stdin from /dev/null. The step's environment gains BATON_STEP_TOKEN, a random marker that
 * finds its escaped processes later. Rejects with a clear Error naming the program when it cannot
 * be started.
 */
export async function startProcess(
  spec: ProcessSpec,
  timings: ProcessTimings = {},
  containment?: StepContainment,
): Promise<StepProcess> {
  const [program] = spec.argv;
  if (program === undefined || program === '') throw new Error('cannot run an empty command');
  const chosen = containment ?? (await stepContainment());
  const token = randomBytes(16).toString('hex');
  const env = { ...spec.env, BATON_STEP_TOKEN: token };
  let cgroup: StepCgroup | undefined;
  let argv = spec.argv;
  if (chosen.kind === 'cgroup') {
    // The wrapper always starts, so a missing program would only show as exit code 127 of the
    // shell: check what spawn would have refused first, for the same clear message.
    const unrunnable = await checkRunnable(program, spec);
    if (unrunnable) throw await explainSpawnFailure(program, spec.cwd, unrunnable);
    try {
      cgroup = await StepCgroup.create(chosen.parent, spec.label ?? 'step');
    } catch (error) {
      throw new Error(
        `cannot create the step's cgroup under ${chosen.parent}: ${coerceError(error).message}`,
        {
          cause: error,
        },
      );
    }
    argv = wrapInCgroup(chosen, cgroup, spec.argv, spec.env);
  }
  const [spawned, ...args] = argv as [string, ...string[]];
  try {
    for (let attempt = 0; ; attempt++) {
      const failure = await spawnStep(spawned, args, { ...spec, env });
      if (!(failure instanceof Error)) {
        return new StepTree(failure, { ...DEFAULT_TIMINGS, ...timings }, { cgroup, token });
      }
      // ETXTBSY: a step's script was written just before it is run, and a process forked at that
      // moment (by this worker, for another step) briefly holds the file open for writing until it
      // execs. The window is a few milliseconds; trying again is the fix, not a failed step.
      const busy = (failure as NodeJS.ErrnoException).code === 'ETXTBSY';
      if (!busy || attempt >= TEXT_BUSY_RETRIES.length) {
        throw await explainSpawnFailure(program, spec.cwd, failure);
      }
      await new Promise((resolve) => setTimeout(resolve, TEXT_BUSY_RETRIES[attempt]));
    }
  } catch (error) {
    await cgroup?.end(KILL_SETTLE_MS).catch(() => undefined);
    throw error;
  }
}

/**
 * What spawn would refuse (a working directory or program that is not there, a file that is not
 * executable, a shebang naming a missing interpreter), as the error spawn would give; undefined
 * when the program can be run. PATH is searched the way execvp does, relative entries from cwd.
 */
async function checkRunnable(program: string, spec: ProcessSpec): Promise<Error | undefined> {
  const refused = (code: string) => Object.assign(new Error(`spawn ${program} ${code}`), { code });
  if (!(await isDirectory(spec.cwd))) return refused('ENOENT');
  const candidates = program.includes('/')
    ? [resolvePath(spec.cwd, program)]
    : (spec.env.PATH ?? '').split(delimiter).map((dir) => resolvePath(spec.cwd, dir || '.', program));
  let denied = false;
  for (const candidate of candidates) {
    if (!(await isFile(candidate))) continue;
    if (
      !(await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    ) {
      denied = true;
      continue;
    }
    const shebang = await shebangOf(candidate);
    const interpreter = shebang.startsWith('#!') ? shebang.slice(2).trim().split(/\s+/)[0] : undefined;
    if (interpreter?.startsWith('/') && !(await isFile(interpreter))) return refused('ENOENT');
    return undefined;
  }
  return refused(denied ? 'EACCES' : 'ENOENT');
}

/** Spawns once: the started child, or the error spawn reported (thrown at once or emitted). */
async function spawnStep(program: string, args: string[], spec: ProcessSpec): Promise<ChildProcess | Error> {
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      cwd: spec.cwd,
      // Exactly what the caller built: nothing of Baton's own environment (secrets, tokens) leaks in.
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failure = coerceError(error);
    // A busy text file can be thrown at once too; it is worth another try.
    if ((failure as NodeJS.ErrnoException).code === 'ETXTBSY') return failure;
    // Invalid arguments (a NUL byte in an env value) are thrown synchronously.
    throw new Error(`cannot run ${JSON.stringify(program)}: ${failure.message}`, { cause: error });
  }
  const failure = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  return failure ?? child;
}

/** Waits between tries when a freshly written script is still open in a forked child (ms). */
const TEXT_BUSY_RETRIES = [5, 10, 20, 50, 100, 200];

/** Turns ENOENT/EACCES from spawn into a message that says which thing was missing. */
async function explainSpawnFailure(program: string, cwd: string, error: Error): Promise<Error> {
  const name = JSON.stringify(program);
  const code = (error as NodeJS.ErrnoException).code;
  let reason = error.message;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    if (!(await isDirectory(cwd))) {
      reason = `working directory ${JSON.stringify(cwd)} does not exist or is not a directory`;
    } else if (program.includes('/') && (await isFile(program))) {
      // The file is there, so the kernel could not find the interpreter its shebang names.
      reason = `its interpreter ${JSON.stringify(await shebangOf(program))} was not found`;
    } else {
      reason = program.includes('/') ? 'not found' : "not found on the step's PATH";
    }
  } else if (code === 'EACCES') {
    reason = 'permission denied (is it executable, and is the working directory accessible?)';
  }
  return new Error(`cannot run ${name}: ${reason}`, { cause: error });
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function shebangOf(path: string): Promise<string> {
  // The kernel reads at most the first 256 bytes for the shebang line; a large binary need not be read whole.
  const head = await readHead(path, 256);
  return head.startsWith('#!') ? (head.split('\n', 1)[0] ?? '') : '(no shebang line)';
}

async function readHead(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Steps whose trees are being tracked, with the scan interval each asked for; one timer, at the
 * shortest interval asked for, scans /proc once for all of them.
 */
const tracked = new Map<StepTree, number>();
let trackTimer: NodeJS.Timeout | undefined;
let trackTimerMs = 0;
let trackScanRunning = false;

function startTracking(tree: StepTree, intervalMs: number): void {
  // Below ~10 ms the scans would only burn CPU: a scan itself takes about that long.
  tracked.set(tree, Math.max(intervalMs, 10));
  rescheduleTracking();
}

function stopTracking(tree: StepTree): void {
  tracked.delete(tree);
  rescheduleTracking();
}

function rescheduleTracking(): void {
  const intervalMs = tracked.size > 0 ? Math.min(...tracked.values()) : 0;
  if (intervalMs === trackTimerMs) return;
  clearInterval(trackTimer);
  trackTimer = undefined;
  trackTimerMs = intervalMs;
  if (intervalMs === 0) return;
  trackTimer = setInterval(() => void scanTrackedTrees(), intervalMs);
  // Tracking must never keep Baton (or a test run) alive on its own.
  trackTimer.unref();
}

async function scanTrackedTrees(): Promise<void> {
  if (trackScanRunning) return;
  trackScanRunning = true;
  try {
    const table = await readProcTable();
    for (const tree of tracked.keys()) tree.members(table);
  } finally {
    trackScanRunning = false;
  }
}

/** Sends a signal, ignoring processes that are already gone (ESRCH) or not ours to signal (EPERM). */
function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}

/** How a step is contained beyond its session: its cgroup, or the marker in its environment. */
interface Containment {
  cgroup: StepCgroup | undefined;
  token: string;
}

class StepTree implements StepProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ProcessExit>;
  readonly containment: StepContainment['kind'];
  readonly outlived: OutlivedProcess[] = [];
  private containing: Promise<void> | undefined;

  /** Processes found outside the tree proper (they called setsid and lost their parent), by pid. */
  private readonly escaped = new Map<number, { startTime: string; command: string }>();
  /** Processes seen in the tree at some point: pid → start time, so a recycled pid is not mistaken. */
  private readonly known = new Map<number, string>();
  private mainStartTime: string | undefined;
  private mainExit: ProcessExit | undefined;
  private readonly mainExited: Promise<ProcessExit>;
  private ending: Promise<void> | undefined;
  /**
   * Set once the tree is gone after the main process was reaped: from then on the pid number may be
   * reused by an unrelated process group (another step's), so we never signal it again.
   */
  private finished = false;
  private readonly relays: PipeRelay[];

  constructor(
    child: ChildProcess,
    private readonly timings: Required<ProcessTimings>,
    private readonly contained: Containment,
  ) {
    // 'spawn' has fired, so the pid is known.
    this.pid = child.pid!;
    this.containment = contained.cgroup ? 'cgroup' : 'process-group';
    this.relays = [new PipeRelay(child.stdout!), new PipeRelay(child.stderr!)];
    this.stdout = this.relays[0]!.output;
    this.stderr = this.relays[1]!.output;
    // Errors after spawn (a failed kill) carry nothing we act on; an unheard 'error' would crash Baton.
    child.on('error', () => {});
    this.mainExited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.mainExit = { code, signal };
        resolve(this.mainExit);
      });
    });
    this.exited = this.settle();
    startTracking(this, timings.trackIntervalMs);
    void readProcEntry(this.pid).then((entry) => {
      if (entry && !this.mainExit) this.mainStartTime = entry.startTime;
    });
  }

  terminate(graceMs: number): Promise<void> {
    this.ending ??= this.end(graceMs);
    return this.ending;
  }

  /**
   * The live processes of this step in the table, remembered for later. Before the main process is
   * reaped its pid is ours; after, the group/session id still is while any member lives (Linux does
   * not hand out a pid in use as a group or session id).
   */
  members(table: ProcTable): Set<number> {
    // The step's tree proper: its main process, its group and session, and their descendants.
    const attached = new Set<number>();
    if (!this.mainExit) attached.add(this.pid);
    const holder = table.get(this.pid);
    const pidReused =
      this.mainExit !== undefined &&
      holder !== undefined &&
      this.mainStartTime !== undefined &&
      holder.startTime !== this.mainStartTime;
    if (!pidReused && !this.finished) {
      for (const entry of table.values()) {
        if (entry.pgid === this.pid || entry.sid === this.pid) attached.add(entry.pid);
      }
    }
    const roots = new Set(attached);
    // Whatever is in the step's cgroup is the step's, wherever it moved in the process tree.
    for (const pid of this.contained.cgroup?.pids() ?? []) roots.add(pid);
    for (const [pid, startTime] of this.known) {
      if (table.get(pid)?.startTime === startTime) roots.add(pid);
      else this.known.delete(pid);
    }
    const inTree = withDescendants(table, attached);
    const found = new Set<number>();
    for (const pid of withDescendants(table, roots)) {
      const entry = table.get(pid);
      // Never ourselves or init, whatever a confused table says; zombies are already ended.
      if (!entry || pid === process.pid || pid <= 1 || isDead(entry)) continue;
      if (pid === this.pid && this.mainExit) continue;
      found.add(pid);
      this.known.set(pid, entry.startTime);
      // Found only through the cgroup or an earlier scan: it left the tree (setsid, double fork).
      if (!inTree.has(pid) && !this.escaped.has(pid)) {
        this.escaped.set(pid, { startTime: entry.startTime, command: readCommandLine(pid) });
      }
    }
    return found;
  }

  /**
   * True when the step's process group is empty and no process ever seen in its tree is alive.
   * Conservative: a pid that was reused by an unrelated process counts as alive, and then the
   * full scan decides.
   */
  private nothingLeft(): boolean {
    if (this.contained.cgroup?.populated()) return false;
    for (const pid of [-this.pid, ...[...this.known.keys()].filter((pid) => pid !== this.pid)]) {
      try {
        process.kill(pid, 0);
        return false;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return false;
      }
    }
    return true;
  }

  /** SIGTERM, wait up to graceMs, SIGKILL what is left; shared by terminate() and the end of a run. */
  private async end(graceMs: number): Promise<void> {
    // Processes that had left the tree and were still there when the step ended: reported.
    let outliving: number[] = [];
    try {
      const members = this.members(await readProcTable());
      outliving = [...members].filter((pid) => this.escaped.has(pid));
      if (members.size > 0 || !this.mainExit) {
        this.signalTree(members, 'SIGTERM');
        // A stopped process only acts on SIGTERM once continued.
        this.signalTree(members, 'SIGCONT');
        if (!(await this.waitUntilGone(graceMs))) {
          this.signalTree(this.members(await readProcTable()), 'SIGKILL');
          await this.mainExited;
          await this.waitUntilGone(KILL_SETTLE_MS, 'SIGKILL');
        }
      }
    } finally {
      this.finished = true;
      stopTracking(this);
      await this.recordOutliving(outliving).catch(() => undefined);
      await this.contain();
    }
  }

  /** Which of the escaped processes that were alive at the end are gone now, into `outlived`. */
  private async recordOutliving(pids: number[]): Promise<void> {
    if (pids.length === 0) return;
    const table = await readProcTable();
    for (const pid of pids) {
      const { startTime, command } = this.escaped.get(pid)!;
      const entry = table.get(pid);
      const alive = entry !== undefined && entry.startTime === startTime && !isDead(entry);
      this.noteOutlived({ pid, command, ended: !alive });
    }
  }

  /** Adds to `outlived`; a process already there (not ended by the tree, then by its cgroup) is updated. */
  private noteOutlived(survivor: OutlivedProcess): void {
    const index = this.outlived.findIndex((known) => known.pid === survivor.pid);
    if (index < 0) this.outlived.push(survivor);
    else this.outlived[index] = { ...this.outlived[index]!, ended: survivor.ended };
  }

  /**
   * After the tree is gone: kills the step's cgroup whole and removes it, or, without one, ends the
   * processes that still carry the step's marker. Either way what was found is in `outlived`.
   * Never throws: the step's own outcome is already decided.
   */
  private contain(): Promise<void> {
    this.containing ??= (
      this.contained.cgroup ? this.killCgroup(this.contained.cgroup) : this.sweepMarked()
    ).catch(() => undefined);
    return this.containing;
  }

  private async killCgroup(cgroup: StepCgroup): Promise<void> {
    const found = cgroup.pids().map((pid) => ({ pid, command: readCommandLine(pid) }));
    const emptied = await cgroup.end(KILL_SETTLE_MS);
    const left = new Set(emptied ? [] : cgroup.pids());
    for (const survivor of found) this.noteOutlived({ ...survivor, ended: !left.has(survivor.pid) });
  }

  /**
   * Processes started since the step (by start time) whose environment holds its marker: they
   * left the tree (double fork, setsid) but not the environment the step gave them. SIGKILL at
   * once: they already outlived the grace their step had. This costs every step one /proc scan
   * (readProcTable: ~1.2 ms with ~110 processes on a quiet two-core VM, ~20 ms with ~150 on a
   * loaded one), which is why it only runs without a cgroup; environments are read only for
   * processes younger than the step (reading all of them would double the scan).
   */
  private async sweepMarked(): Promise<void> {
    const marker = `BATON_STEP_TOKEN=${this.contained.token}`;
    const since = this.mainStartTime === undefined ? 0 : Number(this.mainStartTime);
    const found = new Map<number, { command: string; startTime: string }>();
    for (const entry of (await readProcTable()).values()) {
      if (entry.pid === process.pid || entry.pid <= 1 || isDead(entry) || Number(entry.startTime) < since)
        continue;
      if (!hasEnvironmentEntry(entry.pid, marker)) continue;
      found.set(entry.pid, { command: readCommandLine(entry.pid), startTime: entry.startTime });
      sendSignal(entry.pid, 'SIGKILL');
    }
    if (found.size === 0) return;
    const stillThere = async () => {
      const table = await readProcTable();
      return new Set(
        [...found]
          .filter(([pid, { startTime }]) => {
            const entry = table.get(pid);
            return entry !== undefined && entry.startTime === startTime && !isDead(entry);
          })
          .map(([pid]) => pid),
      );
    };
    const deadline = Date.now() + KILL_SETTLE_MS;
    let left = await stillThere();
    for (
      let pause = FIRST_POLL_MS;
      left.size > 0 && Date.now() < deadline;
      pause = Math.min(pause * 2, MAX_POLL_MS)
    ) {
      await sleep(pause);
      left = await stillThere();
    }
    for (const [pid, { command }] of found) this.noteOutlived({ pid, command, ended: !left.has(pid) });
  }

  private signalTree(members: Set<number>, signal: NodeJS.Signals): void {
    if (!this.finished) sendSignal(-this.pid, signal);
    for (const pid of members) sendSignal(pid, signal);
  }

  /** True once the main process is reaped and no member is left; false when the time ran out. */
  private async waitUntilGone(ms: number, repeat?: NodeJS.Signals): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
      const members = this.members(await readProcTable());
      if (members.size === 0 && this.mainExit) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // Something may have forked between the SIGKILL and now; it gets one too.
      if (repeat) this.signalTree(members, repeat);
      await sleep(Math.min(pause, left));
    }
  }

  /**
   * The main process exits; leftovers of its tree are ended; then we wait for the pipes to reach
   * their end, unless nothing we know of holds them any more and no data waits: then an escaped
   * process holds them open and would keep the step "running" forever.
   */
  private async settle(): Promise<ProcessExit> {
    const exit = await this.mainExited;
    if (this.nothingLeft()) {
      // The common case, a step that left nothing behind: no /proc scan needed for the tree. What
      // escaped it is still looked for: with a cgroup, one small file read; without, one /proc scan.
      this.finished = true;
      stopTracking(this);
      this.ending ??= this.contain();
      await this.ending;
    } else {
      await this.terminate(this.timings.leftoverGraceMs).catch(() => {});
    }
    const closed = Promise.all(this.relays.map((relay) => relay.closed));
    for (;;) {
      const done = await Promise.race([closed.then(() => true), sleep(this.timings.pipeIdleMs, false)]);
      if (done) return exit;
      // A timer can fire right after a long busy spell, before the poll phase read what waits in the
      // pipe; one turn of the loop lets it read, so that data reaches the caller or shows as pending.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.relays.some((relay) => relay.hasPending())) continue;
      for (const relay of this.relays) relay.giveUp();
      return exit;
    }
  }
}

/**
 * Hands a child's pipe to the caller through a PassThrough, so that we can stop reading (a
 * process that escaped holds the pipe open) and still end the caller's stream cleanly after all it
 * had received, instead of destroying it mid-stream. Backpressure passes through `pipe()`.
 */
class PipeRelay {
  readonly output = new PassThrough();
  readonly closed: Promise<void>;

  constructor(private readonly source: Readable) {
    source.pipe(this.output);
    // A read error ends the stream like EOF would; 'close' follows either way.
    source.on('error', () => {});
    this.closed = new Promise((resolve) => {
      source.once('close', () => {
        if (!this.output.writableEnded) this.output.end();
        resolve();
      });
    });
  }

  /** True while data we read waits for the caller: giving up now would drop it. */
  hasPending(): boolean {
    return this.source.readableLength > 0 || this.output.readableLength > 0;
  }

  giveUp(): void {
    this.source.unpipe(this.output);
    this.source.destroy();
    if (!this.output.writableEnded) this.output.end();
  }
}

/**
 * The execution log's words for processes that outlived their step, one line for those ended and
 * one for those that could not be: `1 process outlived its step and was ended: pid 1234 \`sleep 1000\``.
 */
export function describeOutlived(outlived: readonly OutlivedProcess[]): string[] {
  const lines: string[] = [];
  for (const ended of [true, false]) {
    const group = outlived.filter((survivor) => survivor.ended === ended);
    if (group.length === 0) continue;
    const one = group.length === 1;
    const what = `${group.length} ${one ? 'process' : 'processes'} outlived ${one ? 'its' : 'their'} step and ${
      ended ? (one ? 'was ended' : 'were ended') : 'could not be ended'
    }`;
    lines.push(
      `${what}: ${group.map((survivor) => `pid ${survivor.pid} \`${survivor.command}\``).join(', ')}`,
    );
  }
  return lines;
}
