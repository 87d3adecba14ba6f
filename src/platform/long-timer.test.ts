import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from './long-timer.js';

const DAY = 86_400_000;

describe('timers for durations people write', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it.each([
    ['30d', 30 * DAY],
    ['400d', 400 * DAY],
    ['exactly the longest Node timer', MAX_TIMER_MS],
    ['one past it', MAX_TIMER_MS + 1],
  ])('fires a %s timer at its time, not at once', async (_, ms) => {
    const fire = vi.fn();
    setLongTimeout(fire, ms);
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(ms - 2);
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10 * MAX_TIMER_MS);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('fires a short timer like setTimeout', async () => {
    const fire = vi.fn();
    setLongTimeout(fire, 50);
    await vi.advanceTimersByTimeAsync(49);
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('never fires once cleared, in any link of the chain', async () => {
    const early = vi.fn();
    setLongTimeout(early, 400 * DAY).clear();
    const late = vi.fn();
    const timer = setLongTimeout(late, 400 * DAY);
    await vi.advanceTimersByTimeAsync(3 * MAX_TIMER_MS);
    timer.clear();
    await vi.advanceTimersByTimeAsync(400 * DAY);
    expect(early).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
  });
});
