/** Log followers on both databases: one reader per execution, a bounded window, stream limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  insertBareExecution,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/databases.js';
import type { Principal } from '../../access/model.js';
import { TooManyRequestsError } from '../../platform/errors.js';
import { LocalEventBus, type Topic } from '../../platform/events.js';
import { Metrics } from '../../platform/metrics.js';
import { LogFollowers, type LogFollowersOptions } from './follow.js';
import type { LogLine } from './model.js';
import { LogRegistry } from './registry.js';
import { LogWriter } from './writer.js';

const T0 = 1_700_000_000_000;

/** The in-process bus, counting who listens to log lines: the seam that shows how many readers there are. */
class CountingEventBus extends LocalEventBus {
  logSubscriptions = 0;
  maxLogSubscriptions = 0;

  override subscribe(topic: Topic, handler: (id: number | undefined) => void): () => void {
    const unsubscribe = super.subscribe(topic, handler);
    if (topic !== 'log') return unsubscribe;
    this.logSubscriptions++;
    this.maxLogSubscriptions = Math.max(this.maxLogSubscriptions, this.logSubscriptions);
    return () => {
      this.logSubscriptions--;
      unsubscribe();
    };
  }
}

async function readsOf(metrics: Metrics, reader: 'shared' | 'catch_up'): Promise<number> {
  const metric = await metrics.logFollowReads.get();
  return metric.values.find((value) => value.labels.reader === reader)?.value ?? 0;
}

const user = (id: number, name: string): Principal => ({
  kind: 'user',
  id,
  name,
  isAdmin: false,
  via: 'token',
});

