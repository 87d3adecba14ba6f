/** SQL for policies. */
import type { Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { PoliciesTable } from '../../platform/db/schema.js';
import type { PolicyDocument } from './model.js';

export interface StoredPolicy {
  name: string;
  description: string | null;
  spec: PolicyDocument['spec'];
  digest: string;
  updatedAt: number;
  updatedBy: string;
}

function toPolicy(row: Selectable<PoliciesTable>): StoredPolicy {
  return {
    name: row.name,
    description: row.description,
    // JSON is text on SQLite and a value on PostgreSQL.
    spec: (typeof row.spec === 'string' ? JSON.parse(row.spec) : row.spec) as PolicyDocument['spec'],
    digest: row.digest,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export async function getPolicy(db: Db, name: string): Promise<StoredPolicy | undefined> {
  const row = await db.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toPolicy(row);
}

export async function listPolicies(db: Db): Promise<StoredPolicy[]> {
  const rows = await db.selectFrom('policies').selectAll().orderBy('name').execute();
  return rows.map(toPolicy);
}

export async function listPolicyNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('policies').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

export async function savePolicy(
  db: Db,
  policy: { document: PolicyDocument; source: string; digest: string; actor: string; now: number },
): Promise<void> {
  const values = {
    description: policy.document.metadata.description ?? null,
    spec: JSON.stringify(policy.document.spec),
    source: policy.source,
    digest: policy.digest,
    updated_at: policy.now,
    updated_by: policy.actor,
  };
  await db
    .insertInto('policies')
    .values({ name: policy.document.metadata.name, created_at: policy.now, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
}

export async function deletePolicy(db: Db, name: string): Promise<void> {
  await db.deleteFrom('policies').where('name', '=', name).execute();
}
