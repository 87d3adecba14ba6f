/**
 * Throttling of failed sign-ins, kept in the database so every server counts the same failures.
 * Two keys count each failure: the name tried (`user:NAME`) and the caller's address
 * (`address:IP`). A name is locked after 5 failures, an address after 20 (an office behind one
 * NAT address should not be locked out by one person's typos). The first lock lasts a minute;
 * every further failure doubles it, up to an hour. Failures are forgotten 15 minutes after the
 * window began or the last lock ended.
 */
import type { Db } from '../../platform/db/database.js';
import { TooManyRequestsError } from '../../platform/errors.js';
import { countThrottleFailure, deleteThrottleKey, lockedUntil, lockThrottleKey } from './store.js';

export const THROTTLE_WINDOW_MS = 15 * 60_000;
const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 3_600_000;

export interface ThrottleKey {
  key: string;
  /** Failures in the window before the key is locked. */
  limit: number;
}

export const userKey = (name: string): ThrottleKey => ({ key: `user:${name.slice(0, 200)}`, limit: 5 });
export const addressKey = (address: string): ThrottleKey => ({ key: `address:${address}`, limit: 20 });

/** Milliseconds until the most locked of the keys is free again; 0 when none is locked. */
export async function lockedFor(db: Db, keys: readonly ThrottleKey[], now = Date.now()): Promise<number> {
  const until = await lockedUntil(
    db,
    keys.map((key) => key.key),
    now,
  );
  return Math.max(0, ...until.map((lockEnd) => lockEnd - now));
}

/** The lock after the given number of failures: none below the limit, then 1 min doubling to 1 h. */
export function lockDuration(failures: number, limit: number): number {
  if (failures < limit) return 0;
  return Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(failures - limit, 16));
}

/** Counts one failure against each key, locking those that reach their limit. */
export async function recordFailure(db: Db, keys: readonly ThrottleKey[], now = Date.now()): Promise<void> {
  const staleBefore = now - THROTTLE_WINDOW_MS;
  for (const { key, limit } of keys) {
    const failures = await countThrottleFailure(db, key, now, staleBefore);
    const lock = lockDuration(failures, limit);
    if (lock > 0) {
      await lockThrottleKey(db, key, now + lock);
    }
  }
}

/** A successful sign-in forgets the name's failures (not the address's). */
export async function clearFailures(db: Db, key: ThrottleKey): Promise<void> {
  await deleteThrottleKey(db, key.key);
}

/** A sign-in refused because its name or address is locked; 429 with Retry-After. */
export class ThrottledError extends TooManyRequestsError {
  constructor(retryAfterSeconds: number) {
    super(`too many failed sign-ins: try again in ${retryAfterSeconds} seconds`, retryAfterSeconds);
  }
}
