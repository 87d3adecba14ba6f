/**
 * The first start of an empty database creates the `admin` user with a token (for the CLI) and a
 * password (for the web UI), so a new user can do everything at once. Later starts change nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import { checkPasswordStrength, hashPassword } from './sign-in/passwords.js';
import { generateToken, hashToken, tokenPrefix } from './tokens.js';
import { countUsers, insertToken, insertUser } from './store.js';

export interface BootstrapResult {
  /** True when this start created the admin (the database was empty). */
  created: boolean;
  /** The token, only when it was generated here and must be shown once. */
  generatedToken?: string;
  /** The password, only when it was generated here and must be shown once. */
  generatedPassword?: string;
}

export interface AdminPassword {
  /** The password to set (BATON_ADMIN_PASSWORD). */
  password?: string | undefined;
  /** Generate one when none is given; without either, admin signs in only by token until one is set. */
  generate?: boolean;
}

/** Creates `admin` with the given token (or a generated one) when no user exists yet. */
export async function bootstrapAdmin(
  db: Db,
  configuredToken: string | undefined,
  adminPassword: AdminPassword = {},
  now = Date.now(),
): Promise<BootstrapResult> {
  if ((await countUsers(db)) > 0) return { created: false };
  if (adminPassword.password !== undefined)
    checkPasswordStrength(adminPassword.password, 'BATON_ADMIN_PASSWORD');
  // 96 random bits, typed once from the terminal into the sign-in page.
  const generatedPassword =
    adminPassword.password === undefined && adminPassword.generate
      ? randomBytes(12).toString('base64url')
      : undefined;
  const password = adminPassword.password ?? generatedPassword;
  // Hashing takes ~100 ms of CPU: done before the transaction, not while holding the writer.
  const passwordHash = password === undefined ? null : await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    if ((await countUsers(trx)) > 0) return { created: false };
    const token = configuredToken ?? generateToken();
    const userId = await insertUser(trx, { name: 'admin', isAdmin: true, passwordHash, now });
    await insertToken(trx, {
      userId,
      name: 'bootstrap',
      prefix: tokenPrefix(token),
      hash: hashToken(token),
      now,
    });
    return {
      created: true,
      ...(configuredToken ? {} : { generatedToken: token }),
      ...(generatedPassword ? { generatedPassword } : {}),
    };
  });
}
