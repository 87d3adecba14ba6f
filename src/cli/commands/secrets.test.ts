/**
 * `baton secrets` as a user runs it: the compiled CLI in a child process against a real Baton.
 * The value goes in on stdin, never in argv, and no command prints it back.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaton, type Baton } from '../../app.js';
import { bootstrapAdmin } from '../../access/bootstrap.js';
import { openExecutionSecrets } from '../../access/secrets/delivery.js';
import { loadConfig } from '../../platform/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'baton.js');
const TOKEN = 'test-token-secrets';
const VALUE = 'cli-Secret-Value-4242';

let baton: Baton;
let url: string;
let tmp: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `baton ARGS…` with BATON_URL/BATON_TOKEN and the given stdin. */
function cli(args: string[], input = ''): Promise<Result> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('BATON_')) env[name] = value;
  Object.assign(env, { HOME: tmp, BATON_URL: url, BATON_TOKEN: TOKEN });
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env });
  child.stdin.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The stored value, as a worker would open it. */
async function storedValue(secretPath: string): Promise<string | undefined> {
  const opened = await openExecutionSecrets(baton.db, baton.keyring, {
    spec: { steps: [], secrets: [{ path: secretPath, env: 'V' }] },
    options: {},
  });
  return opened.env.V;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-cli-secrets-'));
  baton = await createBaton(
    loadConfig({ dataDir: tmp, port: 0, host: '127.0.0.1', applyExamples: false, embeddedWorker: false }, {}),
  );
  await bootstrapAdmin(baton.db, TOKEN);
  url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await baton?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('baton secrets', () => {
  it('set reads the value from stdin (dropping one final newline) and never prints it', async () => {
    const set = await cli(
      ['secrets', 'set', 'db/prod/password', '--description', 'the prod db'],
      `${VALUE}\n`,
    );
    expect(set).toMatchObject({ code: 0, stdout: '' });
    expect(set.stderr).toBe('secret db/prod/password saved (version 1)\n');
    expect(await storedValue('db/prod/password')).toBe(VALUE);

    const again = await cli(['secrets', 'set', 'db/prod/password', '--output', 'json'], 'second-value\n');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).secret).toMatchObject({ path: 'db/prod/password', version: 2 });
    expect(again.stdout).not.toContain('second-value');
    expect(await storedValue('db/prod/password')).toBe('second-value');
  });

  it('set refuses empty input and traversal paths as usage errors', async () => {
    expect(await cli(['secrets', 'set', 'app/empty'], '')).toMatchObject({ code: 2 });
    const traversal = await cli(['secrets', 'set', 'a/../rotate-key'], 'x');
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('must not contain . or .. segments');
  });

  it('list shows paths and metadata only', async () => {
    await cli(['secrets', 'set', 'api/token'], `${VALUE}-token`);
    const list = await cli(['secrets', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+VERSION\s+UPDATED\s+BY\s+DESCRIPTION$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['api/token', 'db/prod/password']);
    expect(list.stdout).toContain('the prod db');
    const json = await cli(['secrets', 'list', '--output', 'json']);
    for (const output of [list.stdout, json.stdout]) {
      expect(output).not.toContain(VALUE);
      expect(output).not.toContain('second-value');
    }
  });

  it('rotate-key reseals every secret; delete removes one', async () => {
    const before = baton.keyring.current.id;
    const rotated = await cli(['secrets', 'rotate-key']);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/now seals every secret \(2 resealed, 0 already under it\)/);
    expect(baton.keyring.current.id).not.toBe(before);
    expect(await storedValue('api/token')).toBe(`${VALUE}-token`);

    expect(await cli(['secrets', 'delete', 'api/token'])).toMatchObject({
      code: 0,
      stderr: 'secret api/token deleted\n',
    });
    expect(await cli(['secrets', 'delete', 'api/token'])).toMatchObject({ code: 4 });
  });
});
