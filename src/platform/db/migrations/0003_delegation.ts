/**
 * Delegation: service accounts and passwords on users, scoped tokens, sign-in sessions and their
 * throttling, OIDC logins, teams, services, policies, encrypted secrets, approvals and the
 * hash-chained audit trail.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json, blobType: blob } = caps;

  // 'user' for people, 'service' for service accounts (tokens only, never a sign-in).
  await db.schema
    .alterTable('users')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('user'))
    .execute();
  await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
  await db.schema.alterTable('users').addColumn('display_name', 'text').execute();
  await db.schema.alterTable('users').addColumn('email', 'text').execute();
  await db.schema.alterTable('users').addColumn('disabled_at', big).execute();
  await db.schema.alterTable('users').addColumn('oidc_issuer', 'text').execute();
  await db.schema.alterTable('users').addColumn('oidc_subject', 'text').execute();
  await db.schema
    .createIndex('users_oidc_identity')
    .unique()
    .on('users')
    .columns(['oidc_issuer', 'oidc_subject'])
    .execute();

  // Null scopes: the token may do whatever its owner may.
  await db.schema.alterTable('api_tokens').addColumn('scopes', json).execute();
  await db.schema.alterTable('api_tokens').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('revoked_by', 'text').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', big, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('last_seen_at', big, (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  // Failed sign-ins per key (`user:NAME`, `address:IP`), shared by every server.
  await db.schema
    .createTable('sign_in_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', big, (c) => c.notNull())
    .addColumn('locked_until', big)
    .execute();

  // An OIDC authorization request between the redirect and the callback.
  await db.schema
    .createTable('oidc_logins')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('teams')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  // Membership from Team documents ('document') and from OIDC group claims ('oidc').
  await db.schema
    .createTable('team_members')
    .addColumn('team', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team', 'user_name', 'origin'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').column('user_name').execute();

  await db.schema.alterTable('projects').addColumn('owner_team', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('service', 'text').execute();

  await db.schema
    .createTable('services')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner_team', 'text', (c) => c.notNull())
    .addColumn('lifecycle', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('links', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('policies')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // `value` is AES-256-GCM ciphertext with its nonce and tag; `key_id` names the master key.
  await db.schema
    .createTable('secrets')
    .addColumn('path', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('value', blob, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // Executions waiting for approval carry a deadline; decisions are rows of their own.
  await db.schema.alterTable('executions').addColumn('approval_expires_at', big).execute();
  await db.schema
    .createTable('approvals')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('execution_id', big, (c) => c.notNull().references('executions.id').onDelete('cascade'))
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('decided_at', big, (c) => c.notNull())
    .addUniqueConstraint('approvals_once', ['execution_id', 'approver'])
    .execute();
  await db.schema
    .createIndex('executions_awaiting_approval')
    .on('executions')
    .column('approval_expires_at')
    .where(sql.ref('state'), '=', 'awaiting_approval')
    .execute();

  // The audit trail: each record's hash covers the previous one's, and the head row holds the
  // newest hash, so a changed, removed or reordered record breaks the chain.
  await db.schema
    .createTable('audit_events')
    .addColumn('seq', big, (c) => c.primaryKey())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('summary', json, (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', big, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    // Retention removes the oldest records; the chain then starts after this one.
    .addColumn('pruned_seq', big, (c) => c.notNull())
    .addColumn('pruned_hash', 'text', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO audit_head (id, seq, hash, pruned_seq, pruned_hash) VALUES (1, 0, ${GENESIS}, 0, ${GENESIS})`.execute(
    db,
  );
}

/** The hash before the first record. */
const GENESIS = '0'.repeat(64);
