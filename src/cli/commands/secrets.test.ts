/**
 * `baton secrets` as a user runs it: the compiled CLI in a child process against a real Baton.
 * The value goes in on stdin, never in argv, and no command prints it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExecutionSecrets } from '../../automation/secrets/delivery.js';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';

const VALUE = 'cli-Secret-Value-4242';

let server: CliServer;

/** The stored value, as a worker would open it. */
async function storedValue(secretPath: string): Promise<string | undefined> {
  const opened = await openExecutionSecrets(server.baton.db, server.baton.keyring, {
    spec: { steps: [], secrets: [{ path: secretPath, env: 'V' }] },
    options: {},
  });
  return opened.env.V;
}

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
});

afterAll(async () => {
  await server?.stop();
});

describe('baton secrets', () => {
  it('set reads the value from stdin (dropping one final newline) and never prints it', async () => {
    const set = await server.cli(['secrets', 'set', 'db/prod/password', '--description', 'the prod db'], {
      input: `${VALUE}\n`,
    });
    expect(set).toMatchObject({ code: 0, stdout: '' });
    expect(set.stderr).toBe('secret db/prod/password saved (version 1)\n');
    expect(await storedValue('db/prod/password')).toBe(VALUE);

    const again = await server.cli(['secrets', 'set', 'db/prod/password', '--output', 'json'], {
      input: 'second-value\n',
    });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).secret).toMatchObject({ path: 'db/prod/password', version: 2 });
    expect(again.stdout).not.toContain('second-value');
    expect(await storedValue('db/prod/password')).toBe('second-value');
  });

  it('set refuses empty input and traversal paths as usage errors', async () => {
    expect(await server.cli(['secrets', 'set', 'app/empty'], { input: '' })).toMatchObject({ code: 2 });
    const traversal = await server.cli(['secrets', 'set', 'a/../rotate-key'], { input: 'x' });
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('must not contain . or .. segments');
  });

  it('list shows paths and metadata only', async () => {
    await server.cli(['secrets', 'set', 'api/token'], { input: `${VALUE}-token` });
    const list = await server.cli(['secrets', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+VERSION\s+UPDATED\s+BY\s+DESCRIPTION$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['api/token', 'db/prod/password']);
    expect(list.stdout).toContain('the prod db');
    const json = await server.cli(['secrets', 'list', '--output', 'json']);
    for (const output of [list.stdout, json.stdout]) {
      expect(output).not.toContain(VALUE);
      expect(output).not.toContain('second-value');
    }
  });

  it('rotate-key reseals every secret; delete removes one', async () => {
    const before = server.baton.keyring.current.id;
    const rotated = await server.cli(['secrets', 'rotate-key']);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/now seals every secret \(2 resealed, 0 already under it\)/);
    expect(server.baton.keyring.current.id).not.toBe(before);
    expect(await storedValue('api/token')).toBe(`${VALUE}-token`);

    expect(await server.cli(['secrets', 'delete', 'api/token'])).toMatchObject({
      code: 0,
      stderr: 'secret api/token deleted\n',
    });
    expect(await server.cli(['secrets', 'delete', 'api/token'])).toMatchObject({ code: 4 });
  });
});
