/**
 * Sign-in for people over HTTP: a password or the OIDC provider gives a session cookie; the
 * session answers who is signed in and the CSRF token; sign-out ends it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  oidcLoginQuery,
  sessionResponse,
  signInMethodsResponse,
  signInRequest,
  type SessionUserView,
} from '../../contract/users.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logging.js';
import { ForbiddenError, NotFoundError } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { appendAudit, auditActor } from '../audit/trail.js';
import type { AccessControl } from '../authorize.js';
import type { User } from '../users/model.js';
import { findUserById } from '../users/store.js';
import { CALLBACK_PATH, OidcSignIn } from './oidc.js';
import { signInWithPassword } from './service.js';
import {
  hashSessionId,
  readCookie,
  sameOrigin,
  serializeCookie,
  SESSION_COOKIE,
  type NewSession,
} from './sessions.js';
import { deleteSession } from './store.js';

const OIDC_STATE_COOKIE = 'baton_oidc_state';
const OIDC_COOKIE_PATH = '/api/v1/oidc';

const viewSessionUser = (user: Pick<User, 'name' | 'kind' | 'isAdmin' | 'displayName'>): SessionUserView => ({
  name: user.name,
  kind: user.kind,
  isAdmin: user.isAdmin,
  displayName: user.displayName,
});

const isHttps = (request: FastifyRequest) => request.protocol === 'https';

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: NewSession): void {
  const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
  reply.header(
    'set-cookie',
    serializeCookie(SESSION_COOKIE, session.id, { secure: isHttps(request), maxAge }),
  );
}

/** The hash of the session cookie the browser sent, if any, so sign-in can replace it. */
function heldSession(request: FastifyRequest): string | undefined {
  const id = readCookie(request.headers.cookie, SESSION_COOKIE);
  return id ? hashSessionId(id) : undefined;
}

/** What the sign-in routes use of the server. */
export interface SignInRoutesDeps {
  db: Db;
  access: AccessControl;
  config: Pick<Config, 'oidc' | 'publicUrl'>;
  logger: Logger;
}

export function registerSignInRoutes(app: HttpApp, baton: SignInRoutesDeps): void {
  const { db } = baton;
  const oidcConfig = baton.config.oidc;
  const oidc =
    oidcConfig && baton.config.publicUrl
      ? new OidcSignIn(db, baton.access, oidcConfig, baton.config.publicUrl, baton.logger)
      : undefined;
  if (oidcConfig && !oidc)
    baton.logger.warn('OIDC is configured but BATON_PUBLIC_URL is not: OIDC sign-in is off');

  app.get(
    '/api/v1/sign-in/methods',
    {
      config: { access: 'public' },
      schema: {
        description:
          'How people can sign in here: with a password, and with the OIDC provider when one is configured.',
        security: [],
        response: { 200: signInMethodsResponse },
      },
    },
    async () => ({ password: true, oidc: oidc && oidcConfig ? { label: oidcConfig.label } : null }),
  );

  app.post(
    '/api/v1/sign-in',
    {
      config: { access: 'public' },
      schema: {
        description:
          'Signs in with a name and password: sets the `baton_session` cookie (HttpOnly, SameSite=Lax) and returns the CSRF token. After 5 failures for a name (20 for an address) within 15 minutes, sign-in is refused with 429 and Retry-After.',
        security: [],
        body: signInRequest,
        response: { 200: sessionResponse },
      },
    },
    async (request, reply) => {
      // Login CSRF: another site must not sign a browser into an account of its choosing.
      const origin = request.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, request.headers.host)) {
        throw new ForbiddenError(
          `forbidden: cross-site sign-in refused: Origin ${origin} does not match this server`,
        );
      }
      const { user, session } = await signInWithPassword(db, {
        ...request.body,
        address: request.ip,
        userAgent: request.headers['user-agent'],
        replacing: heldSession(request),
      });
      setSessionCookie(request, reply, session);
      return {
        user: viewSessionUser(user),
        csrfToken: session.csrfToken,
        expiresAt: new Date(session.expiresAt).toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/session',
    {
      config: { access: 'identity' },
      schema: {
        description: 'Who is signed in, and the CSRF token of the session (null when a token is used).',
        response: { 200: sessionResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const user = await findUserById(db, caller.id);
      return {
        user: viewSessionUser({
          name: caller.name,
          kind: caller.kind,
          isAdmin: caller.isAdmin,
          displayName: user?.displayName ?? null,
        }),
        csrfToken: request.session?.csrfToken ?? null,
        expiresAt: null,
      };
    },
  );

  app.post(
    '/api/v1/sign-out',
    {
      config: { access: 'identity' },
      schema: { description: 'Ends the session of the cookie and removes the cookie.' },
    },
    async (request, reply) => {
      const caller = principalOf(request);
      if (request.session) {
        await deleteSession(db, request.session.idHash);
        await appendAudit(db, { ...auditActor(caller), action: 'sign-out', target: `user/${caller.name}` });
      }
      reply.header(
        'set-cookie',
        serializeCookie(SESSION_COOKIE, '', { secure: isHttps(request), maxAge: 0 }),
      );
      return reply.status(204).send();
    },
  );

  const requireOidc = (): OidcSignIn => {
    if (!oidc) {
      throw new NotFoundError(
        'OIDC sign-in is not configured: set BATON_OIDC_ISSUER, BATON_OIDC_CLIENT_ID and BATON_PUBLIC_URL',
      );
    }
    return oidc;
  };

  app.get(
    '/api/v1/oidc/login',
    {
      config: { access: 'public' },
      schema: {
        description:
          'Starts sign-in with the OIDC provider: redirects there. `returnTo` is a path on this site to land on afterwards.',
        security: [],
        querystring: oidcLoginQuery,
      },
    },
    async (request, reply) => {
      const { url, state } = await requireOidc().begin(request.query.returnTo);
      reply.header(
        'set-cookie',
        serializeCookie(OIDC_STATE_COOKIE, state, {
          secure: isHttps(request),
          maxAge: 600,
          path: OIDC_COOKIE_PATH,
        }),
      );
      return reply.redirect(url, 302);
    },
  );

  app.get(
    CALLBACK_PATH,
    {
      config: { access: 'public' },
      schema: {
        description: 'Where the OIDC provider sends the browser back; signs in and redirects to `returnTo`.',
        security: [],
      },
    },
    async (request, reply) => {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      const result = await requireOidc().complete(
        query,
        readCookie(request.headers.cookie, OIDC_STATE_COOKIE),
        {
          address: request.ip,
          userAgent: request.headers['user-agent'],
          replacing: heldSession(request),
        },
      );
      const maxAge = Math.floor((result.session.expiresAt - Date.now()) / 1000);
      reply.header('set-cookie', [
        serializeCookie(SESSION_COOKIE, result.session.id, { secure: isHttps(request), maxAge }),
        serializeCookie(OIDC_STATE_COOKIE, '', {
          secure: isHttps(request),
          maxAge: 0,
          path: OIDC_COOKIE_PATH,
        }),
      ]);
      return reply.redirect(result.returnTo, 302);
    },
  );
}
