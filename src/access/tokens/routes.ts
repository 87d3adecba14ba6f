/** API tokens over HTTP: create (the value is answered once), list, revoke. */
import { z } from 'zod';
import {
  createdTokenResponse,
  tokensQuery,
  tokensResponse,
  tokenView,
  type TokenView,
} from '../../contract/tokens.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { AccessControl } from '../authorize.js';
import { MAX_TOKEN_SCOPES, tokenScopeInput, type ApiToken } from './model.js';
import { TokenService } from './service.js';
import { idParams } from '../../platform/http/params.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The API form of a token: never its value or its hash. */
export function viewToken(token: ApiToken): TokenView {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    owner: token.owner,
    ownerKind: token.ownerKind,
    scopes: token.scopes,
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy,
    expiresAt: iso(token.expiresAt),
    lastUsedAt: iso(token.lastUsedAt),
    revokedAt: iso(token.revokedAt),
    revokedBy: token.revokedBy,
  };
}

const tokenName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
  .describe('what the token is for: "laptop", "ci deploy"');

/**
 * `POST /api/v1/tokens`. Stays on the server: the scopes are checked as policy resource patterns
 * (bounded globs), which the contract does not carry.
 */
const createTokenRequest = z.strictObject({
  name: tokenName,
  user: z.string().min(1).optional().describe('the owner; the caller when absent'),
  expires: z
    .string()
    .optional()
    .describe('a duration (30d, 12h) or "never" (service accounts only); 90d when absent'),
  scopes: z
    .array(tokenScopeInput)
    .min(1)
    .max(MAX_TOKEN_SCOPES, `must have at most ${MAX_TOKEN_SCOPES} scopes`)
    .optional()
    .describe('limits the token to these actions on these resources; absent: unscoped'),
});

/** What the token routes use of the server. */
export interface TokenRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerTokenRoutes(app: HttpApp, baton: TokenRoutesDeps): void {
  const tokens = new TokenService(baton.db, baton.access);

  app.post(
    '/api/v1/tokens',
    {
      config: { access: 'account' },
      schema: {
        description:
          'Creates an API token and answers its value, the only time it is shown. A token for another ' +
          'user or for a service account needs admin on system; a scoped token cannot manage tokens (403).',
        body: createTokenRequest,
        response: { 201: createdTokenResponse },
      },
    },
    async (request, reply) => {
      const { value, token } = await tokens.create(principalOf(request), request.body);
      return reply.status(201).send({ token: value, ...viewToken(token) });
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { access: 'account' },
      schema: {
        description:
          "The caller's tokens, newest first, including revoked and expired ones; admins may ask for " +
          "another owner's (`user`) or everyone's (`all`).",
        querystring: tokensQuery,
        response: { 200: tokensResponse },
      },
    },
    async (request) => {
      const list = await tokens.list(principalOf(request), request.query);
      return { tokens: list.map(viewToken) };
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { access: 'account' },
      schema: {
        description: 'Revokes a token at once (the owner or an admin). A token the caller cannot see is 404.',
        params: idParams,
        response: { 200: tokenView },
      },
    },
    async (request) => viewToken(await tokens.revoke(principalOf(request), request.params.id)),
  );
}
