/**
 * `baton tokens` and `baton audit` as users run them: the compiled CLI in a child process
 * against a real Baton (SQLite) listening on a random port. Asserts the printed token, exit
 * codes, and that a revoked token stops working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
});

afterAll(async () => {
  await server?.stop();
});

describe('baton tokens', () => {
  it('creates a token printed once on stdout, lists it without its value, and revokes it', async () => {
    const created = await server.cli([
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

    const whoami = await server.baton.http.inject({
      url: '/api/v1/whoami',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whoami.statusCode).toBe(200);

    const listed = await server.cli(['tokens', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+laptop\\s+baton_`, 'm'));
    expect(listed.stdout).not.toContain(token);

    const revoked = await server.cli(['tokens', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stderr: `revoked token ${id} "laptop" of admin\n` });
    const after = await server.cli(['tokens', 'list'], { token });
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/not authenticated/);
  });

  it('exits 2 for a bad expiry or scope and 4 for a token that does not exist', async () => {
    const expiry = await server.cli(['tokens', 'create', '--expires', 'soon']);
    expect(expiry.code).toBe(2);
    expect(expiry.stderr).toMatch(/expires/);
    const scope = await server.cli(['tokens', 'create', '--scope', 'run:jobs']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/scopes/);
    expect((await server.cli(['tokens', 'revoke', '99999'])).code).toBe(4);
  });
});

describe('baton audit', () => {
  it('verify exits 0 while intact and 1 with a line per problem once a record is changed', async () => {
    const intact = await server.cli(['audit', 'verify']);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^audit trail intact: \d+ records/);

    const list = await server.cli(['audit', 'list', '--action', 'token']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/token\.revoke\s+token\/\d+/);

    const exported = await server.cli(['audit', 'export', '--since', '1h']);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { action: string }).action)).toContain('token.create');

    await server.baton.db
      .updateTable('audit_events')
      .set({ actor: 'mallory' })
      .where('seq', '=', 1)
      .execute();
    const broken = await server.cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('record 1: changed: the record does not match its hash\n');
  });
});
