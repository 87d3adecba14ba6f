/**
 * Deciding: pure functions from a snapshot of policies, team memberships and project owners to
 * an allow or deny with the rules that decided. No I/O here, so every case is tested directly.
 */
import {
  resourcePath,
  subjectOf,
  type Action,
  type DecidingRule,
  type Decision,
  type Principal,
  type Resource,
} from '../model.js';
import { globMatches as matchPathGlob, PATH_GLOB } from '../../contract/glob.js';
import type { LabelSelector, PolicyRule } from './model.js';

export interface Membership {
  team: string;
  role: 'member' | 'maintainer';
}

/** Everything a decision depends on besides the caller and the request. */
export interface AccessSnapshot {
  policies: readonly { name: string; rules: readonly PolicyRule[] }[];
  /** Teams of each user or service account, by name. */
  memberships: ReadonlyMap<string, readonly Membership[]>;
  /** The team owning each project that has an owner. */
  projectOwners: ReadonlyMap<string, string>;
  /** The team owning each catalog service. */
  serviceOwners: ReadonlyMap<string, string>;
  /** Labels of each job (`job/P/NAME`), so a check naming only the path meets label selectors. */
  jobLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The approvers a job names (`spec.approval.approvers`), by job path. */
  jobApprovers: ReadonlyMap<string, readonly string[]>;
}

export const EMPTY_SNAPSHOT: AccessSnapshot = {
  policies: [],
  memberships: new Map(),
  projectOwners: new Map(),
  serviceOwners: new Map(),
  jobLabels: new Map(),
  jobApprovers: new Map(),
};

/** A rule with the name of where it came from. */
interface SourcedRule extends PolicyRule {
  source: string;
}

/** `*` matches within one path segment, `**` across segments; linear time (see contract/glob.ts). */
export function globMatches(pattern: string, text: string): boolean {
  return matchPathGlob(pattern, text, PATH_GLOB);
}

/** Whether a resource pattern of a rule or token scope covers a resource. */
export function resourceMatches(pattern: string | LabelSelector, resource: Resource): boolean {
  const path = resourcePath(resource);
  if (typeof pattern !== 'string') {
    if (!path.startsWith('job/') || !globMatches(`job/${pattern.job}`, path)) return false;
    const labels = typeof resource === 'string' ? {} : (resource.labels ?? {});
    return Object.entries(pattern.labels).every(([key, value]) => labels[key] === value);
  }
  if (pattern === '*' || globMatches(pattern, path)) return true;
  // A project contains its jobs, schedules, hooks and rules: `project/ops` covers `job/ops/restart`.
  if (!pattern.startsWith('project/')) return false;
  const contained = /^(?:job|schedule|hook|rule)\/([^/]+)\//.exec(path);
  return contained !== null && globMatches(pattern, `project/${contained[1]}`);
}

/** An allow of `granted` also allows `requested`: admin includes all, every action includes view. */
function allowCovers(granted: Action | '*', requested: Action): boolean {
  return granted === '*' || granted === 'admin' || granted === requested || requested === 'view';
}

/** A deny of `denied` also denies `requested`: denying view denies everything, since nothing else works unseen. */
function denyCovers(denied: Action | '*', requested: Action): boolean {
  return denied === '*' || denied === requested || denied === 'view';
}

/** The subjects a principal answers to: itself, its teams, and the teams it maintains. */
export function subjectsOf(snapshot: AccessSnapshot, principal: Pick<Principal, 'kind' | 'name'>): string[] {
  const subjects = [subjectOf(principal)];
  for (const { team, role } of snapshot.memberships.get(principal.name) ?? []) {
    subjects.push(`team/${team}`);
    if (role === 'maintainer') subjects.push(`team/${team}#maintainers`);
  }
  return subjects;
}

/**
 * Rules that exist without a policy: a project's owning team works in it, a job's approvers see
 * what they are asked to approve, a service's owning team maintains its catalog entry, members
 * see their team and maintainers change it.
 */
function implicitRules(snapshot: AccessSnapshot): SourcedRule[] {
  const rules: SourcedRule[] = [];
  for (const [project, team] of snapshot.projectOwners) {
    rules.push({
      source: `ownership of project/${project}`,
      subjects: [`team/${team}`],
      actions: ['view', 'run', 'read-logs', 'edit', 'approve'],
      resources: [`project/${project}`],
      effect: 'allow',
    });
    rules.push({
      source: `ownership of project/${project}`,
      subjects: [`team/${team}#maintainers`],
      actions: ['admin'],
      resources: [`project/${project}`],
      effect: 'allow',
    });
  }
  // Those a job names as approvers must see what they are asked to approve.
  for (const [job, approvers] of snapshot.jobApprovers) {
    rules.push({
      source: `approvers of ${job}`,
      subjects: [...approvers],
      actions: ['view', 'read-logs', 'approve'],
      resources: [job],
      effect: 'allow',
    });
  }
  for (const [service, team] of snapshot.serviceOwners) {
    rules.push({
      source: `ownership of service/${service}`,
      subjects: [`team/${team}`],
      actions: ['edit'],
      resources: [`service/${service}`],
      effect: 'allow',
    });
  }
  const teams = new Set([...snapshot.memberships.values()].flat().map((membership) => membership.team));
  for (const team of teams) {
    rules.push({
      source: `membership of team/${team}`,
      subjects: [`team/${team}`],
      actions: ['view'],
      resources: [`team/${team}`],
      effect: 'allow',
    });
    rules.push({
      source: `maintainers of team/${team}`,
      subjects: [`team/${team}#maintainers`],
      actions: ['edit'],
      resources: [`team/${team}`],
      effect: 'allow',
    });
  }
  return rules;
}

