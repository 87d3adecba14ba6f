/**
 * Fetches the blocks of lines the view shows, and no others. Scrolling through a million lines
 * passes a thousand blocks; asking for each would be a storm of requests whose answers arrive
 * after the user has moved on. So requests wait until the view settles (or, during a long slow
 * scroll, at most `maxWaitMs`), at most two run at once, the blocks nearest the middle of the
 * view go first, and a request for a block the view has left far behind is aborted.
 */
import type { LogLine } from '../../api/executions';
import type { LogLineStore } from './line-store';

/** Fetches lines [from, from + limit) of the log. */
export type FetchLines = (from: number, limit: number, signal: AbortSignal) => Promise<LogLine[]>;

export interface BlockLoaderOptions {
  /** Quiet time after the last change of view before fetching (default 60 ms). */
  settleMs?: number;
  /** Longest wait while the view keeps changing (default 250 ms). */
  maxWaitMs?: number;
  /** Requests in flight at most (default 2). */
  maxInFlight?: number;
  /** Lines around the view fetched with it, so that a small scroll finds them there (default 200). */
  marginLines?: number;
}

interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const browserTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

export class BlockLoader {
  private view = { from: 0, to: 0 };
  private readonly inFlight = new Map<number, AbortController>();
  /** The log's length when each block was last fetched: it is fetched again only once the log grew. */
  private readonly fetchedAt = new Map<number, number>();
  private timer: unknown;
  private waitingSince: number | undefined;
  private closed = false;
  /** The last failure, until a fetch succeeds; the view shows it with a way to retry. */
  error: unknown = undefined;

  private readonly settleMs: number;
  private readonly maxWaitMs: number;
  private readonly maxInFlight: number;
  private readonly marginLines: number;

  constructor(
    private readonly store: LogLineStore,
    private readonly fetchLines: FetchLines,
    /** Called when lines arrived or the error changed. */
    private readonly changed: () => void,
    options: BlockLoaderOptions = {},
    private readonly timers: Timers = browserTimers,
  ) {
    this.settleMs = options.settleMs ?? 60;
    this.maxWaitMs = options.maxWaitMs ?? 250;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.marginLines = options.marginLines ?? 200;
  }

  /**
   * The view now shows lines [from, to). `now` fetches at once (opening the log, a jump to a
   * step or a match); otherwise the fetch waits for scrolling to settle.
   */
  show(from: number, to: number, now = false): void {
    this.view = { from, to };
    this.store.touch(from, to);
    if (now) {
      this.fetch();
      return;
    }
    const time = this.timers.now();
    this.waitingSince ??= time;
    this.timers.clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.settleMs, this.waitingSince + this.maxWaitMs - time));
    this.timer = this.timers.setTimeout(() => this.fetch(), wait);
  }

  /** Forgets failures and fetches what the view misses again. */
  retry(): void {
    this.error = undefined;
    this.fetchedAt.clear();
    this.fetch();
  }

  /** Aborts every request; nothing is fetched until `open()`. */
  close(): void {
    this.closed = true;
    this.timers.clearTimeout(this.timer);
    for (const [index, controller] of this.inFlight) {
      controller.abort();
      this.fetchedAt.delete(index);
    }
    this.inFlight.clear();
  }

  /**
   * Fetches again after `close()`, starting with what the view shows. (React mounts a component,
   * unmounts and mounts it again in development; the loader must survive that.)
   */
  open(): void {
    if (!this.closed) return;
    this.closed = false;
    if (this.view.to > this.view.from) this.fetch();
  }

  /** Drops the least recently used blocks beyond the store's limit, keeping those near the view. */
  trim(): void {
    this.store.evict((index) => this.isNearView(index));
  }

  /** Blocks being fetched now (for tests). */
  get pending(): number[] {
    return [...this.inFlight.keys()];
  }

  private fetch(): void {
    this.timers.clearTimeout(this.timer);
    this.waitingSince = undefined;
    if (this.closed) return;
    const from = Math.max(0, this.view.from - this.marginLines);
    const to = this.view.to + this.marginLines;
    const nearby = (index: number) => this.isNearView(index);
    for (const [index, controller] of this.inFlight) {
      if (!nearby(index)) {
        controller.abort();
        this.inFlight.delete(index);
        this.fetchedAt.delete(index);
      }
    }
    // Blocks on screen are never dropped, whatever else was seen since.
    this.store.evict(nearby);
    const wanted = this.store
      .incompleteBlocks(from, to, Math.floor((this.view.from + this.view.to) / 2))
      .filter((index) => !this.inFlight.has(index) && this.fetchedAt.get(index) !== this.store.total);
    for (const index of wanted) {
      if (this.inFlight.size >= this.maxInFlight) break;
      this.start(index);
    }
  }

  /** The block holds lines on screen, within the margin, or next to those. */
  private isNearView(index: number): boolean {
    const { blockLines } = this.store;
    const from = Math.max(0, this.view.from - this.marginLines);
    const to = this.view.to + this.marginLines;
    return index >= Math.floor(from / blockLines) - 1 && index <= Math.floor((to - 1) / blockLines) + 1;
  }

  private start(index: number): void {
    const controller = new AbortController();
    this.inFlight.set(index, controller);
    this.fetchedAt.set(index, this.store.total);
    const { blockLines } = this.store;
    this.fetchLines(index * blockLines, blockLines, controller.signal).then(
      (lines) => {
        if (controller.signal.aborted) return;
        this.inFlight.delete(index);
        this.store.add(lines);
        // Lines that arrived since this fetch was asked for leave the block short: that is
        // complete as of the log's length when it was asked.
        this.fetchedAt.set(index, this.store.total);
        this.error = undefined;
        this.changed();
        this.fetch();
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        this.inFlight.delete(index);
        this.error = error;
        this.changed();
      },
    );
  }
}
