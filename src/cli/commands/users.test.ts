/**
 * `baton users` as a user runs it: the compiled CLI in a child process against a real Baton
 * (SQLite) listening on a random port; the password travels on stdin, never in argv.
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
const TOKEN = 'users-cli-test-token';
const PASSWORD = 'alice has a long password';

let baton: Baton;
let url: string;
let tmp: string;

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('BATON_')) env[name] = value;
  Object.assign(env, { HOME: tmp, XDG_CONFIG_HOME: tmp, BATON_URL: url, BATON_TOKEN: TOKEN });
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

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-users-cli-'));
  baton = await createBaton(loadConfig({ dataDir: tmp, applyExamples: false, embeddedWorker: false }, {}));
  await bootstrapAdmin(baton.db, TOKEN);
  url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await baton?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('baton users', () => {
  it('creates a user with a password from stdin, who can then sign in', async () => {
    const created = await cli(['users', 'create', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('created user alice\n');
    expect(created.code).toBe(0);
    const signIn = await fetch(`${url}/api/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('set-cookie')).toMatch(/^baton_session=/);
  });

  it('creates service accounts, lists, disables and enables', async () => {
    expect((await cli(['users', 'create', 'ci-bot', '--service-account'])).stdout).toBe(
      'created service account ci-bot\n',
    );
    const list = await cli(['users', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+KIND\s+ADMIN\s+STATE/);
    expect(list.stdout).toMatch(/\nalice\s+user\s+no\s+active\s+password,token/);
    expect(list.stdout).toMatch(/\nci-bot\s+service\s+no\s+active\s+token/);
    expect((await cli(['users', 'disable', 'alice'])).stdout).toBe('disabled alice\n');
    expect((await cli(['users', 'list', '--output', 'json'])).stdout).toMatch(/"disabled": true/);
    expect((await cli(['users', 'enable', 'alice'])).stdout).toBe('enabled alice\n');
  });

  it('refuses bad input with exit code 2 and says why', async () => {
    const short = await cli(['users', 'create', 'bob', '--password-stdin'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/body\.password.*at least 12/);
    const both = await cli(
      ['users', 'create', 'bot', '--service-account', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(both.code).toBe(2);
    const duplicate = await cli(['users', 'create', 'alice']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
  });
});
