/** SQL for users and API tokens, and the reads behind the authorization snapshot. */
import type { Db } from '../platform/db/database.js';
import type { Principal, TokenScope } from './model.js';
import type { AccessSnapshot, Membership } from './policies/engine.js';
import type { PolicyRule } from './policies/model.js';
import type { ApiToken } from './tokens/model.js';
import { insertUserRecord } from './users/store.js';

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Creates a user (bootstrap's admin, tests); the users store is the one writer of the table. */
export async function insertUser(
  db: Db,
  user: { name: string; isAdmin: boolean; passwordHash?: string | null; now: number },
): Promise<number> {
  const created = await insertUserRecord(
    db,
    { name: user.name, kind: 'user', isAdmin: user.isAdmin, passwordHash: user.passwordHash ?? undefined },
    user.now,
  );
  return created.id;
}

export async function insertToken(
  db: Db,
  token: {
    userId: number;
    name: string;
    prefix: string;
    hash: string;
    now: number;
    expiresAt?: number | null;
    scopes?: readonly TokenScope[] | null;
    createdBy?: string;
  },
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
      scopes: token.scopes ? JSON.stringify(token.scopes) : null,
      created_by: token.createdBy ?? null,
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

/** A user or service account by name, for issuing tokens. */
export async function findUserByName(
  db: Db,
  name: string,
): Promise<{ id: number; name: string; kind: 'user' | 'service'; disabled: boolean } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'name', 'kind', 'disabled_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      name: row.name,
      kind: row.kind === 'service' ? 'service' : 'user',
      disabled: row.disabled_at !== null,
    }
  );
}

function selectTokens(db: Db) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.prefix',
      'api_tokens.scopes',
      'api_tokens.created_at',
      'api_tokens.created_by',
      'api_tokens.expires_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'api_tokens.revoked_by',
      'users.name as owner',
      'users.kind as owner_kind',
    ]);
}

type TokenRow = Awaited<ReturnType<ReturnType<typeof selectTokens>['executeTakeFirstOrThrow']>>;

const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));

function parseToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    owner: row.owner,
    ownerKind: row.owner_kind === 'service' ? 'service' : 'user',
    scopes: parseScopes(row.scopes) ?? null,
    createdAt: new Date(Number(row.created_at)),
    createdBy: row.created_by,
    expiresAt: dateOrNull(row.expires_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    revokedAt: dateOrNull(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}

/** Tokens of one owner (by name), or of everyone; newest first. */
export async function listTokens(db: Db, filter: { owner?: string }): Promise<ApiToken[]> {
  let query = selectTokens(db).orderBy('api_tokens.id', 'desc');
  if (filter.owner !== undefined) query = query.where('users.name', '=', filter.owner);
  return (await query.execute()).map(parseToken);
}

export async function getToken(db: Db, id: number): Promise<ApiToken | undefined> {
  const row = await selectTokens(db).where('api_tokens.id', '=', id).executeTakeFirst();
  return row && parseToken(row);
}

/** Marks a token revoked; false when it already was (the first revocation stands). */
export async function revokeToken(db: Db, id: number, by: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** JSON columns come back as text from SQLite and as values from PostgreSQL. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** What of a job's spec the snapshot reads (the approvers it names); the job schema has checked it. */
interface JobApproval {
  approval?: { approvers: string | string[] };
}

/**
 * Everything an authorization decision depends on, read in one go: policies, team memberships,
 * the owners of projects and catalog services, and the labels and approvers of jobs.
 */
export async function loadAccessSnapshot(db: Db): Promise<AccessSnapshot> {
  const [policies, members, owners, services, jobs] = await Promise.all([
    db.selectFrom('policies').select(['name', 'spec']).orderBy('name').execute(),
    db.selectFrom('team_members').select(['team', 'user_name', 'role']).execute(),
    db.selectFrom('projects').select(['name', 'owner_team']).where('owner_team', 'is not', null).execute(),
    db.selectFrom('services').select(['name', 'owner_team']).execute(),
    db.selectFrom('jobs').select(['project', 'name', 'labels', 'spec']).execute(),
  ]);
  const jobLabels = new Map<string, Record<string, string>>();
  const jobApprovers = new Map<string, string[]>();
  for (const job of jobs) {
    const path = `job/${job.project}/${job.name}`;
    const labels = parseJson(job.labels) as Record<string, string>;
    if (Object.keys(labels).length > 0) jobLabels.set(path, labels);
    const approvers = (parseJson(job.spec) as JobApproval).approval?.approvers;
    if (approvers !== undefined) jobApprovers.set(path, [approvers].flat());
  }
  const memberships = new Map<string, Membership[]>();
  for (const member of members) {
    const list = memberships.get(member.user_name) ?? [];
    const role = member.role === 'maintainer' ? 'maintainer' : 'member';
    const existing = list.find((entry) => entry.team === member.team);
    if (!existing) list.push({ team: member.team, role });
    else if (role === 'maintainer') existing.role = role;
    memberships.set(member.user_name, list);
  }
  return {
    policies: policies.map((policy) => ({
      name: policy.name,
      rules: (
        (typeof policy.spec === 'string' ? JSON.parse(policy.spec) : policy.spec) as { rules: PolicyRule[] }
      ).rules,
    })),
    memberships,
    projectOwners: new Map(owners.map((owner) => [owner.name, owner.owner_team!])),
    serviceOwners: new Map(services.map((service) => [service.name, service.owner_team])),
    jobLabels,
    jobApprovers,
  };
}

/** A user or service account by name as a principal, for explaining decisions (`baton policy test --as`). */
export async function findInternalPrincipal(db: Db, name: string): Promise<Principal | undefined> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'kind', 'is_admin'])
    .where('name', '=', name)
    .executeTakeFirst();
  return (
    user && {
      kind: user.kind === 'service' ? 'service' : 'user',
      id: user.id,
      name: user.name,
      isAdmin: user.is_admin === 1,
      via: 'internal',
    }
  );
}
