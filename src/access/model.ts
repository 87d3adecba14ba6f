/** Who is asking, what they want to do, and to what. */

/** The caller of an API route or CLI command, once authenticated. */
export interface Principal {
  kind: 'user';
  id: number;
  name: string;
  isAdmin: boolean;
}

/** Everything a caller can do to a resource; policies (later) grant these. */
export const ACTIONS = ['view', 'run', 'read-logs', 'edit', 'approve', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Resources are named as paths: `project/ops`, `job/ops/disk-report`, `execution/42`, `system`.
 * Policies will match them with globs and label selectors.
 */
export type Resource = string;

export const resources = {
  system: 'system' as Resource,
  project: (project: string): Resource => `project/${project}`,
  job: (project: string, name: string): Resource => `job/${project}/${name}`,
};

export interface Decision {
  allowed: boolean;
  /** Why: the rule or fact that decided, for explanations and audit. */
  reason: string;
}
