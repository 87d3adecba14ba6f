/**
 * OIDC sign-in end to end against a real provider (the `oidc-provider` package) started here on
 * 127.0.0.1: Baton redirects there, the test signs in at the provider's interaction endpoint as
 * a browser would (following redirects and keeping cookies), the provider redirects back, and
 * Baton creates the user, sets team memberships from the group claim and starts a session.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { safeReturnTo, teamsFromGroups, userNameFromClaim } from './oidc.js';
import { SESSION_COOKIE } from './sessions.js';

const PUBLIC_URL = 'http://baton.test:8080';
const CLIENT_ID = 'baton';
const CLIENT_SECRET = 'a client secret for tests only';

interface TestAccount {
  preferred_username: string;
  name: string;
  email: string;
  groups: string[];
}

/** The provider's accounts by subject; tests change them between sign-ins. */
const accounts = new Map<string, TestAccount>();
/** Which account the next interaction signs in as. */
let signInAs = 'sub-carol';

async function startProvider(): Promise<{ issuer: string; close: () => Promise<void> }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${PUBLIC_URL}/api/v1/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test cookie signing key'] },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, ...account }) } : undefined;
    },
  });
  const callback = provider.callback();
  // A tiny interaction: sign in as `signInAs` and consent to whatever was asked.
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: signInAs } });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: CLIENT_ID });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        {
          mergeWithLastSubmission: true,
        },
      );
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return { issuer, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A browser's cookie jar, enough for one host. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

describe('OIDC naming rules', () => {
  it('derives a valid user name from the provider username', () => {
    expect(userNameFromClaim('Carol.Ops', 's')).toBe('carol-ops');
    expect(userNameFromClaim('dave@example.com', 's')).toBe('dave');
    expect(userNameFromClaim('--Ünïcode__name--', 's')).toBe('n-code-name');
    expect(userNameFromClaim(undefined, 'subject-1')).toMatch(/^user-[0-9a-f]{10}$/);
    expect(userNameFromClaim('x'.repeat(100), 's')).toHaveLength(63);
  });

  it('maps groups to teams: the map first, then groups named like a team', () => {
    expect(teamsFromGroups(['ops-admins', 'payments', 'Has Spaces', 42], { 'ops-admins': 'sre' })).toEqual([
      'payments',
      'sre',
    ]);
    expect(teamsFromGroups('single', {})).toEqual(['single']);
    expect(teamsFromGroups(undefined, {})).toEqual([]);
  });

  it('returns only to paths on this site', () => {
    expect(safeReturnTo('/jobs/ops?x=1')).toBe('/jobs/ops?x=1');
    for (const unsafe of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'jobs',
      '/a\nb',
      undefined,
    ]) {
      expect(safeReturnTo(unsafe)).toBe('/');
    }
  });
});

