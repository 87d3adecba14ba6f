import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../api/executions';
import { LogLineStore } from './line-store';

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({ n: from + i, t: 0, s: 'stdout', text: `line ${from + i}` }));

describe('LogLineStore', () => {
  it('serves the lines it was given by number, and counts the log up to the last of them', () => {
    const store = new LogLineStore(10, 100);
    store.add(lines(5, 20));
    expect(store.line(4)).toBeUndefined();
    expect(store.line(5)?.text).toBe('line 5');
    expect(store.line(24)?.text).toBe('line 24');
    expect(store.total).toBe(25);
    store.growTo(30);
    expect(store.total).toBe(30);
    store.growTo(10);
    expect(store.total).toBe(30);
  });

  it('knows which blocks miss lines, nearest to the middle of the view first', () => {
    const store = new LogLineStore(10, 100);
    store.growTo(95);
    store.add(lines(20, 10));
    store.add(lines(30, 4));
    expect(store.isComplete(2)).toBe(true);
    expect(store.isComplete(3)).toBe(false);
    expect(store.incompleteBlocks(0, 95, 50)).toEqual([5, 4, 6, 3, 7, 8, 1, 9, 0]);
    // The last block is complete with the 5 lines the log has so far.
    store.add(lines(90, 5));
    expect(store.isComplete(9)).toBe(true);
    store.growTo(96);
    expect(store.isComplete(9)).toBe(false);
    // Nothing past the end of the log is wanted.
    expect(store.incompleteBlocks(200, 300)).toEqual([]);
  });

  it('adds a line it already holds only once', () => {
    const store = new LogLineStore(10, 100);
    store.growTo(10);
    store.add(lines(0, 6));
    store.add(lines(3, 6));
    expect(store.isComplete(0)).toBe(false);
    store.add(lines(9, 1));
    expect(store.isComplete(0)).toBe(true);
  });

  it('keeps at most its limit of blocks, dropping the least recently used and never those it is told to keep', () => {
    const store = new LogLineStore(10, 3);
    for (let block = 0; block < 5; block++) store.add(lines(block * 10, 10));
    store.touch(0, 10);
    store.evict((index) => index === 1);
    // 2 and 3 were the least recently used that may go; 0 was just used, 1 is kept.
    expect([0, 1, 2, 3, 4].filter((block) => store.line(block * 10) !== undefined)).toEqual([0, 1, 4]);
    expect(store.blockCount).toBe(3);
  });
});
