/**
 * Process trees left behind by a worker that died (kill -9, OOM, a crashed server): each step
 * runs in a session of its own, so its processes outlive the worker. A worker on the same host
 * ends them, identified by pid and start time so that a reused pid is never hit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDead, readProcEntry, readProcTable, withDescendants } from './proc-table.js';
import { stepCgroupOf, stepContainment } from './step-cgroup.js';
import type { StepCgroup } from './step-cgroup.js';

/** How long to wait for an orphan's cgroup to empty after cgroup.kill before leaving it. */
const CGROUP_SETTLE_MS = 2000;

/** The start time of a running process, to recognise it later; undefined when it is gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  return (await readProcEntry(pid))?.startTime;
}

/**
 * Kills (SIGKILL) the session of an orphaned step and its descendants, if the process with this
 * pid is still the one that was started, and the step's cgroup when it has one (which also holds
 * what double-forked out of the session). Returns whether anything was signalled.
 */
export async function endOrphanedTree(pid: number, startTime: string): Promise<boolean> {
  return (await killOrphanedTree(pid, startTime)).size > 0;
}

/** How often, and how many times, `endOrphanedTreeAndWait` looks whether the killed processes are gone. */
const GONE_POLL_MS = 20;
const GONE_POLLS = 500;

/**
 * Like endOrphanedTree, then waits until none of the killed processes runs any more (a zombie
 * whose parent has not reaped it, such as a step of a frozen worker, runs nothing). Used before a
 * re-queued step starts again, so that the two never run at the same time. Returns whether
 * anything was signalled; throws if a killed process still runs after about ten seconds.
 */
export async function endOrphanedTreeAndWait(pid: number, startTime: string): Promise<boolean> {
  const victims = await killOrphanedTree(pid, startTime);
  for (let poll = 0; poll < GONE_POLLS; poll++) {
    const table = await readProcTable();
    if (![...victims].some((victim) => table.has(victim) && !isDead(table.get(victim)!))) {
      return victims.size > 0;
    }
    await sleep(GONE_POLL_MS);
  }
  throw new Error(`the earlier process tree of pid ${pid} did not end after SIGKILL`);
}

async function killOrphanedTree(pid: number, startTime: string): Promise<Set<number>> {
  const entry = await readProcEntry(pid);
  const table = await readProcTable();
  // The step's main process may be gone while its background children live on in its session.
  const sessionMembers = [...table.values()].filter((other) => other.sid === pid).map((other) => other.pid);
  if (entry && entry.startTime !== startTime) return new Set();
  if (!entry && sessionMembers.length === 0) return new Set();
  const victims = new Set<number>();
  // Read before the kill: a process's cgroup can no longer be read once it is gone.
  const cgroups = new Map<string, StepCgroup>();
  const containment = await stepContainment();
  for (const member of [...(entry ? [pid] : []), ...sessionMembers]) {
    const cgroup = await stepCgroupOf(member, containment);
    if (cgroup) cgroups.set(cgroup.path, cgroup);
  }
  for (const victim of withDescendants(table, [...(entry ? [pid] : []), ...sessionMembers])) {
    if (victim === process.pid || victim <= 1) continue;
    victims.add(victim);
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const cgroup of cgroups.values()) await cgroup.end(CGROUP_SETTLE_MS).catch(() => false);
  return victims;
}
