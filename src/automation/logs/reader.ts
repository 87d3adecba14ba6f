/**
 * Reading a log by line number, and following it live. Stored chunks and the lines a writer in
 * this process still holds are merged into one gap-free, duplicate-free sequence.
 */
import type { Db } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { LogLine } from './model.js';
import type { LogRegistry } from './registry.js';
import { readLogLines } from './store.js';

export interface LogReadContext {
  db: Db;
  registry: LogRegistry;
}

export interface LogFollowContext extends LogReadContext {
  events: EventBus;
}

export interface FollowOptions {
  /** True once the execution is final and its writer closed (all lines stored). */
  isFinished: () => Promise<boolean>;
  signal: AbortSignal;
  /** Longest wait between reads without a wake-up, for writers in other processes (default 1000). */
  pollMs?: number;
  /** Most lines per batch (default 1000). */
  batchLines?: number;
}

/** Lines with `from <= n < from + limit`, stored or still held by this process's writer, in order. */
export async function readLog(
  ctx: LogReadContext,
  executionId: number,
  from: number,
  limit: number,
): Promise<LogLine[]> {
  if (!(limit > 0)) return [];
  // Pending lines first, then the database: the writer drops lines from pending only after they
  // are stored, so every line missing from this snapshot is either stored by the time we query
  // or newer than all lines we return. Reading in the other order could miss a chunk stored
  // in between.
  const writer = ctx.registry.get(executionId);
  // A follower that is caught up asks for lines that do not exist yet: no query needed.
  if (writer && from >= writer.nextLine) return [];
  const local = writer?.pending(from, limit) ?? [];
  const first = local[0];
  if (first !== undefined && first.n <= from) return local;
  const stored = await readLogLines(ctx.db, executionId, from, limit);
  const last = stored[stored.length - 1];
  if (last === undefined) return local;
  const end = from + limit;
  for (const line of local) if (line.n > last.n && line.n < end) stored.push(line);
  return stored;
}

/**
 * Follows a log from line `from`: yields batches in order, waiting for a 'log' event (or
 * `pollMs`) between reads; ends once `isFinished()` is true and a read after it finds nothing
 * more, or when `signal` aborts.
 */
export async function* followLog(
  ctx: LogFollowContext,
  executionId: number,
  from: number,
  options: FollowOptions,
): AsyncGenerator<LogLine[]> {
  const { signal } = options;
  const pollMs = options.pollMs ?? 1000;
  const batchLines = options.batchLines ?? 1000;
  let next = from;
  let woken = false;
  let wake: (() => void) | undefined;
  const onWake = (): void => {
    woken = true;
    wake?.();
  };
  // Subscribed before the first read, so a line appended while we read still wakes us.
  const unsubscribe = ctx.events.subscribe('log', (id) => {
    if (id === executionId || id === undefined) onWake();
  });
  signal.addEventListener('abort', onWake);
  try {
    while (!signal.aborted) {
      woken = false;
      // Asked before reading: if it was finished then, this read sees every line there will be.
      const finished = await options.isFinished();
      const lines = await readLog(ctx, executionId, next, batchLines);
      if (signal.aborted) return;
      const last = lines[lines.length - 1];
      if (last !== undefined) {
        next = last.n + 1;
        yield lines;
        if (lines.length === batchLines) continue;
      }
      if (finished) return;
      if (!woken) await waitForWake(pollMs);
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onWake);
  }

  function waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      wake = done;
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
    });
  }
}
