/**
 * Signing in with a name and password. The order matters: a locked name or address is refused
 * before the password is looked at (so a locked account cannot be guessed at all); an unknown
 * name costs a hash like a known one (so timing does not reveal names); and "disabled" is said
 * only to someone who knew the password.
 */
import type { Db } from '../../platform/db/database.js';
import { ForbiddenError, UnauthenticatedError } from '../../platform/errors.js';
import { appendAudit } from '../audit/trail.js';
import type { User } from '../users/model.js';
import { findUserCredentials } from '../users/store.js';
import { verifyPassword } from './passwords.js';
import { createSession, deleteExpiredSessions, type NewSession } from './sessions.js';
import { deleteSession } from './store.js';
import { addressKey, clearFailures, lockedFor, recordFailure, ThrottledError, userKey } from './throttle.js';

export interface SignInRequest {
  name: string;
  password: string;
  address: string;
  userAgent?: string | undefined;
  /** The hash of a session the browser already holds: it is replaced, never reused. */
  replacing?: string | undefined;
}

export type SignInFailure =
  'unknown user' | 'wrong password' | 'locked' | 'disabled' | 'service account' | 'no password';

const WRONG = 'wrong name or password';

/** Signs in with a password; returns the user and a new session, or throws (401, 403, 429). */
export async function signInWithPassword(
  db: Db,
  request: SignInRequest,
  now = Date.now(),
): Promise<{ user: User; session: NewSession }> {
  const keys = [userKey(request.name), addressKey(request.address)];
  const fail = (reason: SignInFailure) =>
    appendAudit(
      db,
      {
        actor: request.name.slice(0, 200),
        address: request.address,
        action: 'sign-in.failure',
        target: `user/${request.name.slice(0, 200)}`,
        summary: { method: 'password', reason },
      },
      now,
    );

  const locked = await lockedFor(db, keys, now);
  if (locked > 0) {
    await fail('locked');
    throw new ThrottledError(Math.ceil(locked / 1000));
  }
  const found = await findUserCredentials(db, request.name);
  const usable = found?.user.kind === 'user' ? found.passwordHash : null;
  const matches = await verifyPassword(request.password, usable);
  if (!found || !matches) {
    const reason: SignInFailure = !found
      ? 'unknown user'
      : found.user.kind === 'service'
        ? 'service account'
        : found.passwordHash === null
          ? 'no password'
          : 'wrong password';
    await recordFailure(db, keys, now);
    await fail(reason);
    // The same answer for every reason: the audit trail tells administrators which it was.
    throw new UnauthenticatedError(WRONG);
  }
  if (found.user.disabledAt !== null) {
    await fail('disabled');
    throw new ForbiddenError('forbidden: this account is disabled; ask an administrator');
  }
  await clearFailures(db, keys[0]!);
  const session = await startSession(db, found.user, request, 'password', now);
  return { user: found.user, session };
}

/** Mints a session for a user who has proved who they are, replacing any the browser held. */
export async function startSession(
  db: Db,
  user: User,
  request: Pick<SignInRequest, 'address' | 'userAgent' | 'replacing'>,
  method: 'password' | 'oidc',
  now = Date.now(),
): Promise<NewSession> {
  if (request.replacing) await deleteSession(db, request.replacing);
  await deleteExpiredSessions(db, now);
  const session = await createSession(
    db,
    { userId: user.id, address: request.address, userAgent: request.userAgent },
    now,
  );
  await appendAudit(
    db,
    {
      actor: user.name,
      address: request.address,
      action: 'sign-in.success',
      target: `user/${user.name}`,
      summary: { method },
    },
    now,
  );
  return session;
}
