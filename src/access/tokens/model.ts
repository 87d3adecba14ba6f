/**
 * API tokens as the API shows them, and the rules for issuing one: who may have a token for
 * whom, how long it lives, and what its scopes may name. No I/O here.
 */
import { z } from 'zod';
import { ACTIONS, type TokenScope } from '../model.js';
import { policyRule } from '../policies/model.js';
import { formatDurationAsWritten, MAX_DURATION_MS, parseDuration } from '../../contract/time.js';
import { InputError } from '../../platform/errors.js';

const DAY_MS = 86_400_000;

/** A token lives this long unless `expires` says otherwise. */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * DAY_MS;
/**
 * The longest a person's token may live. People leave and laptops get lost; a token that never
 * expires is for service accounts, whose tokens admins manage and rotate.
 */
export const MAX_USER_TOKEN_LIFETIME_MS = 366 * DAY_MS;

/** A token as listed: never its value or hash. */
export interface ApiToken {
  id: number;
  name: string;
  /** The first characters of the value, to tell tokens apart. */
  prefix: string;
  owner: string;
  ownerKind: 'user' | 'service';
  /** Null: the token may do whatever its owner may. */
  scopes: TokenScope[] | null;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/** Policy resource patterns, as strings (a token scope cannot carry a label selector). */
const scopeResource = policyRule.shape.resources.element.options[0];

export const tokenScopeInput = z.strictObject({
  action: z.enum(ACTIONS),
  resource: scopeResource.optional().describe('a policy resource pattern such as job/ops/*; absent: any'),
});

/**
 * The most scopes one token may carry. Every request with the token matches each scope, and
 * tokens are self-service, so the count is bounded like each scope's glob; people use a few.
 */
export const MAX_TOKEN_SCOPES = 32;

/** `run:job/ops/*`, or `view` for any resource: a scope as the CLI writes it. */
export function formatScope(scope: TokenScope): string {
  return scope.resource === undefined ? scope.action : `${scope.action}:${scope.resource}`;
}

/**
 * When a new token expires (null: never), from the requested `expires` (`30d`, `12h`, `never`)
 * and the kind of its owner.
 */
export function expiryFor(
  requested: string | undefined,
  ownerKind: 'user' | 'service',
  now: number,
): number | null {
  if (requested === undefined) return now + DEFAULT_TOKEN_LIFETIME_MS;
  if (requested === 'never') {
    if (ownerKind === 'service') return null;
    throw new InputError("a person's token must expire", [
      {
        path: 'expires',
        message: '"never" is only for service accounts',
        expected: `a duration up to ${formatDurationAsWritten(MAX_USER_TOKEN_LIFETIME_MS)}`,
        found: '"never"',
      },
    ]);
  }
  const lifetime = parseDuration(requested);
  if (lifetime === undefined || lifetime <= 0) {
    throw new InputError('invalid expiry', [
      {
        path: 'expires',
        message: 'not a duration',
        expected: 'a duration such as 30d, 12h or 90m, or "never" for a service account',
        found: JSON.stringify(requested),
      },
    ]);
  }
  if (ownerKind === 'user' && lifetime > MAX_USER_TOKEN_LIFETIME_MS) {
    throw new InputError('expiry too far away', [
      {
        path: 'expires',
        message: "a person's token may live at most a year",
        expected: `a duration up to ${formatDurationAsWritten(MAX_USER_TOKEN_LIFETIME_MS)}`,
        found: JSON.stringify(requested),
      },
    ]);
  }
  if (lifetime > MAX_DURATION_MS) {
    throw new InputError('expiry too far away', [
      {
        path: 'expires',
        message: `at most ${formatDurationAsWritten(MAX_DURATION_MS)}, got ${requested}`,
        expected: '"never" for a service token that does not expire',
      },
    ]);
  }
  return now + lifetime;
}
