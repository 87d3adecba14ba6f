/**
 * The shapes of SLO documents: Baton's `kind: SLO` (`apiVersion: baton/v1`, OpenSLO-shaped) and
 * the OpenSLO v1 kinds (OpenSLO README; go-sdk `pkg/openslo/v1`). These schemas check structure
 * and bounds only; the numbers an SLO's math reads (window, method, targets, slices) are checked
 * by `parseSloMath`, and references between documents by resolve.ts, so each rule is written once.
 *
 * Every string, list and map has a bound: documents come from users, and the apply layer keeps
 * them. Names follow RFC 1123 labels, as OpenSLO asks (at most 63 characters).
 */
import { z } from 'zod';
import { EXECUTION_STATES } from '../../contract/execution-states.js';

/** An RFC 1123 label: lowercase letters, digits and dashes, starting and ending with a letter or digit. */
export const RFC1123_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const sloName = z
  .string()
  .max(63, 'must be at most 63 characters (an RFC 1123 label)')
  .regex(RFC1123_NAME, 'must be an RFC 1123 label: lowercase letters, digits and dashes, not at either end');

/** OpenSLO's limit on descriptions. */
const description = z.string().max(1050);
const displayName = z.string().max(200);
const labelKey = z.string().min(1).max(253);
const labelValue = z.string().max(253);

/** OpenSLO v1 labels: a value is a string or a list of strings. */
const labels = z
  .record(labelKey, z.union([labelValue, z.array(labelValue).max(32)]))
  .refine((map) => Object.keys(map).length <= 64, 'at most 64 labels');
const annotations = z
  .record(labelKey, z.string().max(4096))
  .refine((map) => Object.keys(map).length <= 64, 'at most 64 annotations');

export const openSloMetadata = z.strictObject({
  name: sloName,
  displayName: displayName.optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
});

/** A metric source: a DataSource by name, or a type written inline, and what to ask it. */
export const metricSource = z.strictObject({
  metricSourceRef: sloName.optional(),
  type: z.string().min(1).max(63).optional(),
  spec: z
    .record(z.string().max(100), z.unknown())
    .refine((map) => Object.keys(map).length <= 32, 'at most 32 fields')
    .optional(),
});
export type MetricSourceDocument = z.output<typeof metricSource>;

const metric = z.strictObject({ metricSource });

export const ratioMetric = z.strictObject({
  counter: z.boolean().optional(),
  good: metric.optional(),
  bad: metric.optional(),
  total: metric.optional(),
  rawType: z.enum(['success', 'failure']).optional(),
  raw: metric.optional(),
});

/** An SLI's spec: exactly one of thresholdMetric and ratioMetric. Combinations are checked in openslo.ts. */
export const sliSpec = z.strictObject({
  description: description.optional(),
  thresholdMetric: metric.optional(),
  ratioMetric: ratioMetric.optional(),
});
export type SliSpecDocument = z.output<typeof sliSpec>;

/** An SLI inline in an SLO or objective: metadata and spec, no apiVersion or kind. */
const inlineIndicator = z.strictObject({
  metadata: openSloMetadata.optional(),
  spec: sliSpec,
});

const timeWindow = z.strictObject({
  duration: z.string().max(16),
  isRolling: z.boolean().optional(),
  calendar: z.strictObject({ startTime: z.string().max(40), timeZone: z.string().max(64) }).optional(),
});

const thresholdOp = z.enum(['lte', 'gte', 'lt', 'gt']);

export const objectiveDocument = z.strictObject({
  displayName: displayName.optional(),
  op: thresholdOp.optional(),
  value: z.number().optional(),
  target: z.number().optional(),
  targetPercent: z.number().optional(),
  timeSliceTarget: z.number().optional(),
  timeSliceWindow: z.union([z.number(), z.string().max(16)]).optional(),
  compositeWeight: z.number().optional(),
  indicator: inlineIndicator.optional(),
  indicatorRef: sloName.optional(),
});
export type ObjectiveDocument = z.output<typeof objectiveDocument>;

/** The fields every SLO spec has, in both apiVersions. */
const sloSpecFields = {
  service: sloName,
  description: description.optional(),
  indicator: inlineIndicator.optional(),
  indicatorRef: sloName.optional(),
  // Exactly one item; the math says so with its own message, the bound keeps the list small.
  timeWindow: z.array(timeWindow).max(8),
  budgetingMethod: z.string().max(32),
  objectives: z.array(objectiveDocument).min(1).max(20),
};

const alertConditionSpec = z.strictObject({
  description: description.optional(),
  severity: z.string().min(1).max(63),
  condition: z.strictObject({
    kind: z.literal('burnrate').default('burnrate'),
    op: thresholdOp.optional(),
    threshold: z.number(),
    lookbackWindow: z.string().max(16),
    alertAfter: z.string().max(16).optional(),
  }),
});

const notificationTargetSpec = z.strictObject({
  description: description.optional(),
  target: z.string().min(1).max(1000),
});

