/** The users API on both databases: who may create and change users, and what others see. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { SCOPED_TOKEN_REFUSAL } from '../http.js';
import { insertToken } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';

const PASSWORD = 'a long enough password';

describe.each(DIALECTS)('users API on %s', (dialect) => {
  let baton: TestBaton;
  let aliceToken: string;
  const asAlice = () => ({ authorization: `Bearer ${aliceToken}` });

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    const created = await baton.request('POST', '/api/v1/users', {
      name: 'alice',
      password: PASSWORD,
      email: 'alice@example.com',
    });
    expect(created.statusCode, created.body).toBe(201);
    const row = await baton.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', 'alice')
      .executeTakeFirstOrThrow();
    aliceToken = generateToken();
    await insertToken(baton.db, {
      userId: row.id,
      name: 't',
      prefix: tokenPrefix(aliceToken),
      hash: hashToken(aliceToken),
      now: Date.now(),
    });
  });
  afterAll(async () => {
    await baton?.stop();
  });

  it('creates users and records it on the audit trail, without the password', async () => {
    const response = await baton.request('POST', '/api/v1/users', {
      name: 'bob',
      password: PASSWORD,
      displayName: 'Bob',
      admin: true,
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().user).toMatchObject({
      name: 'bob',
      kind: 'user',
      isAdmin: true,
      disabled: false,
      signIn: ['password', 'token'],
    });
    const audit = await baton.db
      .selectFrom('audit_events')
      .select(['actor', 'summary'])
      .where('action', '=', 'user.create')
      .where('target', '=', 'user/bob')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe('admin');
    expect(JSON.stringify(audit.summary)).not.toContain(PASSWORD);
  });

  it('refuses bad input with the field path, duplicates with 409, short passwords with 400', async () => {
    const badName = await baton.request('POST', '/api/v1/users', { name: 'Bad Name' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error.problems[0].path).toBe('body.name');
    expect((await baton.request('POST', '/api/v1/users', { name: 'alice' })).statusCode).toBe(409);
    const short = await baton.request('POST', '/api/v1/users', { name: 'carl', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.problems[0]).toMatchObject({ path: 'body.password' });
    expect((await baton.request('POST', '/api/v1/users', { name: 'carl', extra: 1 })).statusCode).toBe(400);
  });

  it('lets only administrators create users', async () => {
    const response = await baton.request('POST', '/api/v1/users', { name: 'mallory' }, asAlice());
    expect(response.statusCode).toBe(403);
  });

  it('shows others only names, kinds and display names to non-administrators', async () => {
    const response = await baton.request('GET', '/api/v1/users', undefined, asAlice());
    expect(response.statusCode).toBe(200);
    const users = response.json().users as Record<string, unknown>[];
    expect(users.find((user) => user.name === 'admin')).toEqual({
      name: 'admin',
      kind: 'user',
      displayName: null,
    });
    expect(users.find((user) => user.name === 'alice')).toMatchObject({
      email: 'alice@example.com',
      isAdmin: false,
    });
    const all = (await baton.request('GET', '/api/v1/users')).json().users as Record<string, unknown>[];
    expect(all.find((user) => user.name === 'bob')).toMatchObject({ isAdmin: true });
  });

  it('refuses a scoped token on tokens and the account; a session and an unscoped token manage both', async () => {
    const created = await baton.request('POST', '/api/v1/users', { name: 'dana', password: PASSWORD });
    expect(created.statusCode, created.body).toBe(201);
    const signIn = await baton.http.inject({
      method: 'POST',
      url: '/api/v1/sign-in',
      payload: { name: 'dana', password: PASSWORD },
      remoteAddress: '10.1.0.1',
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const cookie = [signIn.headers['set-cookie']].flat().find((value) => value?.startsWith('baton_session='));
    const session = { cookie: cookie!.split(';')[0]!, 'x-csrf-token': signIn.json().csrfToken as string };
    const mint = async (body: object, headers: Record<string, string>) => {
      const response = await baton.request('POST', '/api/v1/tokens', body, headers);
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { id: number; token: string };
    };
    const unscoped = await mint({ name: 'laptop' }, session);
    // An unscoped token mints a scoped one, as a session does.
    const scoped = await mint(
      { name: 'ci', scopes: [{ action: 'view', resource: 'job/ops/allowed' }] },
      { authorization: `Bearer ${unscoped.token}` },
    );
    const asScoped = { authorization: `Bearer ${scoped.token}` };

    const attempts = [
      await baton.request('POST', '/api/v1/tokens', { name: 'wider' }, asScoped),
      await baton.request('GET', '/api/v1/tokens', undefined, asScoped),
      await baton.request('DELETE', `/api/v1/tokens/${unscoped.id}`, undefined, asScoped),
      await baton.request('GET', '/api/v1/users', undefined, asScoped),
      await baton.request(
        'PATCH',
        '/api/v1/users/dana',
        { displayName: 'Mallory', email: 'mallory@example.com' },
        asScoped,
      ),
      await baton.request(
        'PATCH',
        '/api/v1/users/dana',
        { password: 'a password of the thief', currentPassword: PASSWORD },
        asScoped,
      ),
    ];
    for (const response of attempts) {
      expect(response.statusCode, response.body).toBe(403);
      expect(response.json().error.message).toBe(SCOPED_TOKEN_REFUSAL);
    }
    // Nothing changed: the other token and the session still work, the profile and password are as they were.
    expect(
      (await baton.request('GET', '/api/v1/whoami', undefined, { authorization: `Bearer ${unscoped.token}` }))
        .statusCode,
    ).toBe(200);
    expect(
      (await baton.request('GET', '/api/v1/session', undefined, { cookie: session.cookie })).statusCode,
    ).toBe(200);
    const dana = await baton.db
      .selectFrom('users')
      .select(['display_name', 'email'])
      .where('name', '=', 'dana')
      .executeTakeFirstOrThrow();
    expect(dana).toEqual({ display_name: null, email: null });
    // The scoped token still does what its scope grants, and knows whom it acts for.
    expect((await baton.request('GET', '/api/v1/whoami', undefined, asScoped)).json().user.name).toBe('dana');

    // A session and an unscoped token manage the account and the tokens.
    const bySession = await baton.request('PATCH', '/api/v1/users/dana', { displayName: 'Dana' }, session);
    expect(bySession.statusCode, bySession.body).toBe(200);
    const byToken = await baton.request(
      'PATCH',
      '/api/v1/users/dana',
      { email: 'dana@example.com' },
      { authorization: `Bearer ${unscoped.token}` },
    );
    expect(byToken.statusCode, byToken.body).toBe(200);
    expect(byToken.json().user).toMatchObject({ displayName: 'Dana', email: 'dana@example.com' });
    const revoked = await baton.request('DELETE', `/api/v1/tokens/${scoped.id}`, undefined, session);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await baton.request('GET', '/api/v1/whoami', undefined, asScoped)).statusCode).toBe(401);
    const password = await baton.request(
      'PATCH',
      '/api/v1/users/dana',
      { password: 'a brand new password', currentPassword: PASSWORD },
      { authorization: `Bearer ${unscoped.token}` },
    );
    expect(password.statusCode, password.body).toBe(200);
  });

  it('changes your own password only with the current one', async () => {
    const without = await baton.request(
      'PATCH',
      '/api/v1/users/alice',
      { password: 'a brand new password' },
      asAlice(),
    );
    expect(without.statusCode).toBe(400);
    expect(without.json().error.problems[0].path).toBe('body.currentPassword');
    const wrong = await baton.request(
      'PATCH',
      '/api/v1/users/alice',
      { password: 'a brand new password', currentPassword: 'not the password' },
      asAlice(),
    );
    expect(wrong.statusCode).toBe(403);
    const right = await baton.request(
      'PATCH',
      '/api/v1/users/alice',
      { password: 'a brand new password', currentPassword: PASSWORD },
      asAlice(),
    );
    expect(right.statusCode, right.body).toBe(200);
    const signIn = (password: string) =>
      baton.http.inject({ method: 'POST', url: '/api/v1/sign-in', payload: { name: 'alice', password } });
    expect((await signIn(PASSWORD)).statusCode).toBe(401);
    expect((await signIn('a brand new password')).statusCode).toBe(200);
  });

  it('counts wrong current passwords like failed sign-ins', async () => {
    const change = (currentPassword: string) =>
      baton.request(
        'PATCH',
        '/api/v1/users/alice',
        { password: 'yet another new password', currentPassword },
        asAlice(),
      );
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await change(`guess number ${attempt}`)).statusCode).toBe(403);
    }
    // Locked now, whatever is tried, even the right password.
    const locked = await change('a brand new password');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps disabling and promoting for administrators, and other users out of reach', async () => {
    expect((await baton.request('PATCH', '/api/v1/users/alice', { admin: true }, asAlice())).statusCode).toBe(
      403,
    );
    expect(
      (await baton.request('PATCH', '/api/v1/users/bob', { displayName: 'x' }, asAlice())).statusCode,
    ).toBe(403);
    expect((await baton.request('PATCH', '/api/v1/users/admin', { disabled: true })).statusCode).toBe(400);
    expect((await baton.request('PATCH', '/api/v1/users/nobody', { disabled: true })).statusCode).toBe(404);
    const reset = await baton.request('PATCH', '/api/v1/users/bob', { password: 'reset by the admin' });
    expect(reset.statusCode).toBe(200);
    const audit = await baton.db
      .selectFrom('audit_events')
      .select('summary')
      .where('action', '=', 'user.update')
      .where('target', '=', 'user/bob')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.summary)).toContain('password');
    expect(JSON.stringify(audit.summary)).not.toContain('reset by the admin');
  });
});
