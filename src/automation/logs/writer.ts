/**
 * Turns one execution's output into numbered, timestamped lines and stores them in compressed
 * chunks. Memory stays bounded whatever the child prints: at most one partial line per stream,
 * the chunk being filled, and the chunks on their way to the database, which `write()` reports
 * through its return value so the caller can pause the pipe; past the cap nothing is kept.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes } from '../../platform/bytes.js';
import type { Db } from '../../platform/db/database.js';
import { coerceError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { ChunkFrame, compressFrame, parseFrame } from './chunk-format.js';
import { Masker } from './masking.js';
import type { LogLine, LogStream, LogTotals } from './model.js';
import { insertLogChunk, lastLogChunkSeq } from './store.js';

/** A partial line longer than this is stored as a line of its own, so one line cannot hold memory. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Bytes waiting to be stored above which `write()` asks the caller to pause the pipe. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** A flood of output wakes followers at most this often (plus one trailing wake-up). */
const PUBLISH_INTERVAL_MS = 50;
/**
 * Waits before retrying a failed insert: long enough (about 38 s in all) to ride out a database
 * restart or failover; the pipe is paused meanwhile, so no line is lost.
 */
const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [200, 1000, 2000, 5000, 10000, 20000];

const NEWLINE = 0x0a;

export interface LogWriterOptions {
  db: Db;
  events: EventBus;
  executionId: number;
  /** Bytes of lines (one newline each included) to store at most; output past it is discarded. */
  capBytes: number;
  /** Number of the first line, to continue a log that already has stored lines (default 0). */
  firstLine?: number;
  now?: () => number;
  /** A chunk is stored when its lines reach this many bytes (default 256 KiB). */
  chunkBytes?: number;
  /** …or this long after its first line (default 1000 ms). */
  flushIntervalMs?: number;
  retryDelaysMs?: readonly number[];
  /**
   * Secret values (decrypted) whose every printed form is replaced by `*****` before a line is
   * stored or shown to a follower; see masking.ts.
   */
  secrets?: readonly string[];
  /**
   * Asked before each chunk is stored: false once the worker lost its lease on the execution,
   * which then stores nothing more (as after abandon()), so that a worker resumed after a freeze
   * cannot put its late lines into the log of the run that replaced it.
   */
  mayStore?: () => boolean;
}

/** Lines handed to storage as one chunk. */
interface Batch {
  firstLine: number;
  frame: ChunkFrame;
  /**
   * Line bytes as stored, newlines included: what the cap and `chunkBytes` count. That is as
   * printed, except where a secret was masked: the cap bounds what is stored and shown.
   */
  bytes: number;
  /** The compressed frame, once sealed. */
  data?: Promise<Buffer>;
}

/** The unfinished last line of one stream, in a buffer the writer owns (the caller's may be reused). */
class PartialLine {
  private buffer: Buffer | undefined;
  length = 0;

  append(source: Buffer, start: number, end: number): void {
    this.buffer ??= Buffer.allocUnsafe(MAX_LINE_BYTES);
    this.length += source.copy(this.buffer, this.length, start, end);
  }

  /** The bytes held, as a view valid until the next change. */
  get bytes(): Buffer {
    return this.buffer ? this.buffer.subarray(0, this.length) : Buffer.alloc(0);
  }

  /**
   * Where to cut a full partial line so no UTF-8 character is split, given the byte that follows
   * it: back up over an incomplete sequence at the end (at most 3 bytes), else cut at the end.
   */
  cutBefore(nextByte: number): number {
    const buffer = this.buffer;
    if (!buffer || (nextByte & 0xc0) !== 0x80) return this.length;
    for (let i = this.length - 1; i >= Math.max(0, this.length - 3); i--) {
      const byte = buffer[i]!;
      if ((byte & 0xc0) === 0xc0) return i === 0 ? this.length : i;
      if ((byte & 0xc0) !== 0x80) break;
    }
    return this.length;
  }

