/**
 * Password hashing with scrypt, which is memory-hard: each guess costs 32 MiB of memory as well
 * as time, so guessing on GPUs does not scale the way it does with a fast hash. The hash string
 * names its parameters (`scrypt$N$r$p$salt$hash`), so they can be raised later without
 * invalidating stored hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PASSWORD_MAX_LENGTH } from '../../contract/users.js';
import { InputError } from '../../platform/errors.js';

export const PASSWORD_MIN_LENGTH = 12;

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** N=2^15, r=8: 128·N·r = 32 MiB per hash, about 50–100 ms on a server core. */
export const DEFAULT_PARAMETERS: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Stored hashes with parameters beyond these are refused rather than allowed to exhaust memory. */
const MAX_N = 2 ** 20;

/** scrypt's memory is 128·N·r bytes; Node refuses anything above `maxmem` (32 MiB by default). */
function options({ N, r, p }: ScryptParameters): ScryptOptions {
  return { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
}

/** scrypt off the event loop (libuv's thread pool). */
function derive(password: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options(parameters), (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Checks the length rules; the message names the field. */
export function checkPasswordStrength(password: string, field = 'password'): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    const message =
      password.length < PASSWORD_MIN_LENGTH
        ? `must be at least ${PASSWORD_MIN_LENGTH} characters long`
        : `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
    throw new InputError(`${field}: ${message}`, [
      { path: field, message, found: `${password.length} characters` },
    ]);
  }
}

/** Hashes a password into the self-describing `scrypt$N$r$p$salt$hash` form. */
export async function hashPassword(password: string, parameters = DEFAULT_PARAMETERS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, parameters);
  const { N, r, p } = parameters;
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash extends ScryptParameters {
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const [scheme, n, r, p, salt, key, extra] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key || extra !== undefined) return undefined;
  const parsed = { N: Number(n), r: Number(r), p: Number(p) };
  if (![parsed.N, parsed.r, parsed.p].every(Number.isSafeInteger) || parsed.N > MAX_N || parsed.r > 32) {
    return undefined;
  }
  return { ...parsed, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/** A hash of a random password: verifying against it costs what a real check costs. */
let decoy: Promise<string> | undefined;

/**
 * True when the password matches the stored hash. Without a stored hash (unknown user, no
 * password) it still spends one hash, so the answer takes as long either way and response
 * times do not tell which names exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parseHash(stored) : undefined;
  if (!parsed) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const target = parseHash(await decoy)!;
    await derive(password, target.salt, target);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}
