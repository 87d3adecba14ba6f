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
