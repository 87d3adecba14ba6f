/**
 * Every route declares who may call it, and registration fails for a route that does not,
 * so a new route cannot forget. Requests are authenticated and authorized by the access
 * capability (access/http.ts), which createHttpApp is handed: platform knows only the words.
 *
 * A scoped token names actions on resources (`view:job/ops/*`), so it may call only routes whose
 * every answer goes through that check: routes declaring a permission, and 'authenticated' routes
 * (whose services authorize each object). Routes about the caller's own account are 'account' and
 * refuse a scoped token here, before the handler: a token leaked from a CI job scoped to one job
 * must not mint tokens, revoke its owner's, or change the owner's profile or password.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller, CallerAction, CallerResource } from '../authorization.js';
import { UnauthenticatedError } from '../errors.js';

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
  | { action: CallerAction; resource: (request: FastifyRequest) => CallerResource };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Caller;
    /** Set when the caller was authenticated by a session cookie. */
    session?: { idHash: string; csrfToken: string };
  }
}

/** The authenticated caller of a request whose route is not public. */
export function principalOf(request: FastifyRequest): Caller {
  if (!request.principal) throw new UnauthenticatedError('authentication required');
  return request.principal;
}

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

/**
 * Refuses to register a route that does not declare who may call it, and collects the
 * declarations (see declaredRoutes). Who the caller is, and whether they may, is decided by the
 * access capability's hook that createHttpApp is handed (access/http.ts).
 */
export function requireAccessDeclarations(app: FastifyInstance): void {
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
}