describe.each(DIALECTS)('OIDC sign-in against a real provider on %s', (dialect) => {
  let baton: TestBaton;
  let provider: { issuer: string; close: () => Promise<void> };

  /** Starts at Baton's login route and follows the provider's redirects like a browser. */
  async function providerRoundTrip(returnTo: string): Promise<{ callback: URL; batonCookies: CookieJar }> {
    const batonCookies = new CookieJar();
    const start = await baton.http.inject({
      method: 'GET',
      url: `/api/v1/oidc/login?returnTo=${encodeURIComponent(returnTo)}`,
    });
    expect(start.statusCode, start.body).toBe(302);
    batonCookies.take([start.headers['set-cookie'] ?? []].flat());
    const providerCookies = new CookieJar();
    let location = new URL(String(start.headers.location));
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    for (let hop = 0; hop < 10; hop++) {
      if (location.href.startsWith(PUBLIC_URL)) return { callback: location, batonCookies };
      const response = await fetch(location, {
        redirect: 'manual',
        headers: { cookie: providerCookies.header() },
      });
      providerCookies.take(response.headers.getSetCookie());
      const next = response.headers.get('location');
      if (!next)
        throw new Error(`provider answered ${response.status} without a redirect: ${await response.text()}`);
      location = new URL(next, location);
    }
    throw new Error('too many redirects');
  }

  const callback = (url: URL, cookies: CookieJar) =>
    baton.http.inject({
      method: 'GET',
      url: `${url.pathname}${url.search}`,
      headers: { cookie: cookies.header() },
    });

  beforeAll(async () => {
    provider = await startProvider();
    baton = await startTestBaton(dialect, {
      publicUrl: PUBLIC_URL,
      oidc: {
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        label: 'Test IdP',
        groupsClaim: 'groups',
        teamMap: { 'ops-admins': 'sre' },
      },
    });
    accounts.set('sub-carol', {
      preferred_username: 'Carol.Ops',
      name: 'Carol Ops',
      email: 'carol@example.com',
      groups: ['ops-admins', 'payments', 'Not A Team!'],
    });
  });
  afterAll(async () => {
    await baton?.stop();
    await provider?.close();
  });

  it('offers the provider on the sign-in page under its configured label', async () => {
    const response = await baton.http.inject({ method: 'GET', url: '/api/v1/sign-in/methods' });
    expect(response.json()).toEqual({ password: true, oidc: { label: 'Test IdP' } });
  });

  it('signs a new user in, maps groups to teams, and returns to the page asked for', async () => {
    signInAs = 'sub-carol';
    // A membership from a Team document is not the provider's to change.
    await baton.db
      .insertInto('team_members')
      .values({ team: 'docs', user_name: 'carol-ops', role: 'maintainer', origin: 'document' })
      .execute();
    const { callback: url, batonCookies } = await providerRoundTrip('/executions?mine=1');
    expect(url.searchParams.get('code')).toBeTruthy();
    const landed = await callback(url, batonCookies);
    expect(landed.statusCode, landed.body).toBe(302);
    expect(landed.headers.location).toBe('/executions?mine=1');
    batonCookies.take([landed.headers['set-cookie'] ?? []].flat());
    const session = batonCookies.get(SESSION_COOKIE);
    expect(session).toMatch(/^[\w-]{43}$/);

    const whoami = await baton.http.inject({
      method: 'GET',
      url: '/api/v1/whoami',
      headers: { cookie: `${SESSION_COOKIE}=${session}` },
    });
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json().user).toEqual({ name: 'carol-ops', isAdmin: false });
    const user = await baton.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', 'carol-ops')
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      oidc_issuer: provider.issuer,
      oidc_subject: 'sub-carol',
      display_name: 'Carol Ops',
      email: 'carol@example.com',
      password_hash: null,
    });

    const members = await baton.db
      .selectFrom('team_members')
      .select(['team', 'role', 'origin'])
      .where('user_name', '=', 'carol-ops')
      .orderBy('team')
      .execute();
    expect(members).toEqual([
      { team: 'docs', role: 'maintainer', origin: 'document' },
      { team: 'payments', role: 'member', origin: 'oidc' },
      { team: 'sre', role: 'member', origin: 'oidc' },
    ]);
    const audit = await baton.db
      .selectFrom('audit_events')
      .select(['action', 'target'])
      .where('actor', '=', 'carol-ops')
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { action: 'user.create', target: 'user/carol-ops' },
      { action: 'sign-in.success', target: 'user/carol-ops' },
    ]);
  });

  it('replaces OIDC memberships at the next sign-in and keeps the same user', async () => {
    signInAs = 'sub-carol';
    accounts.get('sub-carol')!.groups = ['payments'];
    accounts.get('sub-carol')!.preferred_username = 'renamed-at-provider';
    const { callback: url, batonCookies } = await providerRoundTrip('/');
    expect((await callback(url, batonCookies)).statusCode).toBe(302);
    const members = await baton.db
      .selectFrom('team_members')
      .select(['team', 'origin'])
      .where('user_name', '=', 'carol-ops')
      .orderBy('team')
      .execute();
    expect(members).toEqual([
      { team: 'docs', origin: 'document' },
      { team: 'payments', origin: 'oidc' },
    ]);
    expect(
      await baton.db.selectFrom('users').select('name').where('name', '=', 'renamed-at-provider').execute(),
    ).toEqual([]);
  });

  it('refuses a tampered or replayed state, and a callback this browser did not start', async () => {
    signInAs = 'sub-carol';
    const { callback: url, batonCookies } = await providerRoundTrip('/');
    const tampered = new URL(url);
    tampered.searchParams.set('state', 'made-up-state');
    const mismatched = await callback(tampered, batonCookies);
    expect(mismatched.statusCode).toBe(400);
    expect(mismatched.json().error.problems[0].path).toBe('querystring.state');
    // Even with a cookie agreeing with it, a state Baton never issued is refused.
    const forged = await callback(
      tampered,
      (() => {
        const jar = new CookieJar();
        jar.take(['baton_oidc_state=made-up-state']);
        return jar;
      })(),
    );
    expect(forged.statusCode).toBe(400);
    expect(forged.headers['set-cookie']).toBeUndefined();
    // Another browser (no state cookie) cannot complete this sign-in: login CSRF.
    expect((await callback(url, new CookieJar())).statusCode).toBe(400);

    const good = await callback(url, batonCookies);
    expect(good.statusCode, good.body).toBe(302);
    // The same callback again: the state was used up.
    expect((await callback(url, batonCookies)).statusCode).toBe(400);
  });

  it('never redirects off-site after sign-in', async () => {
    const { callback: url, batonCookies } = await providerRoundTrip('//evil.example/phish');
    const landed = await callback(url, batonCookies);
    expect(landed.statusCode).toBe(302);
    expect(landed.headers.location).toBe('/');
  });

  it('does not take over a local account that has the same name', async () => {
    await baton.request('POST', '/api/v1/users', { name: 'dave', password: 'dave has a long password' });
    accounts.set('sub-dave', {
      preferred_username: 'dave',
      name: 'Mallory',
      email: 'm@example.com',
      groups: ['sre'],
    });
    signInAs = 'sub-dave';
    const { callback: url, batonCookies } = await providerRoundTrip('/');
    const refused = await callback(url, batonCookies);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/not linked/);
    expect(refused.headers['set-cookie']).toBeUndefined();
    const dave = await baton.db
      .selectFrom('users')
      .select(['oidc_subject'])
      .where('name', '=', 'dave')
      .executeTakeFirstOrThrow();
    expect(dave.oidc_subject).toBeNull();
    expect(
      await baton.db.selectFrom('team_members').selectAll().where('user_name', '=', 'dave').execute(),
    ).toEqual([]);
  });
});