  /**
   * A cut at or before `position` that does not split a UTF-8 character: backs up over
   * continuation bytes to the character's first byte (at most 3), else cuts at `position`.
   */
  cutAt(position: number): number {
    const buffer = this.buffer;
    if (!buffer) return position;
    for (let i = position; i >= Math.max(1, position - 3); i--) {
      if ((buffer[i]! & 0xc0) !== 0x80) return i;
    }
    return position;
  }

  /** Drops the first `count` bytes, keeping the rest as the start of the line. */
  shift(count: number): void {
    // The line may have been released meanwhile (the cap was reached while storing it).
    if (count >= this.length) {
      this.length = 0;
      return;
    }
    this.buffer!.copyWithin(0, count, this.length);
    this.length -= count;
  }

  /** Forgets everything, returning the buffer to the garbage collector. */
  release(): void {
    this.buffer = undefined;
    this.length = 0;
  }
}

/** Writes one execution's log; see the module comment. */
export class LogWriter {
  private readonly db: Db;
  private readonly events: EventBus;
  private readonly executionId: number;
  private readonly capBytes: number;
  private readonly now: () => number;
  private readonly chunkBytes: number;
  private readonly flushIntervalMs: number;
  private readonly retryDelaysMs: readonly number[];
  /** Hides the execution's secrets in every line; undefined when it has none (no cost at all). */
  private readonly masker: Masker | undefined;
  /** Bytes of a full partial line kept back when cutting it, so a secret across the cut is seen whole. */
  private readonly cutHoldback: number;

  private next: number;
  private open: Batch;
  /** Sealed batches not yet durably stored, oldest first; readers see them through pending(). */
  private readonly sealed: Batch[] = [];
  private pendingBytes = 0;
  private readonly partials: Record<'stdout' | 'stderr', PartialLine> = {
    stdout: new PartialLine(),
    stderr: new PartialLine(),
  };

  private receivedBytes = 0;
  /** Received bytes that became part of a line, newlines consumed included. */
  private acceptedBytes = 0;
  private lineBytes = 0;
  private lostBytes = 0;
  private capped = false;
  private closing: Promise<LogTotals> | undefined;
  private abandoned = false;

  private flushTimer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private lastPublishAt = -Infinity;
  private storing: Promise<void> | undefined;
  private seq: number | undefined;
  private error: Error | undefined;
  private needDrain = false;
  private readonly drainListeners = new Set<() => void>();
  private readonly mayStore: () => boolean;

  constructor(options: LogWriterOptions) {
    this.mayStore = options.mayStore ?? (() => true);
    this.db = options.db;
    this.events = options.events;
    this.executionId = options.executionId;
    this.capBytes = options.capBytes;
    this.now = options.now ?? Date.now;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.masker = options.secrets?.length ? Masker.forSecrets(options.secrets, MAX_LINE_BYTES) : undefined;
    // A match starting before the cut then ends inside the buffer, where cutFullLine() finds it.
    // Capped so a cut line still takes at least half the buffer (see cutFullLine()).
    this.cutHoldback = this.masker ? Math.min(this.masker.longestPatternBytes - 1, MAX_LINE_BYTES / 2) : 0;
    this.next = options.firstLine ?? 0;
    // A log that starts at line 0 has no chunks yet; otherwise the first insert looks up the last seq.
    // (Should another writer hold seq 0 after all, the insert finds it taken and moves past it.)
    if (this.next === 0) this.seq = 0;
    this.open = this.newBatch();
  }

