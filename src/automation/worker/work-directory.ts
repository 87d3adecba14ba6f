/**
 * An execution's work directory on the worker: the steps' working directory, where they may
 * leave files (a copy of a secret included) and where $BATON_OUTPUT is written. The worker
 * removes it when the execution ends; one killed with kill -9 cannot, so the next worker on the
 * host removes what a dead process left behind.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../secrets/delivery.js';

/**
 * `baton-<execution id>-<pid of the worker>-XXXXXX`. The pid, not the database, tells a sweep
 * whether the directory is still in use: processes of other Baton installations (other
 * databases, with the same execution ids) may share this host's temporary directory.
 */
const WORK_DIRECTORY = /^baton-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/** Creates the work directory of an execution run by this process. */
export function createWorkDirectory(executionId: number): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `baton-${executionId}-${process.pid}-`));
}

/**
 * Removes the work directories whose process is gone (a worker or server killed mid-step);
 * a directory of a live process is left alone, and a reused pid only delays its removal to a
 * later sweep. Returns the names removed.
 */
export async function sweepWorkDirectories(parent = os.tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await fs.readdir(parent, { withFileTypes: true })) {
    const match = WORK_DIRECTORY.exec(entry.name);
    if (!match || !entry.isDirectory() || isAlive(Number(match[2]))) continue;
    await fs.rm(path.join(parent, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}
