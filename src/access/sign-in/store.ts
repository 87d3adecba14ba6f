/**
 * SQL for sign-in state: sessions, OIDC logins in flight and the failed sign-in throttle. The
 * rules (lifetimes, lock lengths) live in sessions.ts, oidc.ts and throttle.ts, which hand the
 * cutoffs in, so this file imports none of them.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { OidcLoginsTable, SessionsTable } from '../../platform/db/schema.js';

/** Stores a new session row. */
export async function insertSession(db: Db, session: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

/** A live session row with its user: unexpired, used since `idleSince`, of a user not disabled. */
export async function findLiveSession(db: Db, idHash: string, now: number, idleSince: number) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.csrf_token',
      'sessions.last_seen_at',
      'users.id as user_id',
      'users.name',
      'users.kind',
      'users.is_admin',
    ])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .where('sessions.last_seen_at', '>', idleSince)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
}

/** Records that a session was used at `now`. */
export async function touchSession(db: Db, idHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Ends every session of a user (disabled, or password changed), except optionally one. */
export async function deleteSessionsOfUser(db: Db, userId: number, except?: string): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (except) query = query.where('id_hash', '!=', except);
  await query.execute();
}

/** Sessions expired by `now` or not used since `idleBefore`. */
export async function deleteSessionsPast(db: Db, now: number, idleBefore: number): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleBefore)]))
    .execute();
}

/** Stores an OIDC sign-in attempt, keyed by its state. */
export async function insertOidcLogin(db: Db, login: OidcLoginsTable): Promise<void> {
  await db.insertInto('oidc_logins').values(login).execute();
}

/** Deletes the attempt with this state and returns it: a state is good for one callback only. */
export async function claimOidcLogin(db: Db, state: string) {
  return db.deleteFrom('oidc_logins').where('state', '=', state).returningAll().executeTakeFirst();
}

/** Forgets OIDC sign-in attempts begun before `before`. */
export async function deleteOidcLoginsBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('oidc_logins').where('created_at', '<', before).execute();
}

/** The lock ends after `now` of those throttle keys that are locked. */
export async function lockedUntil(db: Db, keys: readonly string[], now: number): Promise<number[]> {
  const rows = await db
    .selectFrom('sign_in_throttle')
    .select('locked_until')
    .where('key', 'in', keys)
    .where('locked_until', '>', now)
    .execute();
  return rows.map((row) => Number(row.locked_until));
}

/**
 * Counts one failure against a key in one statement (so concurrent failures on several servers
 * each count), starting a new window when the old one and its lock ended before `staleBefore`.
 * Returns the failures in the window.
 */
export async function countThrottleFailure(
  db: Db,
  key: string,
  now: number,
  staleBefore: number,
): Promise<number> {
  const stale = sql<boolean>`(sign_in_throttle.window_started_at < ${staleBefore} and coalesce(sign_in_throttle.locked_until, 0) < ${staleBefore})`;
  const row = await db
    .insertInto('sign_in_throttle')
    .values({ key, failures: 1, window_started_at: now, locked_until: null })
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        failures: sql`case when ${stale} then 1 else sign_in_throttle.failures + 1 end`,
        window_started_at: sql`case when ${stale} then ${now} else sign_in_throttle.window_started_at end`,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  return row.failures;
}

export async function lockThrottleKey(db: Db, key: string, until: number): Promise<void> {
  await db.updateTable('sign_in_throttle').set({ locked_until: until }).where('key', '=', key).execute();
}

export async function deleteThrottleKey(db: Db, key: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', key).execute();
}

/** Forgets failure counts whose window began, and whose lock (if any) ended, before `before`. */
export async function deleteThrottleLapsedBefore(db: Db, before: number): Promise<void> {
  await db
    .deleteFrom('sign_in_throttle')
    .where('window_started_at', '<', before)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', before)]))
    .execute();
}