  /**
   * Raw bytes from a child's pipe. Never blocks and never keeps a reference to `data`. Returns
   * false when the caller should pause the pipe until 'drain', true otherwise.
   */
  write(stream: 'stdout' | 'stderr', data: Buffer): boolean {
    if (this.closing) return true;
    this.receivedBytes += data.length;
    if (this.capped || data.length === 0) return this.accepting();
    const t = this.now();
    const partial = this.partials[stream];
    const before = this.next;
    // No secret spans a newline, so one scan of the whole read tells which of its lines can hold
    // one: those ending after the first match (cheaper than a scan per line; see masking.ts).
    const secretAt = this.masker ? this.masker.firstSecretAt(data) : -1;
    let at = 0;
    while (at < data.length && !this.capped) {
      const newline = data.indexOf(NEWLINE, at);
      const end = newline === -1 ? data.length : newline;
      if (partial.length === 0 && newline !== -1 && end - at <= MAX_LINE_BYTES) {
        // The common case: a whole line inside this read, copied once into the chunk.
        this.append(stream, t, data, at, end, end - at + 1, secretAt !== -1 && secretAt < end);
      } else {
        let start = at;
        while (start < end && !this.capped) {
          if (partial.length === MAX_LINE_BYTES) {
            const cut = this.masker ? this.cutFullLine(partial) : partial.cutBefore(data[start]!);
            this.append(stream, t, partial.bytes, 0, cut, cut);
            partial.shift(cut);
            continue;
          }
          const take = Math.min(end - start, MAX_LINE_BYTES - partial.length);
          partial.append(data, start, start + take);
          start += take;
        }
        if (newline !== -1 && !this.capped) {
          const length = partial.length;
          this.append(stream, t, partial.bytes, 0, length, length + 1);
          partial.shift(length);
        }
      }
      at = end + 1;
    }
    if (this.next !== before) this.announce();
    return this.accepting();
  }

  /** Calls `listener` each time a paused pipe may resume; returns the function that unsubscribes. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  /** Ends the partial line of a stream (process exited). */
  endStream(stream: 'stdout' | 'stderr'): void {
    const partial = this.partials[stream];
    if (partial.length === 0 || this.capped) return;
    const length = partial.length;
    this.append(stream, this.now(), partial.bytes, 0, length, length);
    partial.shift(length);
    this.announce();
  }

  /**
   * A line written by Baton itself (step started, cap reached…), stream 'system'. These are kept
   * past the cap: they are few, and they say what happened to the run.
   */
  system(text: string): void {
    if (this.closing) return;
    this.appendSystem(text);
    this.announce();
  }

  /** Number the next line will get. */
  get nextLine(): number {
    return this.next;
  }

  /** What was numbered, stored and discarded so far (what close() returns once everything is stored). */
  get totals(): LogTotals {
    const held = this.partials.stdout.length + this.partials.stderr.length;
    return {
      lines: this.next,
      bytes: this.lineBytes - this.lostBytes,
      discardedBytes: this.receivedBytes - this.acceptedBytes - held + this.lostBytes,
    };
  }

  /** Lines not yet stored in the database, with n >= from (for in-process followers), at most `limit`. */
  pending(from: number, limit = Infinity): LogLine[] {
    const lines: LogLine[] = [];
    for (const batch of [...this.sealed, this.open]) {
      if (lines.length >= limit) break;
      if (batch.firstLine + batch.frame.lineCount <= from) continue;
      const to = Math.max(from, batch.firstLine) + (limit - lines.length);
      for (const line of parseFrame(batch.frame.bytes(), batch.firstLine, from, to)) lines.push(line);
    }
    return lines;
  }

  /** Stores every complete line; rejects if any chunk of this log could not be stored. */
  async flush(): Promise<void> {
    this.seal();
    while (this.storing) await this.storing;
    if (this.error) throw this.error;
  }

  /** Flushes everything and stops the timer; returns totals. Safe to call once (later calls share the result). */
  close(): Promise<LogTotals> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /**
   * Stops without storing anything more: the execution was handed to another worker (this one
   * lost its lease), whose log must not be interleaved with this one's late lines.
   */
  abandon(): void {
    this.abandoned = true;
    this.closing ??= Promise.resolve(this.totals);
    clearTimeout(this.flushTimer);
    clearTimeout(this.publishTimer);
    for (const partial of Object.values(this.partials)) partial.release();
  }

