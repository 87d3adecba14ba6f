/**
 * Signing in with a password, as a browser does, on both databases: the session cookie and its
 * attributes, CSRF protection, session fixation, sign-out, throttling of guessing, disabled users,
 * oversized requests, and the audit records every attempt leaves.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { insertToken } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';
import { SESSION_COOKIE } from './sessions.js';

const PASSWORD = 'correct horse battery';

interface SignedIn {
  cookie: string;
  csrfToken: string;
  response: LightMyRequestResponse;
}

/** The `name=value` part of the session Set-Cookie header. */
function sessionCookieOf(response: LightMyRequestResponse): string {
  const header = [response.headers['set-cookie'] ?? []]
    .flat()
    .find((value) => value.startsWith(`${SESSION_COOKIE}=`));
  if (!header) throw new Error(`no session cookie in ${JSON.stringify(response.headers)}`);
  return header.split(';')[0]!;
}

describe.each(DIALECTS)('sign-in with a password on %s', (dialect) => {
  let baton: TestBaton;
  let address = 0;
  /** Each test signs in from its own address, so address throttling of one never affects another. */
  const nextAddress = () => `10.0.0.${++address}`;

  const signIn = async (
    name: string,
    password: string,
    options: { remoteAddress?: string; headers?: Record<string, string> } = {},
  ) =>
    baton.http.inject({
      method: 'POST',
      url: '/api/v1/sign-in',
      payload: { name, password },
      headers: options.headers ?? {},
      remoteAddress: options.remoteAddress ?? nextAddress(),
    });

  const signedIn = async (
    name: string,
    password = PASSWORD,
    headers: Record<string, string> = {},
  ): Promise<SignedIn> => {
    const response = await signIn(name, password, { headers });
    expect(response.statusCode, response.body).toBe(200);
    return { cookie: sessionCookieOf(response), csrfToken: response.json().csrfToken, response };
  };

  const createUser = async (name: string, body: Record<string, unknown> = { password: PASSWORD }) => {
    const response = await baton.request('POST', '/api/v1/users', { name, ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().user;
  };

  const asCookie = (
    method: string,
    url: string,
    session: SignedIn,
    headers: Record<string, string> = {},
    payload?: object,
  ) =>
    baton.http.inject({
      method: method as 'GET',
      url,
      headers: { cookie: session.cookie, ...headers },
      ...(payload ? { payload } : {}),
    });

  const auditOf = async (action: string, target: string) =>
    (
      await baton.db
        .selectFrom('audit_events')
        .select(['actor', 'address', 'summary'])
        .where('action', '=', action)
        .where('target', '=', target)
        .orderBy('seq')
        .execute()
    ).map((row) => ({
      ...row,
      summary: (typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary) as Record<
        string,
        unknown
      >,
    }));

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { bodyLimitBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await baton?.stop();
  });

  it('tells the sign-in page, without a session, that passwords work and OIDC is off', async () => {
    const response = await baton.http.inject({ method: 'GET', url: '/api/v1/sign-in/methods' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ password: true, oidc: null });
  });

  it('sets an HttpOnly, SameSite session cookie that authenticates API requests', async () => {
    await createUser('alice', { password: PASSWORD, displayName: 'Alice' });
    const session = await signedIn('alice');
    const header = [session.response.headers['set-cookie']].flat()[0]!;
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).toMatch(/; Path=\//);
    // Over plain http the cookie cannot be Secure, or the browser would never send it back.
    expect(header).not.toMatch(/Secure/);
    expect(session.response.json().user).toMatchObject({
      name: 'alice',
      isAdmin: false,
      displayName: 'Alice',
    });
    expect(session.csrfToken).toMatch(/^[\w-]{43}$/);

    const whoami = await asCookie('GET', '/api/v1/whoami', session);
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json().user).toEqual({ name: 'alice', isAdmin: false });
    const current = await asCookie('GET', '/api/v1/session', session);
    expect(current.json()).toMatchObject({ user: { name: 'alice' }, csrfToken: session.csrfToken });

    // Only the hash of the id is stored.
    const stored = await baton.db.selectFrom('sessions').select('id_hash').execute();
    const id = session.cookie.split('=')[1]!;
    expect(stored.map((row) => row.id_hash)).not.toContain(id);
    expect((await auditOf('sign-in.success', 'user/alice')).at(-1)?.summary).toEqual({ method: 'password' });
  });

  it('refuses a wrong password with 401 and records the failure without the password', async () => {
    await createUser('bob');
    const response = await signIn('bob', 'not the right one');
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toBe('wrong name or password');
    expect(response.headers['set-cookie']).toBeUndefined();
    const unknown = await signIn('nobody-here', PASSWORD);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.message).toBe('wrong name or password');

    const failures = await auditOf('sign-in.failure', 'user/bob');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      actor: 'bob',
      summary: { method: 'password', reason: 'wrong password' },
    });
    expect(failures[0]!.address).toMatch(/^10\.0\.0\./);
    expect((await auditOf('sign-in.failure', 'user/nobody-here'))[0]?.summary.reason).toBe('unknown user');
    const all = await baton.db.selectFrom('audit_events').select('summary').execute();
    expect(JSON.stringify(all)).not.toContain('not the right one');
  });

  it('locks a name after 5 failures: the 6th attempt gets 429 and Retry-After even with the right password', async () => {
    await createUser('carol');
    for (let attempt = 1; attempt <= 5; attempt++) {
      // Different addresses: the lock follows the name, whatever address the guesses come from.
      const response = await signIn('carol', `wrong guess ${attempt}`);
      expect(response.statusCode).toBe(401);
    }
    const locked = await signIn('carol', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('too_many_requests');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(locked.headers['set-cookie']).toBeUndefined();
    expect((await auditOf('sign-in.failure', 'user/carol')).at(-1)?.summary.reason).toBe('locked');

    // Once the lock has passed (simulated by moving it into the past), the right password works
    // and clears the count.
    await baton.db
      .updateTable('sign_in_throttle')
      .set({ locked_until: 1 })
      .where('key', '=', 'user:carol')
      .execute();
    await signedIn('carol');
    expect(
      await baton.db
        .selectFrom('sign_in_throttle')
        .select('key')
        .where('key', '=', 'user:carol')
        .executeTakeFirst(),
    ).toBeUndefined();
  });

  it('locks an address that guesses many names', async () => {
    const from = nextAddress();
    for (let attempt = 1; attempt <= 20; attempt++) {
      expect(
        (await signIn(`guess-${attempt}`, 'whatever password', { remoteAddress: from })).statusCode,
      ).toBe(401);
    }
    await createUser('dora');
    expect((await signIn('dora', PASSWORD, { remoteAddress: from })).statusCode).toBe(429);
    // Another address is not affected.
    expect((await signIn('dora', PASSWORD)).statusCode).toBe(200);
  });

  it('requires the CSRF token on state-changing requests authenticated by cookie', async () => {
    await createUser('erin');
    const session = await signedIn('erin');
    const change = (headers: Record<string, string>) =>
      asCookie('PATCH', '/api/v1/users/erin', session, headers, { displayName: 'Erin' });

    const missing = await change({});
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.message).toMatch(/X-CSRF-Token/);
    expect((await change({ 'x-csrf-token': 'x'.repeat(43) })).statusCode).toBe(403);
    const crossSite = await change({ 'x-csrf-token': session.csrfToken, origin: 'https://evil.example' });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().error.message).toMatch(/Origin https:\/\/evil\.example/);
    // Nothing changed so far.
    expect((await asCookie('GET', '/api/v1/session', session)).json().user.displayName).toBeNull();

    const allowed = await change({ 'x-csrf-token': session.csrfToken, origin: 'http://localhost:80' });
    expect(allowed.statusCode, allowed.body).toBe(200);
    const sameHost = await change({ 'x-csrf-token': session.csrfToken });
    expect(sameHost.statusCode).toBe(200);
    expect(sameHost.json().user.displayName).toBe('Erin');
  });

  it('needs no CSRF token with a Bearer token, which wins over a cookie', async () => {
    const session = await signedIn('erin');
    const response = await asCookie(
      'PATCH',
      '/api/v1/users/erin',
      session,
      { authorization: 'Bearer baton_test_admin_token' },
      { email: 'erin@example.com' },
    );
    expect(response.statusCode, response.body).toBe(200);
  });

  it('refuses cross-site sign-in (login CSRF)', async () => {
    const response = await signIn('erin', PASSWORD, { headers: { origin: 'https://evil.example' } });
    expect(response.statusCode).toBe(403);
  });

  it('accepts no session id it did not issue, and mints a new id at every sign-in', async () => {
    const madeUp = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
    const refused = await baton.http.inject({
      method: 'GET',
      url: '/api/v1/whoami',
      headers: { cookie: madeUp },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toMatch(/sign in again/);

    // An attacker plants a cookie before the victim signs in: the victim gets another id.
    const planted = await signedIn('erin', PASSWORD, { cookie: madeUp });
    expect(planted.cookie).not.toBe(madeUp);
    expect(
      (await baton.http.inject({ method: 'GET', url: '/api/v1/whoami', headers: { cookie: madeUp } }))
        .statusCode,
    ).toBe(401);

    // Signing in while holding a session replaces it: the old id stops working.
    const again = await signedIn('erin', PASSWORD, { cookie: planted.cookie });
    expect(again.cookie).not.toBe(planted.cookie);
    expect((await asCookie('GET', '/api/v1/whoami', planted)).statusCode).toBe(401);
    expect((await asCookie('GET', '/api/v1/whoami', again)).statusCode).toBe(200);
  });

  it('ends the session at sign-out', async () => {
    const session = await signedIn('erin');
    const refused = await asCookie('POST', '/api/v1/sign-out', session);
    expect(refused.statusCode).toBe(403);
    const out = await asCookie('POST', '/api/v1/sign-out', session, { 'x-csrf-token': session.csrfToken });
    expect(out.statusCode).toBe(204);
    expect([out.headers['set-cookie']].flat()[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    expect((await asCookie('GET', '/api/v1/whoami', session)).statusCode).toBe(401);
    expect(await auditOf('sign-out', 'user/erin')).toHaveLength(1);
  });

  it('stops the sessions and tokens of a disabled user at once, and refuses their sign-in', async () => {
    const user = await createUser('frank');
    const row = await baton.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', user.name)
      .executeTakeFirstOrThrow();
    const token = generateToken();
    await insertToken(baton.db, {
      userId: row.id,
      name: 't',
      prefix: tokenPrefix(token),
      hash: hashToken(token),
      now: Date.now(),
    });
    const session = await signedIn('frank');
    const bearer = { authorization: `Bearer ${token}` };
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer)).statusCode).toBe(200);

    const disable = await baton.request('PATCH', '/api/v1/users/frank', { disabled: true });
    expect(disable.statusCode, disable.body).toBe(200);
    expect(disable.json().user.disabled).toBe(true);
    expect((await asCookie('GET', '/api/v1/whoami', session)).statusCode).toBe(401);
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer)).statusCode).toBe(401);
    const again = await signIn('frank', PASSWORD);
    expect(again.statusCode).toBe(403);
    expect(again.json().error.message).toMatch(/disabled/);
    expect((await auditOf('sign-in.failure', 'user/frank')).at(-1)?.summary.reason).toBe('disabled');

    expect((await baton.request('PATCH', '/api/v1/users/frank', { disabled: false })).statusCode).toBe(200);
    expect((await baton.request('GET', '/api/v1/whoami', undefined, bearer)).statusCode).toBe(200);
    await signedIn('frank');
  });

  it('never lets a service account sign in or hold a password', async () => {
    const withPassword = await baton.request('POST', '/api/v1/users', {
      name: 'ci-bot',
      kind: 'service',
      password: PASSWORD,
    });
    expect(withPassword.statusCode).toBe(400);
    expect(withPassword.json().error.problems[0].path).toBe('body.password');
    await createUser('ci-bot', { kind: 'service' });
    const response = await signIn('ci-bot', PASSWORD);
    expect(response.statusCode).toBe(401);
    expect((await auditOf('sign-in.failure', 'user/ci-bot'))[0]?.summary.reason).toBe('service account');
    const setPassword = await baton.request('PATCH', '/api/v1/users/ci-bot', { password: PASSWORD });
    expect(setPassword.statusCode).toBe(400);
  });

  it('answers oversized headers with 431 and oversized bodies with 413, and keeps serving', async () => {
    const url = await baton.http.listen({ port: 0, host: '127.0.0.1' });
    const hugeCookie = await fetch(`${url}/api/v1/whoami`, {
      headers: { cookie: `${SESSION_COOKIE}=${'a'.repeat(20 * 1024)}` },
    });
    expect(hugeCookie.status).toBe(431);
    const hugeBody = await fetch(`${url}/api/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'erin', password: 'x'.repeat(100 * 1024) }),
    });
    expect(hugeBody.status).toBe(413);
    // A long password within the body limit is refused by validation, before any hashing.
    const longPassword = await fetch(`${url}/api/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'erin', password: 'x'.repeat(10_000) }),
    });
    expect(longPassword.status).toBe(400);
    const health = await fetch(`${url}/api/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'erin', password: PASSWORD }),
    });
    expect(health.status).toBe(200);
  });

  it('lets a cookie session follow a live log stream (a GET, so no CSRF token)', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: hello, project: signin}
spec:
  steps:
    - {name: hello, script: 'echo hello from the job'}
`);
    const execution = await baton.run('signin/hello');
    await baton.waitFor(execution.id);
    const admin = await baton.request('PATCH', '/api/v1/users/admin', { password: PASSWORD });
    expect(admin.statusCode, admin.body).toBe(200);
    const session = await signedIn('admin');
    const stream = await asCookie('GET', `/api/v1/executions/${execution.id}/log/stream`, session, {
      accept: 'text/event-stream',
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    expect(stream.body).toContain('hello from the job');
  });
});
