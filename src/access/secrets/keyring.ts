/**
 * The master keys that seal secrets. Either the operator gives them (`BATON_MASTER_KEY`, and
 * `BATON_MASTER_KEY_PREVIOUS` while rotating), or Baton keeps them in `<dataDir>/master.key`,
 * created on first start with mode 0600: one base64 key per line, the first one current.
 *
 * Every process that runs steps needs the same keys; servers and workers on several machines
 * should therefore be given `BATON_MASTER_KEY` rather than each create a key file of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../platform/errors.js';
import { KEY_BYTES } from './crypto.js';

export interface MasterKey {
  /** A short fingerprint of the key (sha256 prefix), stored beside every value it sealed. */
  id: string;
  key: Buffer;
}

export type KeySource = { kind: 'environment' } | { kind: 'file'; file: string };

export const KEY_FILE_NAME = 'master.key';
const KEY_FILE_MODE = 0o600;

/** The fingerprint that names a key in `secrets.key_id`; never enough to recover the key. */
export function keyIdOf(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function masterKey(key: Buffer): MasterKey {
  return { id: keyIdOf(key), key };
}

/**
 * Reads a key written as 64 hex digits or as base64 of 32 bytes. The message names where the
 * key came from and never repeats the key itself.
 */
export function parseMasterKey(text: string, origin: string): MasterKey {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed) || /^[A-Za-z0-9_-]{43}$/.test(trimmed)) {
    const decoded = Buffer.from(
      trimmed,
      trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64',
    );
    if (decoded.length === KEY_BYTES) key = decoded;
  }
  if (!key) {
    throw new InputError(`${origin} is not a master key`, [
      {
        path: origin,
        message: `must be ${KEY_BYTES} random bytes, written as 64 hex digits or as base64`,
        expected: 'e.g. the output of: openssl rand -base64 32',
        found: `${trimmed.length} characters`,
      },
    ]);
  }
  return masterKey(key);
}

/** Generates a fresh random master key. */
export function generateMasterKey(): MasterKey {
  return masterKey(randomBytes(KEY_BYTES));
}

/** The keys of this process: the current one seals, every one of them opens. */
export class Keyring {
  private keys: MasterKey[];

  constructor(
    keys: MasterKey[],
    readonly source: KeySource,
  ) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key');
    this.keys = dedupe(keys);
  }

  /** The key that seals new values. */
  get current(): MasterKey {
    return this.keys[0]!;
  }

  /** Ids of every key held, current first. */
  get ids(): string[] {
    return this.keys.map((key) => key.id);
  }

  /**
   * The key with this id. In key-file mode a miss re-reads the file first: another process on
   * this machine (the server) may have rotated the key since this one started.
   */
  async find(id: string): Promise<MasterKey | undefined> {
    const held = this.keys.find((key) => key.id === id);
    if (held || this.source.kind !== 'file') return held;
    this.keys = await readKeyFile(this.source.file);
    return this.keys.find((key) => key.id === id);
  }

  /** Key-file mode: makes `key` current while keeping the others, in memory and in the file. */
  async promote(key: MasterKey): Promise<void> {
    const keys = dedupe([key, ...this.keys]);
    if (this.source.kind === 'file') await writeKeyFile(this.source.file, keys);
    this.keys = keys;
  }

  /** Forgets every key but the current one (in key-file mode, also in the file). */
  async dropPrevious(): Promise<void> {
    const keys = [this.current];
    if (this.source.kind === 'file') await writeKeyFile(this.source.file, keys);
    this.keys = keys;
  }
}

function dedupe(keys: MasterKey[]): MasterKey[] {
  return keys.filter((key, index) => keys.findIndex((other) => other.id === key.id) === index);
}

/** Where keys come from, as configured. */
export interface KeyringSettings {
  dataDir: string;
  /** BATON_MASTER_KEY; absent means the key file. */
  masterKey: string | undefined;
  /** BATON_MASTER_KEY_PREVIOUS: keys that may still have sealed some values. */
  masterKeyPrevious: readonly string[];
}

/** Loads the keyring: from the environment when given, else from the key file (created if missing). */
export async function loadKeyring(settings: KeyringSettings): Promise<Keyring> {
  if (settings.masterKey !== undefined) {
    const current = parseMasterKey(settings.masterKey, 'BATON_MASTER_KEY');
    const previous = settings.masterKeyPrevious.map((text, index) =>
      parseMasterKey(text, `BATON_MASTER_KEY_PREVIOUS[${index}]`),
    );
    return new Keyring([current, ...previous], { kind: 'environment' });
  }
  const file = path.join(settings.dataDir, KEY_FILE_NAME);
  // The data directory holds the key and the database: only its owner may enter a new one.
  await fs.mkdir(settings.dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeKeyFile(file, [generateMasterKey()], { exclusive: true });
  } catch (error) {
    // Someone (an earlier start) created it: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new Keyring(await readKeyFile(file), { kind: 'file', file });
}

/** Reads the key file, refusing one that others than its owner may read. */
export async function readKeyFile(file: string): Promise<MasterKey[]> {
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) {
    throw new InputError(
      `master key file ${file} is readable by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); fix it with: chmod 600 ${file}`,
    );
  }
  const lines = (await fs.readFile(file, 'utf8')).split('\n');
  const keys: MasterKey[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    keys.push(parseMasterKey(line, `${file}:${index + 1}`));
  }
  if (keys.length === 0) {
    throw new InputError(
      `master key file ${file} holds no key; restore it from a backup (without it, stored secrets cannot be read)`,
    );
  }
  return keys;
}

/**
 * Writes the keys (current first) to the file with mode 0600: a complete file beside it, then
 * renamed over it (or, when `exclusive`, linked to it, which fails if it exists), so a crash
 * leaves either the old list or the new one, never half of one.
 */
async function writeKeyFile(
  file: string,
  keys: MasterKey[],
  options: { exclusive?: boolean } = {},
): Promise<void> {
  const text = keys.map((key) => `${key.key.toString('base64')}\n`).join('');
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temporary, 'wx', KEY_FILE_MODE);
  try {
    // The mode given to open passes through the umask; chmod makes it exact.
    await handle.chmod(KEY_FILE_MODE);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.exclusive) await fs.link(temporary, file);
    else await fs.rename(temporary, file);
  } finally {
    await fs.rm(temporary, { force: true });
  }
}
