/**
 * Sign-in through an OpenID Connect provider: the authorization code flow with PKCE, state and
 * nonce, with Baton as the relying party (openid-client). The provider's group claim sets the
 * user's OIDC team memberships at every sign-in.
 *
 * A provider identity is linked to a Baton user by (issuer, subject), never by name: a provider
 * user called "admin" does not become Baton's admin. The first sign-in creates the user, named
 * from `preferred_username`; if that name already belongs to someone else, sign-in is refused.
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { NAME_PATTERN } from '../../platform/documents/fields.js';
import type { OidcConfig } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import {
  ConflictError,
  coerceError,
  ForbiddenError,
  InputError,
  UnauthenticatedError,
} from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import { appendAudit } from '../audit/trail.js';
import type { AccessControl } from '../authorize.js';
import { replaceOidcMemberships } from '../teams/store.js';
import type { User } from '../users/model.js';
import { findUser, findUserByOidcIdentity, insertUserRecord } from '../users/store.js';
import { startSession } from './service.js';
import type { NewSession } from './sessions.js';
import { claimOidcLogin, deleteOidcLoginsBefore, insertOidcLogin } from './store.js';

/** How long the provider may take between our redirect and its callback. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/api/v1/oidc/callback';

/** A Baton user name from a provider's username: lowercase, digits and dashes, at most 63. */
export function userNameFromClaim(preferred: string | undefined, subject: string): string {
  const cleaned = (preferred ?? '')
    .toLowerCase()
    .replace(/@.*$/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return cleaned || `user-${createHash('sha256').update(subject).digest('hex').slice(0, 10)}`;
}

/** The teams a user's provider groups put them in: mapped ones, else groups named like a team. */
export function teamsFromGroups(groups: unknown, teamMap: Readonly<Record<string, string>>): string[] {
  const list = Array.isArray(groups) ? groups : typeof groups === 'string' ? [groups] : [];
  const teams = new Set<string>();
  for (const group of list) {
    if (typeof group !== 'string') continue;
    const mapped = Object.hasOwn(teamMap, group) ? teamMap[group] : group;
    if (mapped && mapped.length <= 63 && NAME_PATTERN.test(mapped)) teams.add(mapped);
  }
  return [...teams].sort();
}

/**
 * A path on this site to return to after sign-in, or '/'. Only same-site relative paths: an
 * absolute or protocol-relative URL (`//evil.example`, `/\evil.example`) would be an open redirect.
 */
export function safeReturnTo(value: string | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 2000) return '/';
  return value;
}

export interface OidcCallback {
  user: User;
  session: NewSession;
  returnTo: string;
  teams: string[];
}

