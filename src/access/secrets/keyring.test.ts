/** Master keys: from the environment, or from a 0600 key file that Baton creates and guards. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../platform/errors.js';
import { generateMasterKey, keyIdOf, KEY_FILE_NAME, loadKeyring, parseMasterKey } from './keyring.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-keyring-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('master keys', () => {
  it('accepts 32 bytes as base64 or hex, and rejects anything else without repeating it', () => {
    const bytes = randomBytes(32);
    expect(parseMasterKey(bytes.toString('base64'), 'BATON_MASTER_KEY').key.equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('hex'), 'BATON_MASTER_KEY').key.equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('base64url'), 'BATON_MASTER_KEY').key.equals(bytes)).toBe(true);
    for (const bad of [
      'short-secret-text',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex') + 'zz',
    ]) {
      let error: unknown;
      try {
        parseMasterKey(bad, 'BATON_MASTER_KEY');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InputError);
      expect(
        JSON.stringify({ message: (error as InputError).message, problems: (error as InputError).problems }),
      ).not.toContain(bad);
      expect((error as InputError).problems[0]?.path).toBe('BATON_MASTER_KEY');
    }
  });

  it('uses BATON_MASTER_KEY first, with BATON_MASTER_KEY_PREVIOUS as older keys', async () => {
    const current = randomBytes(32);
    const previous = randomBytes(32);
    const keyring = await loadKeyring({
      dataDir,
      masterKey: current.toString('base64'),
      masterKeyPrevious: [previous.toString('hex')],
    });
    expect(keyring.current.id).toBe(keyIdOf(current));
    expect(keyring.ids).toEqual([keyIdOf(current), keyIdOf(previous)]);
    expect(keyring.source.kind).toBe('environment');
    // No key file is made when the key comes from the environment.
    await expect(fs.stat(path.join(dataDir, KEY_FILE_NAME))).rejects.toThrow(/ENOENT/);
  });

  it('creates the key file with mode 0600 on first start and reuses it after', async () => {
    const first = await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    const file = path.join(dataDir, KEY_FILE_NAME);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    expect(second.current.id).toBe(first.current.id);
  });

  it('refuses a key file that group or others may read, and says how to fix it', async () => {
    await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    const file = path.join(dataDir, KEY_FILE_NAME);
    await fs.chmod(file, 0o644);
    await expect(loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] })).rejects.toThrow(
      `chmod 600 ${file}`,
    );
    await fs.chmod(file, 0o640);
    await expect(loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] })).rejects.toThrow(
      /readable by others/,
    );
  });

  it('promotes a new key ahead of the old one in the file, then drops the old one (file stays 0600)', async () => {
    const keyring = await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    const old = keyring.current;
    const fresh = generateMasterKey();
    await keyring.promote(fresh);
    const file = path.join(dataDir, KEY_FILE_NAME);
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toEqual([fresh.key.toString('base64'), old.key.toString('base64')]);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await keyring.dropPrevious();
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(fresh.key.toString('base64'));
    expect(keyring.ids).toEqual([fresh.id]);
    expect((await fs.readdir(dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('re-reads the key file for a key it does not hold (another process rotated)', async () => {
    const worker = await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    const server = await loadKeyring({ dataDir, masterKey: undefined, masterKeyPrevious: [] });
    const fresh = generateMasterKey();
    await server.promote(fresh);
    expect((await worker.find(fresh.id))?.key.equals(fresh.key)).toBe(true);
  });
});
