/**
 * The first start of an empty database creates the `admin` user and its token, so a new user
 * can do everything at once. Later starts change nothing.
 */
import type { Db } from '../platform/db/database.js';
import { generateToken, hashToken, tokenPrefix } from './tokens.js';
import { countUsers, insertToken, insertUser } from './store.js';

export interface BootstrapResult {
  /** True when this start created the admin (the database was empty). */
  created: boolean;
  /** The token, only when it was generated here and must be shown once. */
  generatedToken?: string;
}

/** Creates `admin` with the given token (or a generated one) when no user exists yet. */
export async function bootstrapAdmin(
  db: Db,
  configuredToken: string | undefined,
  now = Date.now(),
): Promise<BootstrapResult> {
  return db.transaction().execute(async (trx) => {
    if ((await countUsers(trx)) > 0) return { created: false };
    const token = configuredToken ?? generateToken();
    const userId = await insertUser(trx, { name: 'admin', isAdmin: true, now });
    await insertToken(trx, {
      userId,
      name: 'bootstrap',
      prefix: tokenPrefix(token),
      hash: hashToken(token),
      now,
    });
    return configuredToken ? { created: true } : { created: true, generatedToken: token };
  });
}
