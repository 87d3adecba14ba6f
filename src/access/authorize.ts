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
import {
  EMPTY_SNAPSHOT,
  evaluate,
  subjectsOf,
  type AccessSnapshot,
  type Membership,
} from './policies/engine.js';
import type { PolicyRule } from './policies/model.js';
import type { JobSpec } from '../automation/jobs/model.js';
import type { Action, Decision, Principal, Resource } from './model.js';

/** JSON columns come back as text from SQLite and as values from PostgreSQL. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

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
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'name', 'kind', 'is_admin'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!user) throw new NotFoundError(`no user or service account named "${name}"`);
    await this.refresh();
    const principal: Principal = {
      kind: user.kind === 'service' ? 'service' : 'user',
      id: user.id,
      name: user.name,
      isAdmin: user.is_admin === 1,
      via: 'internal',
    };
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
    const [policies, members, owners, services, jobs] = await Promise.all([
      this.db.selectFrom('policies').select(['name', 'spec']).orderBy('name').execute(),
      this.db.selectFrom('team_members').select(['team', 'user_name', 'role']).execute(),
      this.db
        .selectFrom('projects')
        .select(['name', 'owner_team'])
        .where('owner_team', 'is not', null)
        .execute(),
      this.db.selectFrom('services').select(['name', 'owner_team']).execute(),
      this.db.selectFrom('jobs').select(['project', 'name', 'labels', 'spec']).execute(),
    ]);
    const jobLabels = new Map<string, Record<string, string>>();
    const jobApprovers = new Map<string, string[]>();
    for (const job of jobs) {
      const path = `job/${job.project}/${job.name}`;
      const labels = parseJson(job.labels) as Record<string, string>;
      if (Object.keys(labels).length > 0) jobLabels.set(path, labels);
      const approvers = (parseJson(job.spec) as JobSpec).approval?.approvers;
      if (approvers !== undefined) jobApprovers.set(path, [approvers].flat());
    }
    const memberships = new Map<string, Membership[]>();
    for (const member of members) {
      const list = memberships.get(member.user_name) ?? [];
      const role = member.role === 'maintainer' ? 'maintainer' : 'member';
      const existing = list.find((entry) => entry.team === member.team);
      if (!existing) list.push({ team: member.team, role });
      else if (role === 'maintainer') existing.role = role;
      memberships.set(member.user_name, list);
    }
    this.snapshot = {
      policies: policies.map((policy) => ({
        name: policy.name,
        rules: (
          (typeof policy.spec === 'string' ? JSON.parse(policy.spec) : policy.spec) as { rules: PolicyRule[] }
        ).rules,
      })),
      memberships,
      projectOwners: new Map(owners.map((owner) => [owner.name, owner.owner_team!])),
      serviceOwners: new Map(services.map((service) => [service.name, service.owner_team])),
      jobLabels,
      jobApprovers,
    };
    this.loadedAt = startedAt;
  }
}
