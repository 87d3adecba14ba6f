/**
 * Cookie sessions for people in a browser. The cookie holds 32 random bytes; the database holds
 * only their SHA-256, so a leaked database does not hand out live sessions. A session ends after
 * 12 hours without use or 7 days after sign-in, whichever comes first, and at once when its
 * user is disabled or signs out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../model.js';
import { deleteSessionsPast, findLiveSession, insertSession, touchSession } from './store.js';

export const SESSION_COOKIE = 'baton_session';
export const SESSION_IDLE_MS = 12 * 3_600_000;
export const SESSION_LIFETIME_MS = 7 * 86_400_000;
/** Use is recorded at most once a minute per session, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface NewSession {
  /** The value for the cookie; shown to the browser once, never stored. */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

/** A live session found by its cookie, with its user. */
export interface ActiveSession {
  idHash: string;
  csrfToken: string;
  principal: Principal;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** Mints a new session id (never one the client offered: no session fixation) and stores it. */
export async function createSession(
  db: Db,
  session: { userId: number; address?: string | undefined; userAgent?: string | undefined },
  now = Date.now(),
): Promise<NewSession> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = now + SESSION_LIFETIME_MS;
  await insertSession(db, {
    id_hash: hashSessionId(id),
    user_id: session.userId,
    csrf_token: csrfToken,
    created_at: now,
    expires_at: expiresAt,
    last_seen_at: now,
    address: session.address ?? null,
    user_agent: session.userAgent?.slice(0, 512) ?? null,
  });
  return { id, csrfToken, expiresAt };
}

/**
 * The live session a cookie value names, or undefined: unknown ids, expired or idle sessions
 * and sessions of disabled users are all simply not found. Sliding: use moves the idle deadline.
 */
export async function findSession(db: Db, id: string, now = Date.now()): Promise<ActiveSession | undefined> {
  // Ids are 43 characters; anything else was not issued here and need not reach the database.
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const idHash = hashSessionId(id);
  const row = await findLiveSession(db, idHash, now, now - SESSION_IDLE_MS);
  if (!row) return undefined;
  if (Number(row.last_seen_at) < now - TOUCH_INTERVAL_MS) {
    await touchSession(db, idHash, now);
  }
  return {
    idHash,
    csrfToken: row.csrf_token,
    principal: {
      kind: row.kind === 'service' ? 'service' : 'user',
      id: row.user_id,
      name: row.name,
      isAdmin: row.is_admin === 1,
      via: 'session',
    },
  };
}

/** Sessions past either deadline; removed by the sign-in route now and then, not needed for safety. */
export async function deleteExpiredSessions(db: Db, now = Date.now()): Promise<void> {
  await deleteSessionsPast(db, now, now - SESSION_IDLE_MS);
}

/** Constant-time comparison of the CSRF token a request carries with its session's. */
export function csrfTokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header; the first wins when a name repeats. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    const value = part.slice(index + 1).trim();
    try {
      return decodeURIComponent(value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  /** Sent over https only; set when the request came over https. */
  secure: boolean;
  /** Seconds; 0 removes the cookie. */
  maxAge: number;
  path?: string;
}

/** A Set-Cookie value: HttpOnly (no script may read it) and SameSite=Lax (no cross-site POST). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${options.maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a cookie-authenticated request must be refused as a possible cross-site request forgery,
 * or undefined when it may proceed. Reads never change state and need nothing; everything else
 * must echo the session's CSRF token in `X-CSRF-Token` (another site can make a browser send the
 * cookie, but cannot read the token), and must not come from another origin.
 */
export function csrfRefusal(
  request: { method: string; headers: Record<string, string | string[] | undefined> },
  csrfToken: string,
): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && !sameOrigin(origin, request.headers.host)) {
    return `cross-site request refused: Origin ${origin} does not match this server`;
  }
  const presented = request.headers['x-csrf-token'];
  if (!csrfTokenMatches(typeof presented === 'string' ? presented : undefined, csrfToken)) {
    return 'missing or wrong X-CSRF-Token header: requests signed in by cookie must send the csrfToken from sign-in (or GET /api/v1/session)';
  }
  return undefined;
}

/** True when an Origin header names the host the request was sent to. */
export function sameOrigin(origin: string, host: string | string[] | undefined): boolean {
  if (typeof host !== 'string') return false;
  try {
    const from = new URL(origin);
    // Parsing the Host with the Origin's scheme drops a default port the same way on both sides.
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
