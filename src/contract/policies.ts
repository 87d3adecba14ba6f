/** Policies as the API shows them, and the question "may this user do that, and which rules say so?". */
import { z } from 'zod';

/**
 * Everything a caller can do to a resource; policies grant these. `admin` includes every other
 * action, and every action includes `view` (nobody runs what they cannot see).
 */
/** `override-budget` (on `service/NAME`): let a change job through the service's error-budget gate. */
export const ACTIONS = ['view', 'run', 'read-logs', 'edit', 'approve', 'admin', 'override-budget'] as const;
export type Action = (typeof ACTIONS)[number];

/** A policy as listed, with its rules as written. */
export const policyView = z.object({
  name: z.string(),
  description: z.string().nullable(),
  rules: z.array(z.unknown()),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type PolicyView = z.infer<typeof policyView>;

/** `GET /api/v1/policies`. */
export const policiesResponse = z.object({ policies: z.array(policyView) });
export type PoliciesResponse = z.infer<typeof policiesResponse>;

/** A rule that took part in a decision. */
export const decidingRuleView = z.object({
  source: z.string(),
  effect: z.enum(['allow', 'deny']),
  subject: z.string(),
  action: z.string(),
  resource: z.string(),
});
export type DecidingRuleView = z.infer<typeof decidingRuleView>;

/** Allowed or not, why, and the rules that decided. */
export const decisionView = z.object({
  allowed: z.boolean(),
  reason: z.string(),
  rules: z.array(decidingRuleView),
});
export type DecisionView = z.infer<typeof decisionView>;

/** `POST /api/v1/policy/test`. */
export const policyTestRequest = z.object({
  as: z.string().optional(),
  action: z.enum(ACTIONS),
  resource: z.string().min(1).max(300),
});
export type PolicyTestRequest = z.infer<typeof policyTestRequest>;

/** `POST /api/v1/policy/test`. */
export const policyTestResponse = z.object({
  user: z.string(),
  action: z.string(),
  resource: z.string(),
  decision: decisionView,
});
export type PolicyTestResponse = z.infer<typeof policyTestResponse>;
