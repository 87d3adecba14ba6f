/**
 * Every route declares who may call it, and registration fails for a route that does not,
 * so a new route cannot forget. Requests are authenticated here, by a Bearer token (programs,
 * the CLI) or a session cookie (people in a browser; state-changing requests must also carry the
 * session's CSRF token), and authorized through the one check in access/authorize.ts.
 *
 * A scoped token names actions on resources (`view:job/ops/*`), so it may call only routes whose
 * every answer goes through that check: routes declaring a permission, and 'authenticated' routes
 * (whose services authorize each object). Routes about the caller's own account are 'account' and
 * refuse a scoped token here, before the handler: a token leaked from a CI job scoped to one job
 * must not mint tokens, revoke its owner's, or change the owner's profile or password.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl } from '../../access/authorize.js';
import type { Action, Principal, Resource } from '../../access/model.js';
import { findPrincipalByTokenHash, touchToken } from '../../access/store.js';
import { hashToken } from '../../access/tokens.js';
import { csrfRefusal, findSession, readCookie, SESSION_COOKIE } from '../../access/sign-in/sessions.js';
import type { Db } from '../db/database.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';

export type RouteAccess =
  /** Anyone, without a token: health, metrics, the API description. */
  | 'public'
  /**
   * Callers holding a hook's own key (an HMAC signature or a token in the hook's secret), not a
   * Baton session or token: the handler checks the key before anything is stored.
   */
  | 'hook-key'
  /**
   * Any signed-in caller, scoped tokens included; the handler's service checks the permission on
   * every object it loads or lists (through AccessControl, which applies the token's scopes), and
   * answers an object the caller may not view like a missing one (AccessControl.requireVisible).
   */
  | 'authenticated'
  /**
   * The caller's own identity, read only (who am I, the session): any signed-in caller, scoped
   * tokens included, since it shows nothing but the caller.
   */
  | 'identity'
  /**
   * Managing the caller's account or other accounts (tokens, profile, password, users): a session
   * or an unscoped token only; a scoped token is refused with 403, whatever its scopes.
   */
  | 'account'
  /**
   * A permission checked before the handler runs, on a resource that always exists (`system`).
   * An object named in the path is 'authenticated' instead, so that its handler can answer a hidden
   * object like a missing one.
   */
  | { action: Action; resource: (request: FastifyRequest) => Resource };

/** The refusal of a scoped token on an 'account' route. */
export const SCOPED_TOKEN_REFUSAL =
  'forbidden: a scoped token cannot manage tokens or accounts (its scopes name resources, not the account); use an unscoped token or sign in';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the caller was authenticated by a session cookie. */
    session?: { idHash: string; csrfToken: string };
  }
}

/** The authenticated caller of a request whose route is not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('authentication required');
  return request.principal;
}

/** Token use is recorded at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

const declared = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** Every route of an app with its access declaration, for the authorization matrix test. */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return declared.get(app) ?? [];
}

export function installAccessControl(app: FastifyInstance, db: Db, accessControl: AccessControl): void {
  const touched = new Map<number, number>();
  const routes: DeclaredRoute[] = [];
  declared.set(app, routes);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) {
      throw new Error(`route ${route.method} ${route.url} does not declare its access (config.access)`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, access });
    }
  });

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
