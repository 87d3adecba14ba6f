/**
 * Sign-in leaves rows behind that nothing needs once they lapse: ended sessions, OIDC logins
 * never completed, and failure counts whose window and lock are over. A duty removes them, so
 * these tables stay as small as the number of people actually signed in.
 */
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import { OIDC_LOGIN_TTL_MS } from './oidc.js';
import { deleteExpiredSessions } from './sessions.js';
import { THROTTLE_WINDOW_MS } from './throttle.js';

export async function deleteLapsedSignInState(db: Db, now: number): Promise<void> {
  await deleteExpiredSessions(db, now);
  await db
    .deleteFrom('oidc_logins')
    .where('created_at', '<', now - OIDC_LOGIN_TTL_MS)
    .execute();
  // Same rule as the throttle's own: failures are forgotten a window after the window began or the lock ended.
  await db
    .deleteFrom('sign_in_throttle')
    .where('window_started_at', '<', now - THROTTLE_WINDOW_MS)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now - THROTTLE_WINDOW_MS)]))
    .execute();
}

export function signInCleanupDuty(db: Db): Duty {
  return {
    name: 'sign-in-cleanup',
    everyMs: 10 * 60_000,
    run: (now) => deleteLapsedSignInState(db, now),
  };
}
