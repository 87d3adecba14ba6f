/** SQL for users and API tokens. */
import type { Db } from '../platform/db/database.js';
import type { Principal, TokenScope } from './model.js';

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertUser(
  db: Db,
  user: { name: string; isAdmin: boolean; now: number },
): Promise<number> {
  const row = await db
    .insertInto('users')
    .values({ name: user.name, is_admin: user.isAdmin ? 1 : 0, created_at: user.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertToken(
  db: Db,
  token: { userId: number; name: string; prefix: string; hash: string; now: number; expiresAt?: number },
): Promise<number> {
  const row = await db
    .insertInto('api_tokens')
    .values({
      user_id: token.userId,
      name: token.name,
      prefix: token.prefix,
      token_hash: token.hash,
      created_at: token.now,
      expires_at: token.expiresAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The principal a live (unrevoked, unexpired) token belongs to. */
export async function findPrincipalByTokenHash(
  db: Db,
  hash: string,
  now: number,
): Promise<(Principal & { tokenId: number }) | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'users.id as user_id',
      'users.name',
      'users.kind',
      'users.is_admin',
      'api_tokens.id as token_id',
      'api_tokens.scopes',
    ])
    .where('users.disabled_at', 'is', null)
    .where('api_tokens.token_hash', '=', hash)
    .where('api_tokens.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now)]))
    .executeTakeFirst();
  return (
    row && {
      kind: row.kind === 'service' ? 'service' : 'user',
      via: 'token',
      scopes: parseScopes(row.scopes),
      id: row.user_id,
      name: row.name,
      isAdmin: row.is_admin === 1,
      tokenId: row.token_id,
    }
  );
}

export async function touchToken(db: Db, tokenId: number, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', tokenId).execute();
}

/** Scopes as stored (JSON text on SQLite, jsonb on PostgreSQL); null means unscoped. */
export function parseScopes(value: unknown): TokenScope[] | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as TokenScope[];
}