const alertPolicySpec = z.strictObject({
  description: description.optional(),
  alertWhenNoData: z.boolean().default(false),
  alertWhenResolved: z.boolean().default(false),
  alertWhenBreaching: z.boolean().default(false),
  // OpenSLO: "an array, (max of one condition)", an array for the future.
  conditions: z
    .array(
      z.union([
        z.strictObject({ conditionRef: sloName }),
        z.strictObject({
          kind: z.literal('AlertCondition'),
          metadata: openSloMetadata,
          spec: alertConditionSpec,
        }),
      ]),
    )
    .min(1)
    .max(1),
  notificationTargets: z
    .array(
      z.union([
        z.strictObject({ targetRef: sloName }),
        z.strictObject({
          kind: z.literal('AlertNotificationTarget'),
          metadata: openSloMetadata,
          spec: notificationTargetSpec,
        }),
      ]),
    )
    .max(20)
    .default([]),
});

/** `kind: SLO`, `apiVersion: baton/v1`. */
export const batonSloDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('SLO'),
  metadata: z.strictObject({
    name: sloName,
    project: sloName.optional(),
    displayName: displayName.optional(),
    labels: z
      .record(labelKey, labelValue)
      .refine((map) => Object.keys(map).length <= 64, 'at most 64 labels')
      .optional(),
  }),
  spec: z.strictObject({
    ...sloSpecFields,
    /** Which of Baton's multi-window burn-rate alerts to raise; both unless turned off. */
    alerting: z.strictObject({ page: z.boolean().optional(), ticket: z.boolean().optional() }).optional(),
  }),
});
export type BatonSloDocument = z.output<typeof batonSloDocument>;

const openslo = <K extends string, S extends z.ZodType>(kind: K, spec: S) =>
  z.strictObject({
    apiVersion: z.literal('openslo/v1'),
    kind: z.literal(kind),
    metadata: openSloMetadata,
    spec,
  });

export const openSloSloDocument = openslo(
  'SLO',
  z.strictObject({
    ...sloSpecFields,
    alertPolicies: z
      .array(
        z.union([
          z.strictObject({ alertPolicyRef: sloName }),
          z.strictObject({
            kind: z.literal('AlertPolicy'),
            metadata: openSloMetadata,
            spec: alertPolicySpec,
          }),
        ]),
      )
      .max(20)
      .default([]),
  }),
);
export const openSloSliDocument = openslo('SLI', sliSpec);
export const openSloServiceDocument = openslo(
  'Service',
  z.strictObject({ description: description.optional() }),
);
export const openSloDataSourceDocument = openslo(
  'DataSource',
  z.strictObject({
    description: description.optional(),
    type: z.string().min(1).max(63),
    connectionDetails: z
      .record(z.string().max(100), z.unknown())
      .refine((map) => Object.keys(map).length <= 32, 'at most 32 fields'),
  }),
);
export const openSloAlertPolicyDocument = openslo('AlertPolicy', alertPolicySpec);
export const openSloAlertConditionDocument = openslo('AlertCondition', alertConditionSpec);
export const openSloAlertNotificationTargetDocument = openslo(
  'AlertNotificationTarget',
  notificationTargetSpec,
);

export type OpenSloSloDocument = z.output<typeof openSloSloDocument>;
export type OpenSloSliDocument = z.output<typeof openSloSliDocument>;
export type OpenSloServiceDocument = z.output<typeof openSloServiceDocument>;
export type OpenSloDataSourceDocument = z.output<typeof openSloDataSourceDocument>;
export type OpenSloAlertPolicyDocument = z.output<typeof openSloAlertPolicyDocument>;
export type OpenSloAlertConditionDocument = z.output<typeof openSloAlertConditionDocument>;
export type OpenSloAlertNotificationTargetDocument = z.output<typeof openSloAlertNotificationTargetDocument>;
export type AlertPolicySpecDocument = z.output<typeof alertPolicySpec>;

/** The OpenSLO v1 kinds Baton reads, each with its schema: one DocumentKind per entry at apply. */
export const OPENSLO_KINDS = {
  SLO: openSloSloDocument,
  SLI: openSloSliDocument,
  Service: openSloServiceDocument,
  DataSource: openSloDataSourceDocument,
  AlertPolicy: openSloAlertPolicyDocument,
  AlertCondition: openSloAlertConditionDocument,
  AlertNotificationTarget: openSloAlertNotificationTargetDocument,
} as const;
export type OpenSloKind = keyof typeof OPENSLO_KINDS;

/** The spec of a metric source with `type: Baton`: Baton's own executions. */
export const batonMetricSpec = z.strictObject({
  /** `project/name` of a job; without it, every job of the SLO's service. */
  job: z
    .string()
    .max(127)
    .regex(/^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/, 'must be project/name')
    .optional(),
  /** The terminal states that make an execution count. */
  states: z.array(z.enum(EXECUTION_STATES)).min(1).max(EXECUTION_STATES.length).optional(),
  /** A duration such as 10m: the execution finished within it. */
  finishedWithin: z.string().max(32).optional(),
});

/** The spec of a metric source with `type: Prometheus`. */
export const prometheusMetricSpec = z.strictObject({ query: z.string().min(1).max(10_000) });

/** A DataSource's connectionDetails for `type: Prometheus`. */
export const prometheusConnectionDetails = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048),
  /** Path of a Baton secret holding a bearer token. */
  bearerTokenSecret: z.string().min(1).max(255).optional(),
});

/** How many documents one reading takes: far above a real repository, far below a memory problem. */
export const MAX_SLO_DOCUMENTS = 2000;
