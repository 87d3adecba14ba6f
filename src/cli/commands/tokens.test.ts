/**
 * `baton tokens` and `baton audit` as users run them: the compiled CLI in a child process
 * against a real Baton (SQLite) listening on a random port. Asserts the printed token, exit
 * codes, and that a revoked token stops working.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaton, type Baton } from '../../app.js';
import { bootstrapAdmin } from '../../access/bootstrap.js';
import { loadConfig } from '../../platform/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'baton.js');
const ADMIN = 'baton_cli_tokens_admin';

let baton: Baton;
let url: string;
let tmp: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `baton ARGS…` with BATON_URL and the given token, and nothing else of Baton's environment. */
function cli(args: string[], token = ADMIN): Promise<Result> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('BATON_') && name !== 'XDG_CONFIG_HOME') env[name] = value;
  }
  Object.assign(env, { HOME: tmp, BATON_URL: url, BATON_TOKEN: token });
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-cli-tokens-'));
  baton = await createBaton(loadConfig({ dataDir: tmp, applyExamples: false, embeddedWorker: false }, {}));
  await bootstrapAdmin(baton.db, ADMIN);
  url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await baton?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('baton tokens', () => {
  it('creates a token printed once on stdout, lists it without its value, and revokes it', async () => {
    const created = await cli([
      'tokens',
      'create',
      '--name',
      'laptop',
      '--expires',
      '30d',
      '--scope',
      'view',
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^baton_[A-Za-z0-9_-]{32}$/);
    expect(created.stderr).toMatch(/^token (\d+) "laptop" for admin, expires .*, scopes: view\n/);
    expect(created.stderr).toContain('not shown again');
    expect(created.stderr).not.toContain(token);
    const id = /^token (\d+)/.exec(created.stderr)![1]!;

    const whoami = await baton.http.inject({
      url: '/api/v1/whoami',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whoami.statusCode).toBe(200);

    const listed = await cli(['tokens', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+laptop\\s+baton_`, 'm'));
    expect(listed.stdout).not.toContain(token);

    const revoked = await cli(['tokens', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stderr: `revoked token ${id} "laptop" of admin\n` });
    const after = await cli(['tokens', 'list'], token);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/not authenticated/);
  });

  it('exits 2 for a bad expiry or scope and 4 for a token that does not exist', async () => {
    const expiry = await cli(['tokens', 'create', '--expires', 'soon']);
    expect(expiry.code).toBe(2);
    expect(expiry.stderr).toMatch(/expires/);
    const scope = await cli(['tokens', 'create', '--scope', 'run:jobs']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/scopes/);
    expect((await cli(['tokens', 'revoke', '99999'])).code).toBe(4);
  });
});

describe('baton audit', () => {
  it('verify exits 0 while intact and 1 with a line per problem once a record is changed', async () => {
    const intact = await cli(['audit', 'verify']);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^audit trail intact: \d+ records/);

    const list = await cli(['audit', 'list', '--action', 'token']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/token\.revoke\s+token\/\d+/);

    const exported = await cli(['audit', 'export', '--since', '1h']);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { action: string }).action)).toContain('token.create');

    await baton.db.updateTable('audit_events').set({ actor: 'mallory' }).where('seq', '=', 1).execute();
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('record 1: changed: the record does not match its hash\n');
  });
});