describe.each(DIALECTS)('log followers on %s', (dialect) => {
  let database: TestDatabase;
  let executionId: number;
  let events: CountingEventBus;
  let registry: LogRegistry;
  let metrics: Metrics;
  let finished: boolean;

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
    executionId = await insertBareExecution(database.db, T0);
    events = new CountingEventBus();
    registry = new LogRegistry();
    metrics = new Metrics();
    finished = false;
  });
  afterEach(() => database.close());

  function newFollowers(options: Partial<LogFollowersOptions> = {}): LogFollowers {
    return new LogFollowers({
      db: database.db,
      registry,
      events,
      metrics,
      limits: { perUser: 100, total: 100 },
      isFinished: async () => finished,
      ...options,
    });
  }

  function newWriter(): LogWriter {
    const writer = new LogWriter({
      db: database.db,
      events,
      executionId,
      capBytes: 100 * 1024 ** 2,
      chunkBytes: 2000,
      flushIntervalMs: 20,
    });
    registry.register(executionId, writer);
    return writer;
  }

  async function writeWholeLog(lines: number): Promise<void> {
    const writer = newWriter();
    writer.write('stdout', Buffer.from(Array.from({ length: lines }, (_, n) => `line ${n}\n`).join('')));
    await writer.close();
    registry.unregister(executionId, writer);
    finished = true;
  }

  async function collect(follow: AsyncGenerator<{ lines: readonly LogLine[] }>): Promise<string[]> {
    const texts: string[] = [];
    for await (const batch of follow) for (const line of batch.lines) texts.push(`${line.n} ${line.text}`);
    return texts;
  }

  const expected = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `${from + i} line ${from + i}`);

  it('gives twenty followers of a finished log one reader: each read serves them all', async () => {
    await writeWholeLog(1000);
    const followers = newFollowers({ batchLines: 100 });
    const received = await Promise.all(
      Array.from({ length: 20 }, () =>
        collect(followers.follow(executionId, 0, { signal: new AbortController().signal })),
      ),
    );
    for (const texts of received) expect(texts).toEqual(expected(0, 1000));
    // Ten full batches and the empty read that finds the log complete: the same as for one
    // follower, where a reader per follower made it 20 times as many.
    expect(await readsOf(metrics, 'shared')).toBe(11);
    expect(await readsOf(metrics, 'catch_up')).toBe(0);
    expect(events.maxLogSubscriptions).toBe(1);
    expect(events.logSubscriptions).toBe(0);
    expect((await metrics.logFollowReaders.get()).values[0]?.value).toBe(0);
  });

  it('gives live followers the whole log in order, identical, from one subscription', async () => {
    const writer = newWriter();
    const followers = newFollowers({ batchLines: 50, pollMs: 50 });
    const following = Array.from({ length: 10 }, () =>
      collect(followers.follow(executionId, 0, { signal: new AbortController().signal })),
    );
    let n = 0;
    for (let round = 0; round < 30; round++) {
      const count = 1 + (round % 13);
      writer.write(
        'stdout',
        Buffer.from(Array.from({ length: count }, (_, i) => `line ${n + i}\n`).join('')),
      );
      n += count;
      // Let the followers read between writes, so the log really is followed as it grows.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.close();
    registry.unregister(executionId, writer);
    finished = true;
    const received = await Promise.all(following);
    for (const texts of received) expect(texts).toEqual(expected(0, n));
    expect(events.maxLogSubscriptions).toBe(1);
  });

  it('catches a follower that fell behind the window up from the store, the window staying bounded', async () => {
    await writeWholeLog(1000);
    // A window of about two batches of 50 short lines, and little patience with a stalled follower.
    const followers = newFollowers({ batchLines: 50, windowBytes: 8000, stallMs: 10 });
    const signal = new AbortController().signal;
    const slow = followers.follow(executionId, 0, { signal });
    const first = await slow.next();
    expect(first.value?.lines[0]?.n).toBe(0);
    // The fast follower reads the whole log while the slow one holds its first batch.
    expect(await collect(followers.follow(executionId, 0, { signal }))).toEqual(expected(0, 1000));
    expect(await readsOf(metrics, 'catch_up')).toBe(0);
    const rest: string[] = [];
    for (let next = await slow.next(); !next.done; next = await slow.next())
      for (const line of next.value.lines) rest.push(`${line.n} ${line.text}`);
    expect(rest).toEqual(expected(50, 1000));
    // What the window had let go of came from the store, read by the slow follower alone.
    expect(await readsOf(metrics, 'catch_up')).toBeGreaterThan(0);
    expect(await readsOf(metrics, 'shared')).toBe(21);
  });

  it('lets followers left behind together share their catch-up reads', async () => {
    await writeWholeLog(1000);
    const followers = newFollowers({ batchLines: 50, windowBytes: 8000, stallMs: 10 });
    const slow = [0, 1].map(() => followers.follow(executionId, 0, { signal: new AbortController().signal }));
    for (const follow of slow) expect((await follow.next()).value?.lines[0]?.n).toBe(0);
    expect(await collect(followers.follow(executionId, 0, { signal: new AbortController().signal }))).toEqual(
      expected(0, 1000),
    );
    const rests = await Promise.all(slow.map((follow) => collect(follow)));
    for (const rest of rests) expect(rest).toEqual(expected(50, 1000));
    // At most one read per 50 lines behind the window, not one per follower.
    const catchUps = await readsOf(metrics, 'catch_up');
    expect(catchUps).toBeGreaterThan(0);
    expect(catchUps).toBeLessThanOrEqual(1000 / 50);
  });

  it('keeps a follower that lags but keeps moving in the shared window instead of leaving it behind', async () => {
    await writeWholeLog(1000);
    // The window holds about two batches; the fast follower would outrun it at once, but it
    // waits for the slow one as long as that one moves (the stall limit is never reached here).
    const followers = newFollowers({ batchLines: 50, windowBytes: 8000, stallMs: 600_000 });
    const fast = collect(followers.follow(executionId, 0, { signal: new AbortController().signal }));
    const slow: string[] = [];
    for await (const batch of followers.follow(executionId, 0, { signal: new AbortController().signal })) {
      for (const line of batch.lines) slow.push(`${line.n} ${line.text}`);
      // Let the fast follower run ahead as far as the window allows before moving on.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await fast).toEqual(expected(0, 1000));
    expect(slow).toEqual(expected(0, 1000));
    expect(await readsOf(metrics, 'catch_up')).toBe(0);
    expect(await readsOf(metrics, 'shared')).toBe(21);
  });

  it('resumes a follower from a later line than the others without repeating or skipping', async () => {
    await writeWholeLog(300);
    const followers = newFollowers({ batchLines: 40 });
    const signal = new AbortController().signal;
    const [fromStart, resumed] = await Promise.all([
      collect(followers.follow(executionId, 0, { signal })),
      collect(followers.follow(executionId, 137, { signal })),
    ]);
    expect(fromStart).toEqual(expected(0, 300));
    expect(resumed).toEqual(expected(137, 300));
  });

  it('stops a follower when its signal aborts and lets go of the reader with the last one', async () => {
    const writer = newWriter();
    const followers = newFollowers({ pollMs: 60_000 });
    const controller = new AbortController();
    const follow = followers.follow(executionId, 0, { signal: controller.signal });
    const done = collect(follow);
    writer.write('stdout', Buffer.from('line 0\n'));
    // Wait until the feed exists (its subscription is made when the follower starts).
    while (events.logSubscriptions === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await done;
    expect(events.logSubscriptions).toBe(0);
    await writer.close();
  });

  it('refuses a stream past the per-user or the total limit with 429 naming it, and frees the slot on release', () => {
    const followers = newFollowers({ limits: { perUser: 2, total: 3 } });
    const ada = user(2, 'ada');
    const bob = user(3, 'bob');
    const first = followers.admit(ada);
    followers.admit(ada);
    const refused = (() => {
      try {
        followers.admit(ada);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).message).toContain('BATON_LOG_STREAMS_PER_USER is 2');
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);

    followers.admit(bob);
    first.release();
    first.release(); // twice is once
    // Ada has a slot again, but the server is full: 3 streams with ada's new one.
    followers.admit(ada);
    expect(() => followers.admit(bob)).toThrow(/BATON_LOG_STREAMS is 3/);
  });
});
