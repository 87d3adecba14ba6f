/**
 * `baton users` as a user runs it: the compiled CLI in a child process against a real Baton
 * (SQLite) listening on a random port; the password travels on stdin, never in argv.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';

const PASSWORD = 'alice has a long password';

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
});

afterAll(async () => {
  await server?.stop();
});

describe('baton users', () => {
  it('creates a user with a password from stdin, who can then sign in', async () => {
    const created = await server.cli(['users', 'create', 'alice', '--password-stdin'], {
      input: `${PASSWORD}\n`,
    });
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('created user alice\n');
    expect(created.code).toBe(0);
    const signIn = await fetch(`${server.url}/api/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('set-cookie')).toMatch(/^baton_session=/);
  });

  it('creates service accounts, lists, disables and enables', async () => {
    expect((await server.cli(['users', 'create', 'ci-bot', '--service-account'])).stdout).toBe(
      'created service account ci-bot\n',
    );
    const list = await server.cli(['users', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+KIND\s+ADMIN\s+STATE/);
    expect(list.stdout).toMatch(/\nalice\s+user\s+no\s+active\s+password,token/);
    expect(list.stdout).toMatch(/\nci-bot\s+service\s+no\s+active\s+token/);
    expect((await server.cli(['users', 'disable', 'alice'])).stdout).toBe('disabled alice\n');
    expect((await server.cli(['users', 'list', '--output', 'json'])).stdout).toMatch(/"disabled": true/);
    expect((await server.cli(['users', 'enable', 'alice'])).stdout).toBe('enabled alice\n');
  });

  it('refuses bad input with exit code 2 and says why', async () => {
    const short = await server.cli(['users', 'create', 'bob', '--password-stdin'], { input: 'short\n' });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/body\.password.*at least 12/);
    const both = await server.cli(['users', 'create', 'bot', '--service-account', '--password-stdin'], {
      input: `${PASSWORD}\n`,
    });
    expect(both.code).toBe(2);
    const duplicate = await server.cli(['users', 'create', 'alice']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
  });
});
