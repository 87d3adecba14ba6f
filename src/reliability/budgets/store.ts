/** SQL for error-budget policies (`budget_policies`) and the overrides people gave (`budget_overrides`). */
import type { Db } from '../../platform/db/database.js';
import type { ErrorBudgetPolicy, ErrorBudgetPolicySpec } from './document.js';

export interface StoredBudgetPolicy extends ErrorBudgetPolicy {
  digest: string;
  updatedAt: number;
  updatedBy: string;
}

function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export async function listBudgetPolicies(db: Db): Promise<StoredBudgetPolicy[]> {
  const rows = await db.selectFrom('budget_policies').selectAll().orderBy('name').execute();
  return rows.map((row) => ({
    name: row.name,
    spec: json<ErrorBudgetPolicySpec>(row.spec),
    digest: row.digest,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }));
}

export async function getBudgetPolicy(db: Db, name: string): Promise<StoredBudgetPolicy | undefined> {
  return (await listBudgetPolicies(db)).find((policy) => policy.name === name);
}

export async function saveBudgetPolicy(
  db: Db,
  policy: {
    name: string;
    spec: ErrorBudgetPolicySpec;
    source: string;
    digest: string;
    actor: string;
    now: number;
  },
): Promise<void> {
  const values = {
    spec: JSON.stringify(policy.spec),
    source: policy.source,
    digest: policy.digest,
    updated_at: policy.now,
    updated_by: policy.actor,
  };
  await db
    .insertInto('budget_policies')
    .values({ name: policy.name, created_at: policy.now, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
}

export async function deleteBudgetPolicy(db: Db, name: string): Promise<void> {
  await db.deleteFrom('budget_policies').where('name', '=', name).execute();
}

export interface BudgetOverride {
  id: number;
  service: string;
  grantedBy: string;
  reason: string;
  grantedAt: number;
  expiresAt: number;
  executionId: number | null;
}

/** Records an override given for an execution; it holds for its giver on the service until `expiresAt`. */
export async function insertBudgetOverride(db: Db, override: Omit<BudgetOverride, 'id'>): Promise<number> {
  const row = await db
    .insertInto('budget_overrides')
    .values({
      service: override.service,
      granted_by: override.grantedBy,
      reason: override.reason,
      granted_at: override.grantedAt,
      expires_at: override.expiresAt,
      execution_id: override.executionId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The override `person` gave on `service` that holds longest after `now`, if any. */
export async function findHeldOverride(
  db: Db,
  service: string,
  person: string,
  now: number,
): Promise<BudgetOverride | undefined> {
  const row = await db
    .selectFrom('budget_overrides')
    .selectAll()
    .where('service', '=', service)
    .where('granted_by', '=', person)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      service: row.service,
      grantedBy: row.granted_by,
      reason: row.reason,
      grantedAt: row.granted_at,
      expiresAt: row.expires_at,
      executionId: row.execution_id,
    }
  );
}
