/** SQL for the duty lease rows (duty_leases): take, renew, release. */
import type { Db } from '../db/database.js';

/** Takes or renews the named lease for `owner`; true when it holds it afterwards. */
export async function acquireDutyLease(
  db: Db,
  name: string,
  owner: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const renewed = await db
    .updateTable('duty_leases')
    .set({ owner, expires_at: now + ttlMs })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('owner', '=', owner), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  if (Number(renewed.numUpdatedRows) === 1) return true;
  const inserted = await db
    .insertInto('duty_leases')
    .values({ name, owner, expires_at: now + ttlMs })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function releaseDutyLease(db: Db, name: string, owner: string): Promise<void> {
  await db.deleteFrom('duty_leases').where('name', '=', name).where('owner', '=', owner).execute();
}

/**
 * Claims the round of a duty that must run once per interval across processes, named by the
 * instant its interval starts (`floor(now / interval) × interval`, so a changed interval still
 * counts upward); true for the one caller that gets it. A conditional update (and an insert for
 * the first round) decides, so two holders of a lease that changed hands mid-interval still run
 * the round once. The row sits beside the leases, named `round:NAME`.
 */
export async function claimDutyRound(db: Db, name: string, roundStartMs: number): Promise<boolean> {
  const row = `round:${name}`;
  const advanced = await db
    .updateTable('duty_leases')
    .set({ expires_at: roundStartMs })
    .where('name', '=', row)
    .where('expires_at', '<', roundStartMs)
    .executeTakeFirst();
  if (Number(advanced.numUpdatedRows) === 1) return true;
  const inserted = await db
    .insertInto('duty_leases')
    .values({ name: row, owner: 'rounds', expires_at: roundStartMs })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}
