/**
 * API tokens through the HTTP API, on both databases: expiry, revocation taking effect on the
 * very next request, who may see and revoke which token, scopes, and the audit records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { insertToken, insertUser } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(DIALECTS)('API tokens on %s', (dialect) => {
  let baton: TestBaton;
  let aliceToken: string;
  let bobToken: string;

  /** A user with one unscoped token inserted directly, as tests do. */
  async function userWithToken(name: string, kind: 'user' | 'service' = 'user'): Promise<string> {
    const userId = await insertUser(baton.db, { name, isAdmin: false, now: Date.now() });
    if (kind === 'service')
      await baton.db.updateTable('users').set({ kind }).where('id', '=', userId).execute();
    const token = generateToken();
    await insertToken(baton.db, {
      userId,
      name: 'seed',
      prefix: tokenPrefix(token),
      hash: hashToken(token),
      now: Date.now(),
    });
    return token;
  }

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    aliceToken = await userWithToken('alice');
    bobToken = await userWithToken('bob');
    await userWithToken('ci-bot', 'service');
  });
  afterAll(async () => {
    await baton?.stop();
  });

  it('creates a token that works until it expires, then answers 401', async () => {
    const created = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'laptop', expires: '30d' },
      bearer(aliceToken),
    );
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.owner).toBe('alice');
    expect(body.token).toMatch(/^baton_/);
    expect(body.prefix).toBe(body.token.slice(0, body.prefix.length));
    const lifetime = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
    expect(lifetime).toBe(30 * 86_400_000);

    const whoami = await baton.request('GET', '/api/v1/whoami', undefined, bearer(body.token));
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json().user.name).toBe('alice');

    // Expiry is checked on every request: move it into the past as time would.
    await baton.db
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', body.id)
      .execute();
    const after = await baton.request('GET', '/api/v1/whoami', undefined, bearer(body.token));
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/expired|revoked|invalid/);
  });

  it('defaults to 90 days, refuses "never" and over a year for people, allows "never" for service accounts', async () => {
    const plain = (
      await baton.request('POST', '/api/v1/tokens', { name: 'default' }, bearer(aliceToken))
    ).json();
    expect(Date.parse(plain.expiresAt) - Date.parse(plain.createdAt)).toBe(90 * 86_400_000);

    const never = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'x', expires: 'never' },
      bearer(aliceToken),
    );
    expect(never.statusCode).toBe(400);
    expect(never.json().error.problems[0].path).toBe('expires');
    const long = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'x', expires: '400d' },
      bearer(aliceToken),
    );
    expect(long.statusCode).toBe(400);
    const garbage = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'x', expires: 'soon' },
      bearer(aliceToken),
    );
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().error.problems[0]).toMatchObject({ path: 'expires', found: '"soon"' });

    const service = await baton.request('POST', '/api/v1/tokens', {
      name: 'deploy',
      user: 'ci-bot',
      expires: 'never',
    });
    expect(service.statusCode).toBe(201);
    expect(service.json()).toMatchObject({
      owner: 'ci-bot',
      ownerKind: 'service',
      expiresAt: null,
      createdBy: 'admin',
    });
    const whoami = await baton.request('GET', '/api/v1/whoami', undefined, bearer(service.json().token));
    expect(whoami.json().user.name).toBe('ci-bot');
  });

  it('stops a revoked token on the very next request', async () => {
    const created = (
      await baton.request('POST', '/api/v1/tokens', { name: 'short' }, bearer(aliceToken))
    ).json();
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer(created.token))).statusCode).toBe(
      200,
    );
    const revoked = await baton.request(
      'DELETE',
      `/api/v1/tokens/${created.id}`,
      undefined,
      bearer(aliceToken),
    );
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: created.id, revokedBy: 'alice' });
    expect(revoked.json().revokedAt).not.toBeNull();
    const next = await baton.request('GET', '/api/v1/whoami', undefined, bearer(created.token));
    expect(next.statusCode).toBe(401);
    // A token can revoke itself, and that request is its last.
    const self = (await baton.request('POST', '/api/v1/tokens', { name: 'self' }, bearer(aliceToken))).json();
    expect(
      (await baton.request('DELETE', `/api/v1/tokens/${self.id}`, undefined, bearer(self.token))).statusCode,
    ).toBe(200);
    expect((await baton.request('GET', '/api/v1/tokens', undefined, bearer(self.token))).statusCode).toBe(
      401,
    );
  });

  it("hides another user's token from a non-admin: revoke is 404 and the token keeps working", async () => {
    const bobs = (await baton.request('POST', '/api/v1/tokens', { name: 'bobs' }, bearer(bobToken))).json();
    const attempt = await baton.request('DELETE', `/api/v1/tokens/${bobs.id}`, undefined, bearer(aliceToken));
    expect(attempt.statusCode).toBe(404);
    const missing = await baton.request('DELETE', '/api/v1/tokens/999999', undefined, bearer(aliceToken));
    expect(missing.statusCode).toBe(404);
    expect(attempt.json().error.message).toBe(`no token ${bobs.id}`);
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer(bobs.token))).statusCode).toBe(
      200,
    );

    // Nor may alice list bob's tokens or create one for him.
    expect(
      (await baton.request('GET', '/api/v1/tokens?user=bob', undefined, bearer(aliceToken))).statusCode,
    ).toBe(403);
    expect(
      (await baton.request('GET', '/api/v1/tokens?all=true', undefined, bearer(aliceToken))).statusCode,
    ).toBe(403);
    const forBob = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'x', user: 'bob' },
      bearer(aliceToken),
    );
    expect(forBob.statusCode).toBe(403);

    // An admin may revoke it.
    const byAdmin = await baton.request('DELETE', `/api/v1/tokens/${bobs.id}`);
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().revokedBy).toBe('admin');
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer(bobs.token))).statusCode).toBe(
      401,
    );
  });

  it('limits a scoped token to its scopes, and a scoped token cannot mint tokens', async () => {
    const created = await baton.request('POST', '/api/v1/tokens', {
      name: 'reader',
      scopes: [{ action: 'view', resource: 'job/ops/*' }],
    });
    expect(created.statusCode).toBe(201);
    const scoped = created.json();
    expect(scoped.scopes).toEqual([{ action: 'view', resource: 'job/ops/*' }]);
    // The admin's own rights, narrowed: viewing is allowed, reading the audit trail is not.
    expect((await baton.request('GET', '/api/v1/jobs', undefined, bearer(scoped.token))).statusCode).toBe(
      200,
    );
    const audit = await baton.request('GET', '/api/v1/audit', undefined, bearer(scoped.token));
    expect(audit.statusCode).toBe(403);
    expect(audit.json().error.message).toMatch(/scopes/);
    const mint = await baton.request('POST', '/api/v1/tokens', { name: 'wider' }, bearer(scoped.token));
    expect(mint.statusCode).toBe(403);
    expect(mint.json().error.message).toMatch(/scoped token cannot manage tokens/);
  });

  it('rejects scopes with unknown actions or malformed resources, naming the field', async () => {
    const badAction = await baton.request('POST', '/api/v1/tokens', {
      name: 'x',
      scopes: [{ action: 'destroy' }],
    });
    expect(badAction.statusCode).toBe(400);
    expect(JSON.stringify(badAction.json().error.problems)).toContain('scopes');
    const badResource = await baton.request('POST', '/api/v1/tokens', {
      name: 'x',
      scopes: [{ action: 'run', resource: 'jobs/ops' }],
    });
    expect(badResource.statusCode).toBe(400);
    expect(badResource.json().error.problems[0].path).toMatch(/scopes.*0.*resource/);
  });

  it('answers a request against the worst scope glob allowed, and refuses globs over the bounds', async () => {
    // The scope that kept /healthz waiting: refused, naming the field and the limit.
    const refused = await baton.request(
      'POST',
      '/api/v1/tokens',
      { name: 'stars', scopes: [{ action: 'view', resource: `job/${'*a'.repeat(12)}*b/x` }] },
      bearer(aliceToken),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.problems[0].path).toMatch(/scopes.*0.*resource/);
    expect(refused.json().error.problems[0].message).toMatch(/at most 8 wildcards/);
    const tooLong = await baton.request('POST', '/api/v1/tokens', {
      name: 'long',
      scopes: [{ action: 'view', resource: `job/ops/${'a'.repeat(300)}` }],
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.problems[0].message).toMatch(/at most 256 characters/);
    // Each scope is matched on every request, so their number is bounded too.
    const tooMany = await baton.request('POST', '/api/v1/tokens', {
      name: 'many',
      scopes: Array.from({ length: 33 }, () => ({ action: 'view', resource: 'job/ops/*' })),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.problems[0]).toMatchObject({
      path: expect.stringMatching(/scopes/),
      message: expect.stringMatching(/at most 32 scopes/),
    });

    // The most the bounds allow, with literal ends that match so the whole name is read. As a
    // regular expression it took 104 s against a 100-character name, growing as the 7th power
    // of the length (about 4 h at 200); matched linearly it answers.
    const created = await baton.request('POST', '/api/v1/tokens', {
      name: 'eight-stars',
      scopes: [{ action: 'view', resource: `job/ops/${'*a'.repeat(6)}*c*` }],
    });
    expect(created.statusCode).toBe(201);
    const token = created.json().token as string;
    const outside = await baton.request(
      'GET',
      `/api/v1/jobs/ops/${'a'.repeat(200)}`,
      undefined,
      bearer(token),
    );
    // Outside the scope, the job answers like one that does not exist (as it does not): what
    // matters is that the request is answered at all, after the scope was matched.
    expect(outside.statusCode).toBe(404);
    expect(outside.json().error.message).toBe(`job ops/${'a'.repeat(200)} not found`);
    const inside = await baton.request(
      'GET',
      `/api/v1/jobs/ops/${'a'.repeat(200)}c`,
      undefined,
      bearer(token),
    );
    expect(inside.statusCode).toBe(404);
  });

  it('lists tokens without their values or hashes', async () => {
    const created = (
      await baton.request('POST', '/api/v1/tokens', { name: 'listed' }, bearer(bobToken))
    ).json();
    const hash = hashToken(created.token);
    const own = await baton.request('GET', '/api/v1/tokens', undefined, bearer(bobToken));
    expect(own.statusCode).toBe(200);
    expect(own.json().tokens.map((token: { owner: string }) => token.owner)).not.toContain('alice');
    expect(own.json().tokens.map((token: { id: number }) => token.id)).toContain(created.id);
    for (const response of [own, await baton.request('GET', '/api/v1/tokens?all=true')]) {
      expect(response.body).not.toContain(created.token);
      expect(response.body).not.toContain(hash);
      expect(response.body).not.toContain(created.token.slice(-12));
    }
    const all = (await baton.request('GET', '/api/v1/tokens?all=true')).json().tokens;
    expect(new Set(all.map((token: { owner: string }) => token.owner))).toEqual(
      new Set(['admin', 'alice', 'bob', 'ci-bot']),
    );
  });

  it('appends token.create and token.revoke with actor, address and no token value', async () => {
    const created = (
      await baton.request('POST', '/api/v1/tokens', { name: 'audited', expires: '1d' }, bearer(aliceToken))
    ).json();
    await baton.request('DELETE', `/api/v1/tokens/${created.id}`, undefined, bearer(aliceToken));
    const answer = await baton.request('GET', `/api/v1/audit?target=token/${created.id}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).not.toContain(created.token);
    const records = answer.json().records as {
      action: string;
      actor: string;
      address: string;
      target: string;
      summary: Record<string, unknown>;
    }[];
    expect(records.map((record) => record.action)).toEqual(['token.revoke', 'token.create']);
    for (const record of records) {
      expect(record).toMatchObject({ actor: 'alice', target: `token/${created.id}` });
      expect(record.address).toBe('127.0.0.1');
    }
    expect(records[1]!.summary).toMatchObject({
      owner: 'alice',
      name: 'audited',
      scopes: null,
      expiresAt: created.expiresAt,
    });
  });
});
