/**
 * Sign-in leaves rows behind that nothing needs once they lapse: ended sessions, OIDC logins
 * never completed, and failure counts whose window and lock are over. A duty removes them, so
 * these tables stay as small as the number of people actually signed in.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import { OIDC_LOGIN_TTL_MS } from './oidc.js';
import { deleteExpiredSessions } from './sessions.js';
import { deleteOidcLoginsBefore, deleteThrottleLapsedBefore } from './store.js';
import { THROTTLE_WINDOW_MS } from './throttle.js';

export async function deleteLapsedSignInState(db: Db, now: number): Promise<void> {
  await deleteExpiredSessions(db, now);
  await deleteOidcLoginsBefore(db, now - OIDC_LOGIN_TTL_MS);
  // Same rule as the throttle's own: failures are forgotten a window after the window began or the lock ended.
  await deleteThrottleLapsedBefore(db, now - THROTTLE_WINDOW_MS);
}

export function signInCleanupDuty(db: Db): Duty {
  return {
    name: 'sign-in-cleanup',
    everyMs: 10 * 60_000,
    run: (now) => deleteLapsedSignInState(db, now),
  };
}
