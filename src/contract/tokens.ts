/** API tokens as the API shows them: never their value, except once in the answer that creates one. */
import { z } from 'zod';

/** A limit on a token: an action, on resources matching a policy pattern (absent: any). */
export const tokenScopeView = z.object({ action: z.string(), resource: z.string().optional() });
export type TokenScopeView = z.infer<typeof tokenScopeView>;

/** A token as listed: never its value or its hash. */
export const tokenView = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string().describe('the first characters of the value, to tell tokens apart'),
  owner: z.string(),
  ownerKind: z.enum(['user', 'service']),
  scopes: z.array(tokenScopeView).nullable().describe('null: whatever the owner may do'),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable().describe('null: never'),
  lastUsedAt: z.string().nullable().describe('to the minute'),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenView>;

/** `POST /api/v1/tokens`: the token's value, shown this once, with its listing. */
export const createdTokenResponse = tokenView.extend({
  token: z.string().describe('the value: store it now'),
});
export type CreatedTokenResponse = z.infer<typeof createdTokenResponse>;

/** `GET /api/v1/tokens`. */
export const tokensQuery = z.object({
  user: z.string().min(1).optional(),
  all: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
});
export type TokensQuery = z.input<typeof tokensQuery>;

/** `GET /api/v1/tokens`. */
export const tokensResponse = z.object({ tokens: z.array(tokenView) });
export type TokensResponse = z.infer<typeof tokensResponse>;