  private async finish(): Promise<LogTotals> {
    for (const stream of ['stdout', 'stderr'] as const) {
      const partial = this.partials[stream];
      if (partial.length > 0 && !this.capped) {
        const length = partial.length;
        this.append(stream, this.now(), partial.bytes, 0, length, length);
      }
      partial.release();
    }
    // Only what the cap threw away: lines lost to a storage failure are reported by the rejection.
    const discarded = this.receivedBytes - this.acceptedBytes;
    if (discarded > 0) {
      this.appendSystem(
        `[baton] ${discarded} bytes${discarded >= 1024 ? ` (${formatBytes(discarded)})` : ''} of output were discarded`,
      );
    }
    try {
      await this.flush();
      return this.totals;
    } finally {
      clearTimeout(this.publishTimer);
      this.publishTimer = undefined;
      this.publishNow();
    }
  }

  private accepting(): boolean {
    // Past the cap nothing is kept, so the pipe may run freely whatever is still being stored.
    if (this.capped || this.pendingBytes <= MAX_PENDING_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  /**
   * Where to cut a full partial line when secrets are masked. The last `cutHoldback` bytes stay
   * for the next line, so any match starting before the cut ends inside the buffer; if a match
   * still crosses the cut, the cut moves to where that match (with those overlapping it) starts,
   * so the secret goes whole to the next line. Only a run of matches from the line's very start
   * across the cut is cut after its end instead (the next line may then start inside a longer
   * secret that continues past the buffer: it takes 32 KiB of secrets in a row to get there).
   */
  private cutFullLine(partial: PartialLine): number {
    const cut = partial.cutAt(MAX_LINE_BYTES - this.cutHoldback);
    const ranges = this.masker!.maskedRanges(partial.bytes);
    for (let i = 0; i < ranges.length; i += 2) {
      const from = ranges[i]!;
      const to = ranges[i + 1]!;
      if (from >= cut) break;
      if (to > cut) return from > 0 ? from : to;
    }
    return cut;
  }

  /**
   * Numbers `source[start, end)` as a line, its secrets masked (unless `mayHoldSecret` is false:
   * a scan of the whole read found none there), or reaches the cap; `consumed` is what it took
   * from the pipe.
   */
  private append(
    stream: LogStream,
    t: number,
    source: Buffer,
    start: number,
    end: number,
    consumed: number,
    mayHoldSecret = true,
  ) {
    const masked = mayHoldSecret ? this.masker?.mask(source, start, end) : undefined;
    if (masked) {
      source = masked;
      start = 0;
      end = masked.length;
    }
    // The cap counts stored bytes (masked), as the chunks do: it bounds what is kept and shown.
    const bytes = end - start + 1;
    if (this.lineBytes + bytes > this.capBytes) {
      this.capped = true;
      this.partials.stdout.release();
      this.partials.stderr.release();
      this.appendSystem(
        `[baton] log limit of ${formatBytes(this.capBytes)} reached: further output is discarded (the process keeps running)`,
      );
      return;
    }
    this.acceptedBytes += consumed;
    this.push(stream, t, source, start, end);
  }

  private appendSystem(text: string): void {
    const t = this.now();
    // A stored line never contains a newline; a multi-line message becomes several lines.
    for (const part of text.split('\n')) {
      // Baton's own messages quote commands and errors, which may hold a secret too.
      const printed = Buffer.from(part);
      const bytes = this.masker?.mask(printed) ?? printed;
      this.push('system', t, bytes, 0, bytes.length);
    }
  }

  private push(stream: LogStream, t: number, source: Buffer, start: number, end: number): void {
    const batch = this.open;
    if (batch.frame.lineCount === 0) {
      this.flushTimer = setTimeout(() => this.seal(), this.flushIntervalMs);
      // A forgotten writer must not keep the process alive; close() stores what is left.
      this.flushTimer.unref();
    }
    const bytes = end - start + 1;
    batch.frame.append(stream, t, source, start, end);
    batch.bytes += bytes;
    this.pendingBytes += bytes;
    this.lineBytes += bytes;
    this.next++;
    if (batch.bytes >= this.chunkBytes) this.seal();
  }

  private newBatch(previous?: Batch): Batch {
    // Start the next frame the size the last one reached plus one longest line, so a busy log
    // neither regrows nor doubles each chunk (a chunk overshoots chunkBytes by at most a line).
    const capacity = previous ? previous.frame.size + MAX_LINE_BYTES + 64 : 4096;
    return { firstLine: this.next, frame: new ChunkFrame(capacity), bytes: 0 };
  }

  /** Hands the open batch to storage. */
  private seal(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.open;
    if (batch.frame.lineCount === 0) return;
    this.open = this.newBatch(batch);
    batch.data = compressFrame(batch.frame.bytes());
    // Awaited in order by the store loop; this only keeps an early failure from being "unhandled".
    batch.data.catch(() => undefined);
    this.sealed.push(batch);
    this.pump();
  }

  private pump(): void {
    if (this.storing) return;
    this.storing = this.storeSealed()
      .catch((error: unknown) => {
        this.error ??= coerceError(error);
      })
      .finally(() => {
        this.storing = undefined;
        if (this.sealed.length > 0) this.pump();
      });
  }

  /** Stores sealed batches one at a time, in order, so stored lines never have a hole behind pending ones. */
  private async storeSealed(): Promise<void> {
    while (this.sealed.length > 0) {
      const batch = this.sealed[0]!;
      if (!this.abandoned && !this.mayStore()) this.abandon();
      if (this.abandoned) {
        this.sealed.length = 0;
        return;
      }
      try {
        const data = await batch.data!;
        this.seq ??= await this.withRetries(
          async () => (await lastLogChunkSeq(this.db, this.executionId)) + 1,
        );
        for (;;) {
          // Asked again here: the compression or the seq lookup above may have spanned a freeze.
          if (!this.mayStore()) {
            this.abandon();
            this.sealed.length = 0;
            return;
          }
          const seq = this.seq++;
          const outcome = await this.withRetries(() =>
            insertLogChunk(this.db, {
              executionId: this.executionId,
              seq,
              firstLine: batch.firstLine,
              lineCount: batch.frame.lineCount,
              rawBytes: batch.bytes,
              data,
              createdAt: this.now(),
            }),
          );
          if (outcome === 'stored') break;
          // Another writer of this execution took the seq (a worker that lost it, still finishing): go after it.
          this.seq = (await this.withRetries(() => lastLogChunkSeq(this.db, this.executionId))) + 1;
        }
      } catch (error) {
        // The lines are lost; later chunks are still stored, and flush()/close() report it.
        this.lostBytes += batch.bytes;
        const last = batch.firstLine + batch.frame.lineCount - 1;
        this.error ??= new Error(
          `storing the log of execution ${this.executionId} failed; lines ${batch.firstLine}–${last} are lost`,
          { cause: coerceError(error) },
        );
      }
      // Only now do the lines leave pending(): a reader sees each line either here or in the database.
      this.sealed.shift();
      this.pendingBytes -= batch.bytes;
      this.announce();
      this.drainIfBelow();
    }
  }

  private async withRetries<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) throw error;
        await sleep(delay);
      }
    }
  }

  private drainIfBelow(): void {
    // Resume at half the bound, so a pipe is not paused and resumed for every chunk.
    if (!this.needDrain || this.pendingBytes > MAX_PENDING_BYTES / 2) return;
    this.needDrain = false;
    for (const listener of [...this.drainListeners]) {
      try {
        listener();
      } catch (error) {
        this.error ??= new Error('a log drain listener threw', { cause: coerceError(error) });
      }
    }
  }

  /** Wakes followers, at most once per PUBLISH_INTERVAL_MS with a trailing wake-up. */
  private announce(): void {
    if (this.publishTimer) return;
    const wait = this.lastPublishAt + PUBLISH_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.publishNow();
      return;
    }
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publishNow();
    }, wait);
    this.publishTimer.unref();
  }

  private publishNow(): void {
    this.lastPublishAt = performance.now();
    this.events.publish('log', this.executionId);
  }
}
