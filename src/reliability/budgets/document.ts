/**
 * The ErrorBudgetPolicy document: which services it covers, and ordered rules over their SLOs that
 * say what happens to a change job now (first match wins), with exceptions by job label and how
 * long an override holds.
 *
 * ```yaml
 * apiVersion: baton/v1
 * kind: ErrorBudgetPolicy
 * metadata: {name: checkout-budget}
 * spec:
 *   services: [checkout]          # or ['*']: every service no other policy covers
 *   # or, instead of services: selector: {matchLabels: {tier: critical}}
 *   rules:
 *     - when: {budgetExhausted: true}
 *       then: refuse
 *     - when: {burnRateAbove: page}   # the SLO's page factor over 1h (14.4 for 30 days), or a number
 *       then: refuse
 *     - when: {budgetRemainingBelow: 25%}
 *       then: approve
 *       approvers: [owner]            # owner (the service's team), team/NAME, user/NAME
 *     - when: {noData: true}
 *       then: admit
 *   exceptions: {jobLabels: [security, rollback, reliability]}
 *   override: {holdsFor: 2h}
 * ```
 *
 * Coverage: a service named in `spec.services` is judged by that policy alone; else a policy whose
 * `spec.selector` matches the service's labels; else a `'*'` policy. Two policies naming one
 * service, two selectors matching one service, or two `'*'` policies are an apply error: which
 * one decides must never depend on order.
 */
import { z } from 'zod';
import { durationUpTo, resourceName } from '../../platform/documents/fields.js';
import { BURN_RATE_WINDOW_NAMES } from '../../contract/slos.js';
import { labelKey as serviceLabelKey, labelValue as serviceLabelValue } from '../services/model.js';

/** `25%` or `0.25`: a share of the error budget. */
const PERCENT = /^(?:100|\d{1,2})(?:\.\d+)?%$/;
export const budgetShare = z.union([
  z.number().min(0).max(1),
  z.string().regex(PERCENT, 'must be a percentage such as "25%" or a ratio from 0 to 1 such as 0.25'),
]);

/** A burn-rate threshold: the SLO's own `page` or `ticket` factor for its period, or a number. */
export const burnRateThreshold = z.union([z.enum(['page', 'ticket']), z.number().positive().max(100_000)]);

const APPROVER = /^(?:owner|(?:user|team)\/[a-z0-9][a-z0-9-]*)$/;

export const budgetCondition = z
  .strictObject({
    /** The SLO's remaining budget is below this share. */
    budgetRemainingBelow: budgetShare.optional(),
    /** The SLO has no budget left (remaining at or below zero). */
    budgetExhausted: z.literal(true).optional(),
    /** The SLO's burn rate over `window` (default: the threshold's own window, else 1h) is above this. */
    burnRateAbove: burnRateThreshold.optional(),
    window: z.enum(BURN_RATE_WINDOW_NAMES).optional(),
    /** The SLO has no data (never evaluated with data, or its source is down). */
    noData: z.literal(true).optional(),
  })
  .superRefine((when, ctx) => {
    const conditions = [when.budgetRemainingBelow, when.budgetExhausted, when.burnRateAbove, when.noData];
    if (conditions.every((condition) => condition === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs a condition: budgetRemainingBelow, budgetExhausted, burnRateAbove or noData',
      });
    }
    if (when.noData && conditions.filter((condition) => condition !== undefined).length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['noData'],
        message: 'noData stands alone: an SLO without data has no budget or burn rate to compare',
      });
    }
    if (when.window !== undefined && when.burnRateAbove === undefined) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: 'is only allowed with burnRateAbove' });
    }
  });
export type BudgetCondition = z.output<typeof budgetCondition>;

export const BUDGET_ACTIONS = ['admit', 'approve', 'refuse'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

export const budgetRule = z
  .strictObject({
    /** A name for messages; without one the rule is called by its position (`#2`). */
    name: resourceName.optional(),
    when: budgetCondition,
    then: z.enum(BUDGET_ACTIONS),
    /** For `approve`: who approves (default: the owning team). */
    approvers: z
      .array(z.string().regex(APPROVER, 'must be owner, team/NAME or user/NAME'))
      .min(1)
      .max(20)
      .optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.approvers && rule.then !== 'approve') {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'is only allowed with then: approve' });
    }
  });
export type BudgetRule = z.output<typeof budgetRule>;

/** Label keys are free text in jobs; bounded here like every list a document holds. */
const labelKey = z.string().min(1).max(100);

/** Services whose `metadata.labels` hold every one of these labels (at least one). */
export const serviceSelector = z.strictObject({
  matchLabels: z
    .record(serviceLabelKey, serviceLabelValue)
    .refine((labels) => Object.keys(labels).length >= 1, 'needs at least one label')
    .refine((labels) => Object.keys(labels).length <= 50, 'may hold at most 50 labels'),
});
export type ServiceSelector = z.output<typeof serviceSelector>;

export const errorBudgetPolicySpec = z
  .strictObject({
    /** Service names, or `'*'` for every service no other policy covers. */
    services: z
      .array(z.union([z.literal('*'), resourceName]))
      .min(1)
      .max(1000)
      .optional(),
    /** Instead of `services`: the services whose labels match. */
    selector: serviceSelector.optional(),
    rules: z.array(budgetRule).min(1).max(50),
    exceptions: z
      .strictObject({
        /** A job with one of these labels (any value but "false") is not gated. */
        jobLabels: z.array(labelKey).max(50),
      })
      .optional(),
    override: z
      .strictObject({
        /** How long an override holds for the person who gave it, on the service; absent: that one run. */
        holdsFor: durationUpTo('7d').optional(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.services !== undefined && spec.selector !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['selector'],
        message: 'give exactly one of services or selector, not both',
      });
    } else if (spec.services === undefined && spec.selector === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: "needs services (names, or '*') or selector (matchLabels): which services the policy covers",
      });
    }
  });
export type ErrorBudgetPolicySpec = z.output<typeof errorBudgetPolicySpec>;

export const errorBudgetPolicyDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('ErrorBudgetPolicy'),
  metadata: z.strictObject({ name: resourceName }),
  spec: errorBudgetPolicySpec,
});
export type ErrorBudgetPolicyDocument = z.output<typeof errorBudgetPolicyDocument>;

/** Whether `selector` matches a service with these labels: every label it asks for, equal. */
export function selectorMatches(
  selector: ServiceSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value);
}

/** A stored policy, as the gate reads it. */
export interface ErrorBudgetPolicy {
  name: string;
  spec: ErrorBudgetPolicySpec;
}
