import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  insertBareExecution,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/databases.js';
import type { Db } from '../../platform/db/database.js';
import { LocalEventBus } from '../../platform/events.js';
import type { LogLine } from './model.js';
import { followLog, readLog } from './reader.js';
import { LogRegistry } from './registry.js';
import { readLogLines } from './store.js';
import { LogWriter, type LogWriterOptions } from './writer.js';

const T0 = 1_700_000_000_000;

const insertExecution = (db: Db) => insertBareExecution(db, T0);

function lineText(n: number): string {
  return `line ${n} ${'.'.repeat(n % 37)}`;
}

/** Throws unless the lines are numbered from..from+count-1 with the texts lineText() gives. */
function expectLines(lines: LogLine[], from: number, count: number): void {
  expect(lines.map((line) => line.n)).toEqual(Array.from({ length: count }, (_, i) => from + i));
  for (const line of lines) expect(line.text).toBe(lineText(line.n));
}

function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.each(DIALECTS)('log reader on %s', (dialect) => {
  let database: TestDatabase;
  let executionId: number;
  let events: LocalEventBus;
  let registry: LogRegistry;
  const writers: LogWriter[] = [];

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
    executionId = await insertExecution(database.db);
    events = new LocalEventBus();
    registry = new LogRegistry();
  });

  afterEach(async () => {
    await Promise.allSettled(writers.splice(0).map((writer) => writer.close()));
    await database.close();
  });

  function newWriter(options: Partial<LogWriterOptions> = {}): LogWriter {
    const writer = new LogWriter({
      db: database.db,
      events,
      executionId,
      capBytes: 100 * 1024 ** 2,
      ...options,
    });
    writers.push(writer);
    registry.register(executionId, writer);
    return writer;
  }

  function writeLines(writer: LogWriter, from: number, count: number): void {
    const text = Array.from({ length: count }, (_, i) => `${lineText(from + i)}\n`).join('');
    writer.write('stdout', Buffer.from(text));
  }

  it('reads any range across chunk boundaries, touching only the chunks it needs', async () => {
    const writer = newWriter({ chunkBytes: 500 });
    for (let n = 0; n < 1000; n += 10) writeLines(writer, n, 10);
    await writer.close();
    const chunks = await database.db
      .selectFrom('log_chunks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(chunks.count)).toBeGreaterThan(50);
    for (const [from, limit] of [
      [0, 1],
      [0, 1000],
      [3, 17],
      [17, 250],
      [499, 2],
      [990, 100],
    ] as const) {
      expectLines(
        await readLogLines(database.db, executionId, from, limit),
        from,
        Math.min(limit, 1000 - from),
      );
      expectLines(
        await readLog({ db: database.db, registry }, executionId, from, limit),
        from,
        Math.min(limit, 1000 - from),
      );
    }
    expect(await readLogLines(database.db, executionId, 1000, 10)).toEqual([]);
  });

  it('merges stored lines with lines still held by the writer, without gaps or duplicates', async () => {
    const writer = newWriter({ flushIntervalMs: 60_000 });
    writeLines(writer, 0, 30);
    await writer.flush();
    writeLines(writer, 30, 20);
    const ctx = { db: database.db, registry };
    expectLines(await readLog(ctx, executionId, 0, 1000), 0, 50);
    expectLines(await readLog(ctx, executionId, 25, 10), 25, 10);
    expectLines(await readLog(ctx, executionId, 40, 5), 40, 5);
    // Another process sees only what is stored.
    expectLines(await readLog({ db: database.db, registry: new LogRegistry() }, executionId, 0, 1000), 0, 30);
  });

  it('never returns a gap or a duplicate while chunks are being stored', async () => {
    const writer = newWriter({ chunkBytes: 300, flushIntervalMs: 5 });
    const ctx = { db: database.db, registry };
    let written = 0;
    const reads: Promise<void>[] = [];
    for (let round = 0; round < 60; round++) {
      writeLines(writer, written, 7);
      written += 7;
      const from = round % 5 === 0 ? 0 : Math.floor(written / 2);
      const atLeast = written;
      reads.push(
        readLog(ctx, executionId, from, 10_000).then((lines) => {
          expect(lines[0]?.n).toBe(from);
          expectLines(lines, from, lines.length);
          expect(from + lines.length).toBeGreaterThanOrEqual(atLeast);
        }),
      );
      if (round % 3 === 0) await tick();
    }
    await Promise.all(reads);
    await writer.close();
    expectLines(await readLog(ctx, executionId, 0, 10_000), 0, written);
  });

  it('follows a log live from where it is asked, and ends once the execution finished', async () => {
    const writer = newWriter({ chunkBytes: 400, flushIntervalMs: 30 });
    let finished = false;
    writeLines(writer, 0, 5);
    const received: LogLine[] = [];
    const following = (async () => {
      const follow = followLog({ db: database.db, registry, events }, executionId, 3, {
        isFinished: async () => finished,
        signal: new AbortController().signal,
        batchLines: 50,
      });
      for await (const batch of follow) received.push(...batch);
    })();
    let n = 5;
    for (let round = 0; round < 40; round++) {
      writeLines(writer, n, round % 7);
      n += round % 7;
      await tick(round % 4);
    }
    await writer.close();
    registry.unregister(executionId, writer);
    finished = true;
    await following;
    expectLines(received, 3, n - 3);
  });

  it('follows a log written by another process through the database alone', async () => {
    // The writer publishes on the shared bus but is not in the follower's registry.
    const writer = new LogWriter({
      db: database.db,
      events,
      executionId,
      capBytes: 1e9,
      flushIntervalMs: 10,
    });
    writers.push(writer);
    let finished = false;
    const received: LogLine[] = [];
    const following = (async () => {
      const follow = followLog({ db: database.db, registry: new LogRegistry(), events }, executionId, 0, {
        isFinished: async () => finished,
        signal: new AbortController().signal,
        pollMs: 50,
      });
      for await (const batch of follow) received.push(...batch);
    })();
    for (let n = 0; n < 100; n += 10) {
      writeLines(writer, n, 10);
      await tick(5);
    }
    await writer.close();
    finished = true;
    await following;
    expectLines(received, 0, 100);
  });

  it('stops following when the signal aborts', async () => {
    newWriter();
    const controller = new AbortController();
    const follow = followLog({ db: database.db, registry, events }, executionId, 0, {
      isFinished: async () => false,
      signal: controller.signal,
      pollMs: 60_000,
    });
    const done = (async () => {
      for await (const batch of follow) expect(batch).toEqual([]);
    })();
    await tick(20);
    controller.abort();
    await done;
  });
});
