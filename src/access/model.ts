/** Who is asking, what they want to do, and to what. */
import type { Action } from '../contract/policies.js';

// The actions are part of the API (policy test, token scopes), so their list is the contract's.
export { ACTIONS, type Action } from '../contract/policies.js';

/** A token's scope: the token may be used only for these actions on resources matching `resource`. */
export interface TokenScope {
  action: Action;
  /** A resource pattern as in policies (`job/ops/*`, `project/ops`); absent: any resource. */
  resource?: string;
}

/** The caller of an API route or CLI command, once authenticated. */
export interface Principal {
  /** 'user' for people, 'service' for service accounts. */
  kind: 'user' | 'service';
  id: number;
  name: string;
  isAdmin: boolean;
  /** How the caller proved who they are. */
  via: 'token' | 'session' | 'internal';
  /** Set when a scoped token was used: every decision is also limited to these. */
  scopes?: readonly TokenScope[] | undefined;
  /** Where the request came from, for the audit trail. */
  address?: string | undefined;
}

/** The policy subject naming a principal: `user/alice` or `serviceaccount/ci`. */
export function subjectOf(principal: Pick<Principal, 'kind' | 'name'>): string {
  return `${principal.kind === 'service' ? 'serviceaccount' : 'user'}/${principal.name}`;
}

/**
 * Resources are named as paths: `project/ops`, `job/ops/disk-report`, `secret/db/prod/password`,
 * `team/payments`, `policy/NAME`, `workergroup/NAME`, `schedule/ops/nightly`, `node/web-1`,
 * `nodesource/NAME`, `errorbudgetpolicy/NAME`, `system`. `override-budget` on `service/NAME` lets a
 * person let a change through the service's error-budget gate. A job also carries its labels, for label selectors.
 */
export type Resource = string | { path: string; labels?: Readonly<Record<string, string>> };

export function resourcePath(resource: Resource): string {
  return typeof resource === 'string' ? resource : resource.path;
}

export const resources = {
  system: 'system' as Resource,
  project: (project: string): Resource => `project/${project}`,
  job: (project: string, name: string, labels?: Readonly<Record<string, string>>): Resource =>
    labels ? { path: `job/${project}/${name}`, labels } : `job/${project}/${name}`,
  secret: (path: string): Resource => `secret/${path}`,
  team: (name: string): Resource => `team/${name}`,
  policy: (name: string): Resource => `policy/${name}`,
  service: (name: string): Resource => `service/${name}`,
  /** An ErrorBudgetPolicy document (editing it needs edit here and on each service it names). */
  errorBudgetPolicy: (name: string): Resource => `errorbudgetpolicy/${name}`,
  workerGroup: (name: string): Resource => `workergroup/${name}`,
  /** A schedule; its project contains it, like a job. */
  schedule: (project: string, name: string): Resource => `schedule/${project}/${name}`,
  /** An inbound webhook; its project contains it, like a job. */
  hook: (project: string, name: string): Resource => `hook/${project}/${name}`,
  /** A rule that fires jobs on events; its project contains it, like a job. */
  rule: (project: string, name: string): Resource => `rule/${project}/${name}`,
  /** A machine steps reach over SSH; running a job on it needs `run` on it. */
  node: (name: string): Resource => `node/${name}`,
  /** A file or URL listing nodes. */
  nodeSource: (name: string): Resource => `nodesource/${name}`,
};

/** A rule that took part in a decision, for explanations. */
export interface DecidingRule {
  /** `policy/NAME#N` (rule N, counting from 1), `ownership of project/P`, or `administrator`. */
  source: string;
  effect: 'allow' | 'deny';
  subject: string;
  action: string;
  resource: string;
}

export interface Decision {
  allowed: boolean;
  /** Why, in one sentence, for error messages and the audit trail. */
  reason: string;
  /** The rules that decided: the denying ones when denied, the allowing ones when allowed. */
  rules: DecidingRule[];
}

// Platform's apply and HTTP app speak of callers, actions and resources without importing access
// (it stands below); these are the words they mean (see src/platform/authorization.ts).
declare module '../platform/authorization.js' {
  interface AuthorizationWords {
    caller: Principal;
    action: Action;
    resource: Resource;
  }
}
