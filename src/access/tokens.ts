/**
 * API tokens. A token has 190 bits of randomness, so a fast hash (SHA-256) is enough to store
 * it safely; the value itself is shown once and never stored.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'baton_';

/** A new random token, `baton_` followed by 32 URL-safe characters. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(24).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The part of a token that may be shown in listings to tell tokens apart. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}