/** Every rule of a snapshot, built once per snapshot: listings decide thousands of times. */
const compiled = new WeakMap<AccessSnapshot, readonly SourcedRule[]>();

function rulesOf(snapshot: AccessSnapshot): readonly SourcedRule[] {
  let rules = compiled.get(snapshot);
  if (!rules) {
    rules = [
      ...snapshot.policies.flatMap((policy) =>
        policy.rules.map((rule, index) => ({ ...rule, source: `policy/${policy.name}#${index + 1}` })),
      ),
      ...implicitRules(snapshot),
    ];
    compiled.set(snapshot, rules);
  }
  return rules;
}

/** The rules naming one set of subjects, with the subject pattern that names them. */
type MatchedRule = { rule: SourcedRule; subject: string };
const bySubjects = new WeakMap<AccessSnapshot, Map<string, readonly MatchedRule[]>>();

/**
 * The rules that apply to a caller's subjects, found once per snapshot and set of subjects:
 * matching every rule's subject globs on every decision is most of a decision's cost, and a
 * listing decides once per row.
 */
function rulesFor(snapshot: AccessSnapshot, subjects: readonly string[]): readonly MatchedRule[] {
  let cache = bySubjects.get(snapshot);
  if (!cache) bySubjects.set(snapshot, (cache = new Map()));
  const key = subjects.join('\n');
  let matched = cache.get(key);
  if (!matched) {
    matched = rulesOf(snapshot).flatMap((rule) => {
      const subject = rule.subjects.find((pattern) =>
        subjects.some((candidate) => pattern === '*' || globMatches(pattern, candidate)),
      );
      return subject ? [{ rule, subject }] : [];
    });
    cache.set(key, matched);
  }
  return matched;
}

function describePattern(pattern: string | LabelSelector): string {
  if (typeof pattern === 'string') return pattern;
  const labels = Object.entries(pattern.labels).map(([key, value]) => `${key}=${value}`);
  return `job/${pattern.job}[${labels.join(',')}]`;
}

/** Decides whether `principal` may perform `action` on `resource`, naming the rules that decided. */
export function evaluate(
  snapshot: AccessSnapshot,
  principal: Principal,
  action: Action,
  resource: Resource,
): Decision {
  if (typeof resource === 'string' && resource.startsWith('job/')) {
    const labels = snapshot.jobLabels.get(resource);
    if (labels) resource = { path: resource, labels };
  }
  const target = resourcePath(resource);
  if (principal.scopes) {
    const scope = principal.scopes.find(
      (candidate) =>
        allowCovers(candidate.action, action) &&
        (candidate.resource === undefined || resourceMatches(candidate.resource, resource)),
    );
    if (!scope) {
      return {
        allowed: false,
        reason: `the token's scopes do not include ${action} on ${target}`,
        rules: [],
      };
    }
  }
  if (principal.isAdmin) {
    return {
      allowed: true,
      reason: `${principal.name} is an administrator`,
      rules: [
        {
          source: 'administrator',
          effect: 'allow',
          subject: subjectOf(principal),
          action: '*',
          resource: '*',
        },
      ],
    };
  }

  const allows: DecidingRule[] = [];
  const denies: DecidingRule[] = [];
  for (const { rule, subject } of rulesFor(snapshot, subjectsOf(snapshot, principal))) {
    const covers = rule.effect === 'deny' ? denyCovers : allowCovers;
    const ruleAction = rule.actions.find((granted) => covers(granted, action));
    if (!ruleAction) continue;
    const pattern = rule.resources.find((candidate) => resourceMatches(candidate, resource));
    if (!pattern) continue;
    const deciding: DecidingRule = {
      source: rule.source,
      effect: rule.effect,
      subject,
      action: ruleAction,
      resource: describePattern(pattern),
    };
    (rule.effect === 'deny' ? denies : allows).push(deciding);
  }
  const who = subjectOf(principal);
  if (denies.length > 0) {
    return {
      allowed: false,
      reason: `${denies.map((rule) => rule.source).join(', ')} denies ${who} ${action} on ${target}`,
      rules: denies,
    };
  }
  if (allows.length > 0) {
    return {
      allowed: true,
      reason: `${allows.map((rule) => rule.source).join(', ')} allows ${who} ${action} on ${target}`,
      rules: allows,
    };
  }
  return { allowed: false, reason: `no rule allows ${who} ${action} on ${target}`, rules: [] };
}
