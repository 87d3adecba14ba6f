/**
 * The HTTP side of access: every request to a route that is not public is authenticated here, by
 * a Bearer token (programs, the CLI) or a session cookie (people in a browser; state-changing
 * requests must also carry the session's CSRF token), and authorized through the one check in
 * access/authorize.ts, as the route declared (platform/http/access.ts holds the declarations).
 *
 * A scoped token names actions on resources (`view:job/ops/*`), so it may call only routes whose
 * every answer goes through that check: routes declaring a permission, and 'authenticated' routes
 * (whose services authorize each object). Routes about the caller's own account are 'account' and
 * refuse a scoped token here, before the handler: a token leaked from a CI job scoped to one job
 * must not mint tokens, revoke its owner's, or change the owner's profile or password.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/database.js';
import { ForbiddenError, UnauthenticatedError } from '../platform/errors.js';
import type { AccessControl } from './authorize.js';
import { csrfRefusal, findSession, readCookie, SESSION_COOKIE } from './sign-in/sessions.js';
import { findPrincipalByTokenHash, touchToken } from './store.js';
import { hashToken } from './tokens.js';

/** The refusal of a scoped token on an 'account' route. */
export const SCOPED_TOKEN_REFUSAL =
  'forbidden: a scoped token cannot manage tokens or accounts (its scopes name resources, not the account); use an unscoped token or sign in';

/** Token use is recorded at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/** Installs the authentication and route-permission hook on an app (createHttpApp's `authenticate`). */
export function authenticateRequests(app: FastifyInstance, db: Db, accessControl: AccessControl): void {
  const touched = new Map<number, number>();
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Unknown routes have no access declaration; they fall through to the 404 handler.
    if (access === undefined || access === 'public' || access === 'hook-key') return;
    const header = request.headers.authorization;
    const sessionId = header === undefined ? readCookie(request.headers.cookie, SESSION_COOKIE) : undefined;
    // A Bearer token wins over a cookie: programs are not subject to cross-site forgery.
    if (sessionId !== undefined) {
      const session = await findSession(db, sessionId);
      if (!session) throw new UnauthenticatedError('the session has expired or ended: sign in again');
      const refusal = csrfRefusal(request, session.csrfToken);
      if (refusal) throw new ForbiddenError(`forbidden: ${refusal}`);
      request.session = { idHash: session.idHash, csrfToken: session.csrfToken };
      request.principal = { ...session.principal, address: request.ip };
      if (typeof access === 'object') {
        accessControl.require(request.principal, access.action, access.resource(request));
      }
      return;
    }
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      throw new UnauthenticatedError(
        'authentication required: send "Authorization: Bearer <token>", or sign in for a session cookie',
      );
    }
    const now = Date.now();
    const principal = await findPrincipalByTokenHash(db, hashToken(match[1]!), now);
    if (!principal) throw new UnauthenticatedError('invalid, expired or revoked token');
    const { tokenId, ...caller } = principal;
    request.principal = { ...caller, address: request.ip };
    if ((touched.get(tokenId) ?? 0) < now - TOUCH_INTERVAL_MS) {
      touched.set(tokenId, now);
      await touchToken(db, tokenId, now);
    }
    if (access === 'account' && caller.scopes) throw new ForbiddenError(SCOPED_TOKEN_REFUSAL);
    if (typeof access === 'object') {
      accessControl.require(request.principal, access.action, access.resource(request));
    }
  });
}
