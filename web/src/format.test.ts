import { describe, expect, it } from 'vitest';
import { elapsedMs, formatAgo, formatBytes, formatIn, formatRate, formatState } from './format';

describe('how numbers read on the page', () => {
  // Durations on the page are the contract's formatDurationForUi, tested in src/contract/time.test.ts.

  it('writes success rates as percentages, and nothing when nothing finished', () => {
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(0.97314)).toBe('97.3%');
    expect(formatRate(0.6)).toBe('60%');
    expect(formatRate(0.9999)).toBe('>99.9%');
    expect(formatRate(0.0001)).toBe('<0.1%');
    expect(formatRate(null)).toBe('—');
  });

  it('writes times to come as a countdown, and a past one as due', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(formatIn('2026-11-23T12:00:40Z', now)).toBe('in 40 s');
    expect(formatIn('2026-11-23T12:05:00Z', now)).toBe('in 5 min');
    expect(formatIn('2026-11-23T15:00:00Z', now)).toBe('in 3 h');
    expect(formatIn('2026-11-25T12:00:00Z', now)).toBe('in 2 d');
    expect(formatIn('2026-11-23T11:59:59Z', now)).toBe('due now');
    expect(formatIn(null, now)).toBe('—');
  });

  it('writes times relative to now, and old ones as dates', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(formatAgo('2026-11-23T11:59:30Z', now)).toBe('just now');
    expect(formatAgo('2026-11-23T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-11-23T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2026-11-20T12:00:00Z', now)).toBe('3 d ago');
    expect(formatAgo('2026-01-02T12:00:00Z', now)).toBe('2026-01-02');
    expect(formatAgo(null, now)).toBe('—');
  });

  it('measures running executions up to now', () => {
    const now = Date.parse('2026-11-23T12:00:10Z');
    expect(elapsedMs('2026-11-23T12:00:00Z', null, now)).toBe(10_000);
    expect(elapsedMs('2026-11-23T12:00:00Z', '2026-11-23T12:00:02Z', now)).toBe(2000);
    expect(elapsedMs(null, null, now)).toBeNull();
  });

  it('writes sizes and states', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatState('awaiting_approval')).toBe('awaiting approval');
  });
});
