/**
 * Timers for durations people write (`timeout: 30d`). Node keeps a timer's delay in a signed
 * 32-bit number of milliseconds: anything from 2^31 ms (24.9 days) up is replaced by 1 ms, with
 * only a TimeoutOverflowWarning, so a 30-day timeout fired at once. A long timer is a chain of
 * timers of at most that size.
 */

/** The longest delay one Node timer keeps: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer that can be cleared, whatever its length. */
export interface LongTimer {
  clear(): void;
}

/**
 * Calls `fire` once after `ms` milliseconds, for any length (a chain of timers of at most
 * MAX_TIMER_MS each). The remaining time is counted down by the links already waited, not read
 * from the clock, so that a change of the wall clock neither shortens nor lengthens it.
 */
export function setLongTimeout(fire: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = (remaining: number) => {
    const link = Math.min(Math.max(0, remaining), MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (cleared) return;
      if (remaining > link) arm(remaining - link);
      else fire();
    }, link);
  };
  arm(ms);
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
  };
}
