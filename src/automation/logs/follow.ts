/**
 * Live log followers, fanned out from one reader per execution. Every follower of an execution
 * in this process shares one feed: one 'log' subscription, one read of the store per wake-up,
 * one encoding of each batch as a Server-Sent Event, written as the same bytes to every socket.
 * A window of recent batches (bounded in bytes) serves followers a little behind the fastest; a
 * full window waits a moment for its slowest follower, then lets go of it: that follower catches
 * up from the store (reads shared with others left behind at the same place, a few at a time
 * across the process) and rejoins at the window's start. Nothing is buffered per follower
 * beyond the one batch its socket is taking. Open streams are capped per user and in total.
 *
 * Why: with a reader per follower, 50 followers of one busy execution each read, decoded and
 * serialized the whole log themselves (bench/follower-flood.ts: /healthz p99 of seconds).
 */
import type { Principal } from '../../access/model.js';
import { TooManyRequestsError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import type { LogLine } from './model.js';
import { readLog, type LogFollowContext } from './reader.js';

/** Stream limits: BATON_LOG_STREAMS_PER_USER and BATON_LOG_STREAMS. */
export interface LogStreamLimits {
  perUser: number;
  total: number;
}

export interface LogFollowersOptions extends LogFollowContext {
  metrics: Metrics;
  limits: LogStreamLimits;
  /** True once the execution is final and its writer closed (all lines stored). */
  isFinished: (executionId: number) => Promise<boolean>;
  /** Longest wait between reads without a wake-up, for writers in other processes (default 1000). */
  pollMs?: number;
  /** Most lines per batch (default 1000). */
  batchLines?: number;
  /** Bytes of recent batches a feed keeps for followers a little behind (default 4 MiB). */
  windowBytes?: number;
  /** Catch-up reads from the store running at once in this process (default 4). */
  catchUpReads?: number;
  /**
   * How long a full window waits for its slowest follower before letting go of it (default
   * 2000): followers of similar speed then move together, a stalled one catches up alone.
   */
  stallMs?: number;
}

/** Catch-up reads a feed keeps for other followers behind its window (each one batch). */
const CATCH_UP_CELLS = 16;

/** Seconds a refused follower is told to wait: streams last minutes, a slot frees when one ends. */
const RETRY_AFTER_SECONDS = 10;

/** Lines a follower receives at once, with their Server-Sent Event encoded once for all. */
export class LogBatch {
  private encoded: Buffer | undefined;
  private size: number | undefined;

  /** `lines` are those with `from <= n < to` (fewer if some were lost), in order. */
  constructor(
    readonly from: number,
    readonly to: number,
    readonly lines: readonly LogLine[],
  ) {}

  /** The `lines` event (id: the last line number), encoded on first use and shared afterwards. */
  event(): Buffer {
    const last = this.lines[this.lines.length - 1];
    this.encoded ??= Buffer.from(
      last === undefined ? '' : `id: ${last.n}\nevent: lines\ndata: ${JSON.stringify(this.lines)}\n\n`,
    );
    return this.encoded;
  }

  /** Rough memory held: the lines as text and their encoded event. */
  get bytes(): number {
    this.size ??= this.lines.reduce((bytes, line) => bytes + 2 * line.text.length + 64, 0);
    return this.size;
  }

  /** The part of the batch from line `from` on. */
  after(from: number): LogBatch {
    return from <= this.from
      ? this
      : new LogBatch(
          from,
          this.to,
          this.lines.filter((line) => line.n >= from),
        );
  }
}

/** A stream slot taken by `admit`; release it when the stream ends. */
export interface LogStreamSlot {
  release(): void;
}

export interface FollowOptions {
  signal: AbortSignal;
}

/** The followers of every execution in this process, and the slots they hold. */
export class LogFollowers {
  private readonly feeds = new Map<number, LogFeed>();
  private readonly streamsByCaller = new Map<string, number>();
  private streams = 0;
  private readonly catchUp: Semaphore;
  readonly batchLines: number;
  readonly windowBytes: number;
  readonly pollMs: number;
  readonly stallMs: number;

  constructor(private readonly options: LogFollowersOptions) {
    this.batchLines = options.batchLines ?? 1000;
    this.windowBytes = options.windowBytes ?? 4 * 1024 * 1024;
    this.pollMs = options.pollMs ?? 1000;
    this.stallMs = options.stallMs ?? 2000;
    this.catchUp = new Semaphore(options.catchUpReads ?? 4);
  }

  /**
   * Takes a stream slot for the caller, or throws 429 naming the limit reached. Checked after
   * authorization, so a caller who may not read the log learns nothing from the limits.
   */
  admit(caller: Principal): LogStreamSlot {
    const { perUser, total } = this.options.limits;
    const key = `${caller.kind}:${caller.id}`;
    const mine = this.streamsByCaller.get(key) ?? 0;
    if (mine >= perUser) {
      this.options.metrics.logStreamsRefused.inc({ limit: 'per_user' });
      throw new TooManyRequestsError(
        `too many log streams: ${caller.name} already follows ${mine}, the limit per user (BATON_LOG_STREAMS_PER_USER is ${perUser}); close one and retry`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (this.streams >= total) {
      this.options.metrics.logStreamsRefused.inc({ limit: 'total' });
      throw new TooManyRequestsError(
        `too many log streams: this server already serves ${this.streams}, its limit (BATON_LOG_STREAMS is ${total}); retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.streamsByCaller.set(key, mine + 1);
    this.streams++;
    this.options.metrics.logFollowers.set(this.streams);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.streamsByCaller.get(key) ?? 1) - 1;
        if (left > 0) this.streamsByCaller.set(key, left);
        else this.streamsByCaller.delete(key);
        this.streams--;
        this.options.metrics.logFollowers.set(this.streams);
      },
    };
  }

  /**
   * Follows a log from line `from`: yields batches in order, without gaps or repeats; ends once
   * the execution finished and every line was yielded, or when `signal` aborts.
   */
  async *follow(executionId: number, from: number, { signal }: FollowOptions): AsyncGenerator<LogBatch> {
    let feed = this.feeds.get(executionId);
    if (feed === undefined) {
      feed = new LogFeed(this, this.options, executionId, from);
      this.feeds.set(executionId, feed);
      this.options.metrics.logFollowReaders.set(this.feeds.size);
    }
    const cursor = feed.join(from);
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      while (!signal.aborted) {
        const { next } = cursor;
        if (next < feed.start) {
          // Behind the window: catch up from the store, then rejoin at the window's start.
          const batch = await feed.catchUp(next, this.catchUp);
          if (signal.aborted) return;
          cursor.next = batch.to;
          feed.advanced();
          if (batch.lines.length > 0) yield batch;
          continue;
        }
        const batch = feed.batchAt(next);
        if (batch !== undefined) {
          cursor.next = batch.to;
          feed.advanced();
          if (batch.lines.length > 0) yield batch;
          continue;
        }
        if (feed.complete) return;
        await Promise.race([feed.more(next), aborted]);
      }
    } finally {
      if (feed.leave(cursor) === 0) {
        feed.close();
        this.feeds.delete(executionId);
        this.options.metrics.logFollowReaders.set(this.feeds.size);
      }
    }
  }
}

/**
 * The one reader of an execution's log: reads on demand of its fastest follower, keeps recent
 * batches for the others. Its window covers lines `[start, next)` without holes.
 */
class LogFeed {
  /** Where each follower is: the window lets go of what every one of them has passed. */
  private readonly cursors = new Set<{ next: number }>();
  /** The execution finished and no line follows `next`. */
  complete = false;
  start: number;
  next: number;
  private readonly window: LogBatch[] = [];
  private windowBytes = 0;
  private reading: Promise<void> | undefined;
  private woken = false;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;
  /** Recent catch-up reads by first line, oldest first. */
  private readonly cells = new Map<number, Promise<LogBatch>>();
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly hub: LogFollowers,
    private readonly options: LogFollowersOptions,
    private readonly executionId: number,
    from: number,
  ) {
    this.start = from;
    this.next = from;
    // Subscribed before the first read, so a line appended while we read still wakes us.
    this.unsubscribe = options.events.subscribe('log', (id) => {
      if (id === executionId || id === undefined) this.onWake();
    });
  }

  /** Adds a follower at line `from`; move its `next` on as it is served. */
  join(from: number): { next: number } {
    const cursor = { next: from };
    this.cursors.add(cursor);
    return cursor;
  }

  /** Removes a follower; returns how many are left. */
  leave(cursor: { next: number }): number {
    this.cursors.delete(cursor);
    return this.cursors.size;
  }

  /**
   * Lines from `n` on, read from the store for a follower behind the window. Reads are cut
   * on a grid of `batchLines` and the last few kept, so followers left behind together (a
   * stall lets go of all those at the window's start at once) share them too.
   */
  async catchUp(n: number, reads: Semaphore): Promise<LogBatch> {
    const size = this.hub.batchLines;
    const cellStart = n - (n % size);
    let cell = this.cells.get(cellStart);
    const cached = cell && (await cell.catch(() => undefined));
    if (cached === undefined || cached.to <= n) {
      cell = reads.run(async () => {
        this.options.metrics.logFollowReads.inc({ reader: 'catch_up' });
        // Lines before the feed's position exist (or were lost); later ones may not yet.
        const to = Math.min(cellStart + size, this.next);
        const lines = await readLog(this.options, this.executionId, cellStart, to - cellStart);
        return new LogBatch(cellStart, to, lines);
      });
      this.cells.delete(cellStart);
      this.cells.set(cellStart, cell);
      if (this.cells.size > CATCH_UP_CELLS) this.cells.delete(this.cells.keys().next().value!);
    }
    return (await cell!).after(n);
  }

  /** A follower moved on: batches every follower passed go, which may make room for a read. */
  advanced(): void {
    this.trim(false);
    if (!this.full()) this.room?.();
  }

  /** The batch of the window holding line `n`, if the feed has read that far. */
  batchAt(n: number): LogBatch | undefined {
    if (n < this.start || n >= this.next) return undefined;
    // Batches are few (the window is bounded in bytes) and the wanted one is usually the last.
    for (let index = this.window.length - 1; index >= 0; index--) {
      const batch = this.window[index]!;
      if (batch.from <= n) return batch.after(n);
    }
    return undefined;
  }

  /**
   * Resolves once the feed has read past line `n` or found the log complete. A follower ahead
   * of the feed (one that resumed from a later line) moves the feed forward to it.
   */
  more(n: number): Promise<void> {
    if (n > this.next) {
      this.window.length = 0;
      this.windowBytes = 0;
      this.start = n;
      this.next = n;
    }
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.onWake();
    this.room?.();
  }

  private onWake(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Reads until a batch arrives, the log is complete, or the feed closes. */
  private async read(): Promise<void> {
    const { batchLines } = this.hub;
    while (!this.closed) {
      // Reading more into a full window would push out batches a follower still needs: wait
      // for the slowest to move on, and let go of it (it catches up from the store) if it
      // does not in time. Measured with 50 followers on one machine: without the wait they
      // drifted apart and made ten times as many catch-up reads as shared ones.
      if (this.full()) await this.waitForRoom(this.hub.stallMs);
      if (this.closed) return;
      this.trim(true);
      this.woken = false;
      // Asked before reading: if it was finished then, this read sees every line there will be.
      const finished = await this.options.isFinished(this.executionId);
      const from = this.next;
      this.options.metrics.logFollowReads.inc({ reader: 'shared' });
      const lines = await readLog(this.options, this.executionId, from, batchLines);
      if (this.closed || from !== this.next) return;
      const last = lines[lines.length - 1];
      if (last !== undefined) {
        this.append(new LogBatch(from, last.n + 1, lines));
        return;
      }
      if (finished) {
        this.complete = true;
        return;
      }
      if (!this.woken) await this.waitForWake(this.hub.pollMs);
    }
  }

  private append(batch: LogBatch): void {
    this.window.push(batch);
    this.windowBytes += batch.bytes;
    this.next = batch.to;
    this.trim(false);
  }

  /** More than the byte bound held, beyond the newest batch. */
  private full(): boolean {
    return this.window.length > 1 && this.windowBytes > this.hub.windowBytes;
  }

  /**
   * Lets go of the batches every follower in the window has passed (so a lone follower holds
   * one batch), and with `force` of the oldest ones until the window fits its bound (their
   * followers catch up from the store). The newest batch always stays.
   */
  private trim(force: boolean): void {
    let slowest = Infinity;
    for (const cursor of this.cursors)
      if (cursor.next >= this.start) slowest = Math.min(slowest, cursor.next);
    while (this.window.length > 1 && (this.window[0]!.to <= slowest || (force && this.full()))) {
      const dropped = this.window.shift()!;
      this.windowBytes -= dropped.bytes;
      this.start = dropped.to;
    }
  }

  private waitForRoom(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.room = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.room = done;
    });
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** At most `limit` tasks at once; the others wait their turn, first come first served. */
class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const nextTask = this.waiting.shift();
      if (nextTask) nextTask();
      else this.running--;
    }
  }
}
