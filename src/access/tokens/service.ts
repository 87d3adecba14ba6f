/**
 * Issuing, listing and revoking API tokens. A token is shown once, at creation; afterwards only
 * its hash is stored. Every request checks the token against the database, so a revocation
 * or an expiry takes effect on the very next request.
 */
import type { Db } from '../../platform/db/database.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors.js';
import { appendAudit, auditActor } from '../audit/trail.js';
import type { AccessControl } from '../authorize.js';
import { resources, type Principal, type TokenScope } from '../model.js';
import { findUserByName, getToken, insertToken, listTokens, revokeToken } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';
import { expiryFor, formatScope, type ApiToken } from './model.js';

export interface TokenRequest {
  name: string;
  /** Whose token: the caller's own when absent. */
  user?: string | undefined;
  /** `30d`, `12h`, `never` (service accounts only); 90 days when absent. */
  expires?: string | undefined;
  /** Absent: the token may do whatever its owner may. */
  scopes?: readonly TokenScope[] | undefined;
}

export class TokenService {
  constructor(
    private readonly db: Db,
    private readonly access: Pick<AccessControl, 'authorize' | 'require'>,
  ) {}

  /** Creates a token; the value is in the answer and nowhere else, ever. */
  async create(
    caller: Principal,
    request: TokenRequest,
    now = Date.now(),
  ): Promise<{ value: string; token: ApiToken }> {
    // A scoped token minting tokens could only be allowed with a proof that the new scopes are
    // inside its own, and glob patterns make that proof subtle; refusing is simple and safe.
    if (caller.scopes) {
      throw new ForbiddenError(
        'forbidden: a scoped token cannot create tokens; use an unscoped token or sign in',
      );
    }
    const ownerName = request.user ?? caller.name;
    // Tokens for someone else, and for service accounts (whose tokens admins manage), need
    // admin on system. Checked before looking the owner up, so non-admins learn no names.
    if (ownerName !== caller.name || caller.kind === 'service') {
      this.access.require(caller, 'admin', resources.system);
    }
    const owner = await findUserByName(this.db, ownerName);
    if (!owner) throw new NotFoundError(`no user or service account named "${ownerName}"`);
    if (owner.disabled) throw new ConflictError(`${ownerName} is disabled; enable it before issuing tokens`);
    const expiresAt = expiryFor(request.expires, owner.kind, now);
    const scopes = request.scopes && request.scopes.length > 0 ? [...request.scopes] : null;
    const value = generateToken();
    const id = await this.db.transaction().execute(async (trx) => {
      const tokenId = await insertToken(trx, {
        userId: owner.id,
        name: request.name,
        prefix: tokenPrefix(value),
        hash: hashToken(value),
        now,
        expiresAt,
        scopes,
        createdBy: caller.name,
      });
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'token.create',
          target: `token/${tokenId}`,
          summary: {
            owner: owner.name,
            name: request.name,
            scopes: scopes ? scopes.map(formatScope) : null,
            expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
          },
        },
        now,
      );
      return tokenId;
    });
    return { value, token: (await getToken(this.db, id))! };
  }

  /**
   * The caller's own tokens; admins may name another owner or ask for all. Revoked and expired
   * tokens are listed too, so people can see what happened to a token.
   */
  async list(caller: Principal, filter: { user?: string | undefined; all?: boolean }): Promise<ApiToken[]> {
    if (filter.all) {
      this.access.require(caller, 'admin', resources.system);
      return listTokens(this.db, {});
    }
    const owner = filter.user ?? caller.name;
    if (owner !== caller.name) this.access.require(caller, 'admin', resources.system);
    return listTokens(this.db, { owner });
  }

  /**
   * Revokes a token of the caller's, or any token for an admin. Revoking a revoked token
   * changes nothing and answers the same. A token the caller may not see is "not found", so
   * ids cannot be probed.
   */
  async revoke(caller: Principal, id: number, now = Date.now()): Promise<ApiToken> {
    const token = await getToken(this.db, id);
    const visible =
      token !== undefined &&
      (token.owner === caller.name || this.access.authorize(caller, 'admin', resources.system).allowed);
    if (!token || !visible) throw new NotFoundError(`no token ${id}`);
    await this.db.transaction().execute(async (trx) => {
      if (!(await revokeToken(trx, id, caller.name, now))) return;
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'token.revoke',
          target: `token/${id}`,
          summary: { owner: token.owner, name: token.name },
        },
        now,
      );
    });
    return (await getToken(this.db, id))!;
  }
}
