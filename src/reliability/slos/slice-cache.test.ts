import { describe, expect, it } from 'vitest';
import { applySlices, cachedSlices, cachedSlo, SliceSeries } from './slice-cache.js';

describe('the slices an evaluating process keeps between rounds', () => {
  it('keeps slices ordered whatever order they come in, a slice measured again replacing its counts', () => {
    const series = new SliceSeries();
    for (const start of [10, 20, 40, 30, 5, 40]) series.upsert(start, start, 100);
    series.upsert(20, 1, 2);
    expect(series.between(0, 0, 100)).toEqual([
      { objective: 0, sliceStart: 5, good: 5, total: 100 },
      { objective: 0, sliceStart: 10, good: 10, total: 100 },
      { objective: 0, sliceStart: 20, good: 1, total: 2 },
      { objective: 0, sliceStart: 30, good: 30, total: 100 },
      { objective: 0, sliceStart: 40, good: 40, total: 100 },
    ]);
    expect(series.between(0, 10, 40).map((s) => s.sliceStart)).toEqual([10, 20, 30]);
    series.dropBefore(25);
    expect(series.length).toBe(2);
  });

  it('holds each objective apart and lists them as the store does', () => {
    const entry = cachedSlo('f', 1, 2, [
      { objective: 1, sliceStart: 10, good: 1, total: 1 },
      { objective: 0, sliceStart: 10, good: 0, total: 1 },
    ]);
    applySlices(entry, [
      { objective: 0, sliceStart: 15, good: 1, total: 1 },
      { objective: 3, sliceStart: 15, good: 1, total: 1 },
    ]);
    expect(cachedSlices(entry, 0, 100)).toEqual([
      { objective: 0, sliceStart: 10, good: 0, total: 1 },
      { objective: 0, sliceStart: 15, good: 1, total: 1 },
      { objective: 1, sliceStart: 10, good: 1, total: 1 },
    ]);
  });
});
