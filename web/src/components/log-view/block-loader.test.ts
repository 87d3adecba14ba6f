import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../api/executions';
import { BlockLoader } from './block-loader';
import { LogLineStore } from './line-store';

/** A clock that moves only when told, and runs the timers that fall due. */
class FakeTimers {
  private time = 0;
  private nextId = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.due.set(id, { at: this.time + ms, callback });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.due.delete(handle as number);
  };
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > until) break;
      this.due.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = until;
  }
}

interface Request {
  from: number;
  limit: number;
  signal: AbortSignal;
  answer(lines?: LogLine[]): Promise<void>;
  fail(error: Error): Promise<void>;
}

/** A loader over a log of `total` lines whose range requests wait until answered. */
function setUp(total: number, options = {}) {
  const store = new LogLineStore(100, 5);
  store.growTo(total);
  const timers = new FakeTimers();
  const requests: Request[] = [];
  let changes = 0;
  const loader = new BlockLoader(
    store,
    (from, limit, signal) =>
      new Promise<LogLine[]>((resolve, reject) => {
        const settle = async (run: () => void) => {
          run();
          // Let the loader's then() run.
          await new Promise((done) => setTimeout(done, 0));
        };
        requests.push({
          from,
          limit,
          signal,
          answer: (lines) =>
            settle(() =>
              resolve(
                lines ??
                  Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, i) => ({
                    n: from + i,
                    t: 0,
                    s: 'stdout' as const,
                    text: String(from + i),
                  })),
              ),
            ),
          fail: (error) => settle(() => reject(error)),
        });
      }),
    () => changes++,
    { settleMs: 60, maxWaitMs: 250, maxInFlight: 2, marginLines: 20 },
    timers,
  );
  return { store, timers, requests, loader, changes: () => changes, ...options };
}

describe('BlockLoader', () => {
  it('fetches the block on screen at once when asked to, and only once', async () => {
    const { requests, loader, store, changes } = setUp(1000);
    loader.show(0, 40, true);
    expect(requests.map((request) => request.from)).toEqual([0]);
    await requests[0]!.answer();
    expect(store.line(39)?.text).toBe('39');
    expect(changes()).toBe(1);
    loader.show(0, 40, true);
    loader.show(10, 50, true);
    expect(requests).toHaveLength(1);
  });

  it('waits for scrolling to settle, then fetches only where the view ended up', () => {
    const { requests, loader, timers } = setUp(100_000);
    // A fling: the view moves every frame across 300 blocks.
    for (let frame = 0; frame < 12; frame++) {
      loader.show(frame * 2500 + 30, frame * 2500 + 70);
      timers.advance(16);
    }
    expect(requests).toHaveLength(0);
    timers.advance(60);
    expect(requests.map((request) => request.from)).toEqual([27_500]);
  });

  it('fetches during a long slow scroll at least every maxWaitMs', () => {
    const { requests, loader, timers } = setUp(100_000);
    for (let frame = 0; frame < 30; frame++) {
      loader.show(frame * 30, frame * 30 + 40);
      timers.advance(16);
    }
    // 30 frames of 16 ms = 480 ms of scrolling: one fetch at 250 ms, for where the view was then
    // (lines 450–490 and the margin: blocks 4 and 5).
    expect(requests.map((request) => request.from).sort()).toEqual([400, 500]);
  });

  it('keeps at most two requests in flight, and aborts those the view left far behind', async () => {
    const { requests, loader } = setUp(100_000);
    loader.show(90, 230, true);
    // Blocks 0, 1 and 2 are on screen (with the margin); two go first, nearest the middle.
    expect(requests.map((request) => request.from)).toEqual([100, 0]);
    loader.show(50_000, 50_040, true);
    expect(requests[0]!.signal.aborted).toBe(true);
    expect(requests[1]!.signal.aborted).toBe(true);
    expect(requests.slice(2).map((request) => request.from)).toEqual([50_000, 49_900]);
    // An answer to an aborted request is ignored.
    await requests[0]!.answer();
    expect(loader.pending.sort()).toEqual([499, 500]);
  });

  it('fetches an incomplete block again only after the log grew', async () => {
    const { requests, loader, store } = setUp(150);
    loader.show(120, 140, true);
    // The server has only 120 of the 150 lines the execution counted (the rest arrive later).
    await requests[0]!.answer(
      Array.from({ length: 20 }, (_, i) => ({ n: 100 + i, t: 0, s: 'stdout' as const, text: '' })),
    );
    loader.show(120, 140, true);
    expect(requests).toHaveLength(1);
    store.growTo(160);
    loader.show(120, 140, true);
    expect(requests).toHaveLength(2);
  });

  it('reports a failure, does not retry on its own, and retries when asked', async () => {
    const { requests, loader, changes } = setUp(1000);
    loader.show(0, 40, true);
    await requests[0]!.fail(new Error('503 Service Unavailable'));
    expect((loader.error as Error).message).toBe('503 Service Unavailable');
    expect(changes()).toBe(1);
    loader.show(0, 40, true);
    expect(requests).toHaveLength(1);
    loader.retry();
    expect(requests).toHaveLength(2);
    await requests[1]!.answer();
    expect(loader.error).toBeUndefined();
  });

  it('keeps the blocks on screen when it drops old ones', async () => {
    const { requests, loader, store } = setUp(100_000);
    for (let block = 0; block < 12; block++) {
      loader.show(block * 1000, block * 1000 + 40, true);
      for (const request of requests.filter((request) => !request.signal.aborted)) await request.answer();
    }
    expect(store.blockCount).toBeLessThanOrEqual(6);
    expect(store.line(11_000)).toBeDefined();
  });

  it('fetches again what the view shows once it is opened after being closed', async () => {
    const { requests, loader, store } = setUp(1000);
    loader.show(0, 40, true);
    loader.close();
    expect(requests[0]!.signal.aborted).toBe(true);
    loader.show(0, 40, true);
    expect(requests).toHaveLength(1);
    loader.open();
    expect(requests.map((request) => request.from)).toEqual([0, 0]);
    await requests[1]!.answer();
    expect(store.line(0)?.text).toBe('0');
  });

  it('fetches nothing after it is closed', () => {
    const { requests, loader, timers } = setUp(1000);
    loader.show(0, 40);
    loader.close();
    timers.advance(1000);
    expect(requests).toHaveLength(0);
  });
});
