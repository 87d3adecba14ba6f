/** SQL for secrets: small functions named by verb, handed the connection. Values stay sealed here. */
import type { Db } from '../../platform/db/database.js';
import type { SecretsTable } from '../../platform/db/schema.js';
import type { SecretMetadata } from './model.js';

/** A stored secret with its sealed value. */
export interface SealedSecret extends SecretMetadata {
  keyId: string;
  sealed: Uint8Array;
}

function parseSecret(row: SecretsTable): SealedSecret {
  return {
    path: row.path,
    version: Number(row.version),
    description: row.description,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    updatedBy: row.updated_by,
    keyId: row.key_id,
    sealed: row.value,
  };
}

/** Without the sealed value: what listings carry, so the value cannot leak through them by mistake. */
function metadataOf(secret: SealedSecret): SecretMetadata {
  const { path, version, description, createdAt, updatedAt, updatedBy } = secret;
  return { path, version, description, createdAt, updatedAt, updatedBy };
}

export async function getSealedSecret(db: Db, path: string): Promise<SealedSecret | undefined> {
  const row = await db.selectFrom('secrets').selectAll().where('path', '=', path).executeTakeFirst();
  return row && parseSecret(row);
}

/** Every secret's metadata, by path. */
export async function listSecretMetadata(db: Db): Promise<SecretMetadata[]> {
  const rows = await db.selectFrom('secrets').selectAll().orderBy('path').execute();
  return rows.map((row) => metadataOf(parseSecret(row)));
}

/** Which of these paths exist. */
export async function existingSecretPaths(db: Db, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const rows = await db
    .selectFrom('secrets')
    .select('path')
    .where('path', 'in', [...paths])
    .execute();
  return new Set(rows.map((row) => row.path));
}

/**
 * Creates the secret or replaces its value (version + 1) in one statement, so two writers of
 * the same path cannot collide. An omitted description keeps the stored one.
 */
export async function putSecret(
  db: Db,
  secret: {
    path: string;
    keyId: string;
    sealed: Uint8Array;
    description: string | undefined;
    actor: string;
    now: number;
  },
): Promise<SecretMetadata> {
  await db
    .insertInto('secrets')
    .values({
      path: secret.path,
      key_id: secret.keyId,
      value: secret.sealed,
      version: 1,
      description: secret.description ?? null,
      created_at: secret.now,
      updated_at: secret.now,
      updated_by: secret.actor,
    })
    .onConflict((conflict) =>
      conflict.column('path').doUpdateSet((eb) => ({
        key_id: secret.keyId,
        value: secret.sealed,
        version: eb('secrets.version', '+', 1),
        description: secret.description === undefined ? eb.ref('secrets.description') : secret.description,
        updated_at: secret.now,
        updated_by: secret.actor,
      })),
    )
    .execute();
  return metadataOf((await getSealedSecret(db, secret.path))!);
}

/** Deletes a secret; false when there was none. */
export async function deleteSecret(db: Db, path: string): Promise<boolean> {
  const result = await db.deleteFrom('secrets').where('path', '=', path).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every sealed secret, for re-encryption under a new master key. */
export async function listSealedSecrets(db: Db): Promise<SealedSecret[]> {
  const rows = await db.selectFrom('secrets').selectAll().orderBy('path').execute();
  return rows.map(parseSecret);
}

/** Replaces a sealed value with the same value sealed under another key (version unchanged). */
export async function resealSecret(db: Db, path: string, keyId: string, sealed: Uint8Array): Promise<void> {
  await db.updateTable('secrets').set({ key_id: keyId, value: sealed }).where('path', '=', path).execute();
}
