/**
 * The Policy document: rules that allow or deny subjects actions on resources. Deny wins, and
 * nothing is allowed unless a rule (or ownership of a project) allows it.
 */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';
import { boundedGlob, PATH_GLOB } from '../../contract/glob.js';
import { ACTIONS } from '../model.js';

/** `user/alice`, `serviceaccount/ci`, `team/payments`, `team/payments#maintainers`, or a glob of one. */
export const SUBJECT_PATTERN = /^(user|serviceaccount|team)\/([a-z0-9*][a-z0-9*-]*)(#maintainers)?$|^\*$/;

/** Kinds of resource a rule can name, and the shape of the rest of the path. */
const RESOURCE_PATTERN =
  /^(\*|system|project\/[a-z0-9*][a-z0-9*-]*|job\/[a-z0-9*][a-z0-9*-]*\/[a-z0-9*][a-z0-9*-]*|schedule\/[a-z0-9*][a-z0-9*-]*\/[a-z0-9*][a-z0-9*.-]*|(hook|rule)\/[a-z0-9*][a-z0-9*-]*\/[a-z0-9*][a-z0-9*-]*|secret\/[A-Za-z0-9_.*-]+(\/[A-Za-z0-9_.*-]+)*|(team|policy|service|workergroup|node|nodesource)\/[a-z0-9*][a-z0-9*-]*)$/;

const resourceString = boundedGlob(z.string(), PATH_GLOB).refine(
  (text) => RESOURCE_PATTERN.test(text) && !/(^|\/)\.\.?(\/|$)/.test(text),
  {
    message:
      'must be project/P, job/P/NAME, schedule/P/NAME, hook/P/NAME, rule/P/NAME, secret/PATH, team/T, policy/NAME, service/S, workergroup/G, node/N, nodesource/S or system (globs with *, no . or .. segments)',
  },
);

/** Jobs chosen by labels: `{job: "ops/*", labels: {tier: web}}`. */
const labelSelector = z.strictObject({
  job: boundedGlob(z.string(), PATH_GLOB)
    .regex(/^[a-z0-9*][a-z0-9*-]*\/[a-z0-9*][a-z0-9*-]*$/, 'must be PROJECT/NAME (globs with *)')
    .default('*/*'),
  labels: z.record(z.string(), z.string()).refine((labels) => Object.keys(labels).length > 0, {
    message: 'must name at least one label',
  }),
});
export type LabelSelector = z.output<typeof labelSelector>;

export const policyRule = z.strictObject({
  subjects: z
    .array(
      boundedGlob(z.string(), PATH_GLOB).regex(
        SUBJECT_PATTERN,
        'must be user/NAME, serviceaccount/NAME or team/NAME',
      ),
    )
    .min(1),
  actions: z.array(z.union([z.enum(ACTIONS), z.literal('*')])).min(1),
  resources: z.array(z.union([resourceString, labelSelector])).min(1),
  effect: z.enum(['allow', 'deny']),
  /** Why the rule exists, shown in explanations. */
  description: z.string().optional(),
});
export type PolicyRule = z.output<typeof policyRule>;

export const policyDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Policy'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
  spec: z.strictObject({ rules: z.array(policyRule).min(1) }),
});
export type PolicyDocument = z.output<typeof policyDocument>;