export class OidcSignIn {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(
    private readonly db: Db,
    private readonly access: Pick<AccessControl, 'changed'>,
    private readonly config: OidcConfig,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {}

  get redirectUri(): string {
    return `${this.publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
  }

  /** Starts a sign-in: remembers state, PKCE verifier and nonce, and returns the provider URL. */
  async begin(returnTo: string | undefined, now = Date.now()): Promise<{ url: string; state: string }> {
    const configuration = await this.configuration();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    await deleteOidcLoginsBefore(this.db, now - OIDC_LOGIN_TTL_MS);
    await insertOidcLogin(this.db, {
      state,
      code_verifier: verifier,
      nonce,
      return_to: safeReturnTo(returnTo),
      created_at: now,
    });
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: `openid profile email ${this.config.groupsClaim}`,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes a sign-in from the provider's redirect. `query` is the callback's query string;
   * `browserState` the state this browser was given at the start (login CSRF: a callback
   * carrying someone else's code and state is refused).
   */
  async complete(
    query: string,
    browserState: string | undefined,
    request: { address: string; userAgent?: string | undefined; replacing?: string | undefined },
    now = Date.now(),
  ): Promise<OidcCallback> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    const providerError = params.get('error');
    if (providerError) {
      throw new UnauthenticatedError(
        `the identity provider refused the sign-in: ${providerError}${params.get('error_description') ? ` (${params.get('error_description')})` : ''}`,
      );
    }
    if (!state || state !== browserState) {
      await this.audit('unknown', request.address, 'state mismatch', now);
      throw new InputError(
        'this sign-in was not started in this browser, or was tampered with: start again',
        [{ path: 'querystring.state', message: 'does not match the sign-in this browser started' }],
      );
    }
    // Deleting claims the attempt: a state is good for one callback only.
    const login = await claimOidcLogin(this.db, state);
    if (!login || Number(login.created_at) < now - OIDC_LOGIN_TTL_MS) {
      await this.audit('unknown', request.address, 'unknown or expired state', now);
      throw new InputError('this sign-in attempt is unknown, used or expired: start again', [
        { path: 'querystring.state', message: 'unknown, used or expired' },
      ]);
    }

    const configuration = await this.configuration();
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(
        configuration,
        new URL(`${this.redirectUri}?${query}`),
        {
          pkceCodeVerifier: login.code_verifier,
          expectedState: state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        },
      );
      const idClaims = tokens.claims()!;
      claims = { ...idClaims };
      // Profile and group claims often come from userinfo only (the ID token stays small).
      if (configuration.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      }
    } catch (error) {
      const message = coerceError(error).message;
      this.logger.warn({ err: error }, 'OIDC code exchange failed');
      await this.audit('unknown', request.address, `code exchange failed: ${message}`, now);
      throw new UnauthenticatedError(`sign-in with the identity provider failed: ${message}`, {
        cause: error,
      });
    }

    const issuer = String(claims.iss);
    const subject = String(claims.sub);
    const user = await this.findOrCreateUser(issuer, subject, claims, request.address, now);
    if (user.disabledAt !== null) {
      await this.audit(user.name, request.address, 'disabled', now);
      throw new ForbiddenError('forbidden: this account is disabled; ask an administrator');
    }
    const teams = teamsFromGroups(claims[this.config.groupsClaim], this.config.teamMap);
    await replaceOidcMemberships(this.db, user.name, teams);
    // Decisions must see the new memberships before the user's first request.
    await this.access.changed();
    const session = await startSession(this.db, user, request, 'oidc', now);
    return { user, session, returnTo: safeReturnTo(login.return_to ?? undefined), teams };
  }

  private async findOrCreateUser(
    issuer: string,
    subject: string,
    claims: Record<string, unknown>,
    address: string,
    now: number,
  ): Promise<User> {
    const linked = await findUserByOidcIdentity(this.db, issuer, subject);
    if (linked) return linked;
    const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    const name = userNameFromClaim(preferred ?? email, subject);
    const created = await this.db.transaction().execute(async (trx) => {
      if (await findUser(trx, name)) return undefined;
      const user = await insertUserRecord(
        trx,
        {
          name,
          kind: 'user',
          isAdmin: false,
          displayName: typeof claims.name === 'string' ? claims.name.slice(0, 200) : undefined,
          email: email?.slice(0, 320),
          oidc: { issuer, subject },
        },
        now,
      );
      await appendAudit(
        trx,
        {
          actor: name,
          address,
          action: 'user.create',
          target: `user/${name}`,
          summary: { via: 'oidc', issuer },
        },
        now,
      );
      return user;
    });
    if (!created) {
      await this.audit(name, address, 'name taken by another account', now);
      throw new ConflictError(
        `the name "${name}" already belongs to a Baton account that is not linked to this identity provider account; an administrator must resolve it`,
      );
    }
    return created;
  }

  private audit(actor: string, address: string, reason: string, now: number): Promise<unknown> {
    return appendAudit(
      this.db,
      {
        actor,
        address,
        action: 'sign-in.failure',
        target: `user/${actor}`,
        summary: { method: 'oidc', reason: reason.slice(0, 300) },
      },
      now,
    );
  }

  /** Provider metadata, fetched once (and again after a failure). */
  private configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw new UnauthenticatedError(
        `cannot reach the identity provider at ${this.config.issuer}: ${coerceError(error).message}`,
        { cause: error },
      );
    });
    return this.discovered;
  }

  private discover(): Promise<client.Configuration> {
    const issuer = new URL(this.config.issuer);
    // Plain http only to a provider on this machine (tests, development); never over a network.
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
    return client.discovery(
      issuer,
      this.config.clientId,
      undefined,
      this.config.clientSecret ? client.ClientSecretPost(this.config.clientSecret) : client.None(),
      loopback && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  }
}
