/** SQL for users and service accounts. */
import type { Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';
import type { User } from './model.js';

type UserRow = Selectable<UsersTable>;

function parseUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind === 'service' ? 'service' : 'user',
    isAdmin: row.is_admin === 1,
    displayName: row.display_name,
    email: row.email,
    disabledAt: row.disabled_at === null ? null : new Date(Number(row.disabled_at)),
    createdAt: new Date(Number(row.created_at)),
    hasPassword: row.password_hash !== null,
    oidcIssuer: row.oidc_issuer,
  };
}

/** A user with the stored password hash, for sign-in only. */
export interface UserCredentials {
  user: User;
  passwordHash: string | null;
  oidcSubject: string | null;
}

export async function findUserCredentials(db: Db, name: string): Promise<UserCredentials | undefined> {
  const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  return row && { user: parseUser(row), passwordHash: row.password_hash, oidcSubject: row.oidc_subject };
}

export async function findUser(db: Db, name: string): Promise<User | undefined> {
  return (await findUserCredentials(db, name))?.user;
}

/** The user with this id, for answers about a caller already authenticated. */
export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && parseUser(row);
}

export async function findUserByOidcIdentity(
  db: Db,
  issuer: string,
  subject: string,
): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('oidc_issuer', '=', issuer)
    .where('oidc_subject', '=', subject)
    .executeTakeFirst();
  return row && parseUser(row);
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('name').execute();
  return rows.map(parseUser);
}

/** The name and kind (`user`, `service`) of every user, in no particular order. */
export async function listUserKinds(db: Db): Promise<{ name: string; kind: string }[]> {
  return db.selectFrom('users').select(['name', 'kind']).execute();
}

export interface NewUser {
  name: string;
  kind: 'user' | 'service';
  isAdmin: boolean;
  passwordHash?: string | undefined;
  displayName?: string | undefined;
  email?: string | undefined;
  oidc?: { issuer: string; subject: string } | undefined;
}

export async function insertUserRecord(db: Db, user: NewUser, now: number): Promise<User> {
  const row = await db
    .insertInto('users')
    .values({
      name: user.name,
      kind: user.kind,
      is_admin: user.isAdmin ? 1 : 0,
      password_hash: user.passwordHash ?? null,
      display_name: user.displayName ?? null,
      email: user.email ?? null,
      oidc_issuer: user.oidc?.issuer ?? null,
      oidc_subject: user.oidc?.subject ?? null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return parseUser(row);
}

export interface UserChanges {
  passwordHash?: string;
  isAdmin?: boolean;
  disabledAt?: number | null;
  displayName?: string | null;
  email?: string | null;
}

export async function updateUserRecord(db: Db, id: number, changes: UserChanges): Promise<User> {
  const row = await db
    .updateTable('users')
    .set({
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
      ...(changes.isAdmin !== undefined ? { is_admin: changes.isAdmin ? 1 : 0 } : {}),
      ...(changes.disabledAt !== undefined ? { disabled_at: changes.disabledAt } : {}),
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      ...(changes.email !== undefined ? { email: changes.email } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return parseUser(row);
}
