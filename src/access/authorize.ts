/**
 * The one authorization check. Every HTTP route, every CLI command (through the API) and every
 * document in an apply passes through `AccessControl.authorize`; nothing else decides access.
 *
 * Decisions are synchronous and come from an in-memory snapshot of policies, team memberships
 * and project owners. The snapshot is reloaded when any of them changes (the `access` event,
 * which also reaches other servers over PostgreSQL) and, as a backstop for a lost event, when it
 * is older than `maxAgeMs`. Tokens, sessions and disabled users are not part of it: they are
 * checked against the database on every request, so a revocation works at once.
 */
import type { Db } from '../platform/db/database.js';
import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import type { Logger } from '../platform/logging.js';
import { EMPTY_SNAPSHOT, evaluate, subjectsOf, type AccessSnapshot } from './policies/engine.js';
import type { Action, Decision, Principal, Resource } from './model.js';
import { findInternalPrincipal, loadAccessSnapshot } from './store.js';

export class AccessControl {
  private snapshot: AccessSnapshot = EMPTY_SNAPSHOT;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly maxAgeMs = 30_000,
  ) {
    this.unsubscribe = events.subscribe('access', () => void this.refresh());
  }

  /** Decides whether a principal may perform an action on a resource, and says why. */
  authorize(principal: Principal, action: Action, resource: Resource): Decision {
    if (Date.now() - this.loadedAt > this.maxAgeMs) void this.refresh();
    return evaluate(this.snapshot, principal, action, resource);
  }

  /** The subjects a principal answers to (`user/alice`, `team/sre`, …), as policies and approvers name them. */
  subjectsOf(principal: Pick<Principal, 'kind' | 'name'>): string[] {
    if (Date.now() - this.loadedAt > this.maxAgeMs) void this.refresh();
    return subjectsOf(this.snapshot, principal);
  }

  /** Throws ForbiddenError unless the principal may perform the action. */
  require(principal: Principal, action: Action, resource: Resource): void {
    const decision = this.authorize(principal, action, resource);
    if (!decision.allowed) throw new ForbiddenError(`forbidden: ${decision.reason}`);
  }

  /**
   * Throws NotFoundError(`notFound`) when the principal may not even view the resource, the very
   * answer for one that does not exist, so ids and names cannot be probed for hidden projects and
   * jobs; throws ForbiddenError when they may view it but not perform the action.
   */
  requireVisible(principal: Principal, action: Action, resource: Resource, notFound: string): void {
    if (!this.authorize(principal, 'view', resource).allowed) throw new NotFoundError(notFound);
    if (action !== 'view') this.require(principal, action, resource);
  }

  /** The decision for a user or service account by name (`baton policy test --as`). */
  async explain(name: string, action: Action, resource: Resource): Promise<Decision> {
    const principal = await findInternalPrincipal(this.db, name);
    if (!principal) throw new NotFoundError(`no user or service account named "${name}"`);
    await this.refresh();
    return evaluate(this.snapshot, principal, action, resource);
  }

  /** Called after a change to teams, policies or owners: reloads here and tells other processes. */
  async changed(): Promise<void> {
    this.events.publish('access');
    await this.refresh();
  }

  /** Reloads the snapshot; concurrent callers share one load. */
  refresh(): Promise<void> {
    this.loading ??= this.load()
      .catch((error: unknown) => this.logger.error({ err: error }, 'reloading policies failed'))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  close(): void {
    this.unsubscribe();
  }

  private async load(): Promise<void> {
    const startedAt = Date.now();
    this.snapshot = await loadAccessSnapshot(this.db);
    this.loadedAt = startedAt;
  }
}
