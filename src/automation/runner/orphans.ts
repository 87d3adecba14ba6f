/**
 * Process trees left behind by a worker that died (kill -9, OOM, a crashed server): each step
 * runs in a session of its own, so its processes outlive the worker. A worker on the same host
 * ends them, identified by pid and start time so that a reused pid is never hit.
 */
import { readProcEntry, readProcTable, withDescendants } from './proc-table.js';
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
  const entry = await readProcEntry(pid);
  const table = await readProcTable();
  // The step's main process may be gone while its background children live on in its session.
  const sessionMembers = [...table.values()].filter((other) => other.sid === pid).map((other) => other.pid);
  if (entry && entry.startTime !== startTime) return false;
  if (!entry && sessionMembers.length === 0) return false;
  const victims = withDescendants(table, [...(entry ? [pid] : []), ...sessionMembers]);
  // Read before the kill: a process's cgroup can no longer be read once it is gone.
  const cgroups = new Map<string, StepCgroup>();
  const containment = await stepContainment();
  for (const member of [...(entry ? [pid] : []), ...sessionMembers]) {
    const cgroup = await stepCgroupOf(member, containment);
    if (cgroup) cgroups.set(cgroup.path, cgroup);
  }
  for (const victim of victims) {
    if (victim === process.pid || victim <= 1) continue;
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const cgroup of cgroups.values()) await cgroup.end(CGROUP_SETTLE_MS).catch(() => false);
  return victims.size > 0;
}
