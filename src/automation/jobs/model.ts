/**
 * The job document: the contract that teams write in YAML and every other part of Baton reads.
 * Schemas are strict (an unknown field is an error, never silently ignored) and keep every
 * object a plain `z.strictObject` so that errors can name the fields that would have been right.
 */
import { z } from 'zod';
import { durationUpTo, resourceName } from '../../platform/documents/fields.js';
import { MAX_REGEX_LENGTH, regexProblem } from '../../contract/regex.js';
import { checkOptionValue, MAX_OPTIONS_PER_RUN, OPTION_TYPES, SCALAR_TYPES } from '../../contract/options.js';
import { JOB_PURPOSE_NAMES } from '../../contract/slos.js';
import { secretDeliveries } from '../../access/secrets/model.js';
import { jobScheduleSpec } from '../schedules/model.js';
import { notificationsSpec } from '../notifications/model.js';
import { nodeFilter } from '../nodes/model.js';

/**
 * Timeouts of jobs, steps and error handlers: 1000d leaves room for the year-long runs some
 * migrations and soak tests are given today (400d is in use), while an absent timeout already
 * means "none"; a larger number is a typo, not an intent.
 */
const timeout = durationUpTo('1000d');

/**
 * Between a failure and its retry: a retry is for a transient fault (a deploy, a flapping
 * dependency), which clears within hours; past a week the world the job ran in has changed, and a
 * schedule is the tool.
 */
const retryBackoff = durationUpTo('7d');

/**
 * How long an execution waits for its approvals: people answer within days; a request that has
 * waited a quarter asks about a world that no longer exists.
 */
const approvalExpiry = durationUpTo('90d');

const OPTION_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envMap = z.record(
  z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name'),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

export const optionSpec = z
  .strictObject({
    name: z.string().max(64).regex(OPTION_NAME_PATTERN, 'must start with a letter; letters, digits and _'),
    type: z.enum(OPTION_TYPES),
    description: z.string().optional(),
    required: z.boolean().optional(),
    default: z.unknown().optional(),
    /** A regular expression (RE2 syntax) a string value must match somewhere. */
    pattern: z.string().max(MAX_REGEX_LENGTH, `must be at most ${MAX_REGEX_LENGTH} characters`).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    values: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    /** Item type of a `list`. */
    items: z.enum(SCALAR_TYPES).optional(),
  })
  .superRefine((option, ctx) => {
    const itemType = option.type === 'list' ? (option.items ?? 'string') : option.type;
    if (option.type !== 'list' && option.items !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'is only allowed on options of type list' });
    }
    if (itemType === 'enum' && !option.values) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'is required for enum options' });
    }
    if (itemType !== 'enum' && option.values) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'is only allowed on enum options' });
    }
    if (option.pattern !== undefined) {
      if (itemType !== 'string') {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'is only allowed on string options' });
      } else {
        const problem = regexProblem(option.pattern);
        if (problem) {
          ctx.addIssue({
            code: 'custom',
            path: ['pattern'],
            message: `is not a valid regular expression: ${problem}`,
          });
        }
      }
    }
    if ((option.min !== undefined || option.max !== undefined) && !['integer', 'number'].includes(itemType)) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: 'min and max are only allowed on numeric options',
      });
    }
    if (option.min !== undefined && option.max !== undefined && option.min > option.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must not be less than min (${option.min})` });
    }
    // The default must itself be a valid value (checked once the constraints themselves are valid).
    if (option.default !== undefined && ctx.issues.length === 0) {
      const checked = checkOptionValue(option, option.default);
      if ('problem' in checked) {
        const { expected, found } = checked.problem;
        ctx.addIssue({ code: 'custom', path: ['default'], message: `must be ${expected}, found ${found}` });
      }
    }
  });
export type OptionSpec = z.output<typeof optionSpec>;

/** How a failing step is handled: a command or script that runs after it. */
export const errorHandlerSpec = z
  .strictObject({
    script: z.string().min(1).optional(),
    interpreter: z.string().min(1).optional(),
    command: z.array(z.string()).min(1).optional(),
    timeout: timeout.optional(),
    env: envMap.optional(),
  })
  .superRefine((handler, ctx) => {
    const kinds = [handler.script, handler.command].filter((kind) => kind !== undefined).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'must have exactly one of script or command' });
    if (handler.interpreter !== undefined && handler.script === undefined) {
      ctx.addIssue({ code: 'custom', path: ['interpreter'], message: 'is only allowed with script' });
    }
  });
export type ErrorHandlerSpec = z.output<typeof errorHandlerSpec>;

const APPROVER_PATTERN = /^(user|team)\/[a-z0-9][a-z0-9-]*$/;
const approver = z.string().regex(APPROVER_PATTERN, 'must be team/NAME or user/NAME');

/** Who must approve an execution before it runs; defaults (count 1, expires 24h) apply where it is used. */
export const approvalSpec = z.strictObject({
  approvers: z.union([approver, z.array(approver).min(1)]),
  /** Distinct approvers needed. */
  count: z.number().int().min(1).optional(),
  /** Rejected when not approved within this long. */
  expires: approvalExpiry.optional(),
});
export type ApprovalSpec = z.output<typeof approvalSpec>;

const JOB_REFERENCE = /^([a-z0-9][a-z0-9-]*)\/([a-z0-9][a-z0-9-]*)$/;

export const stepSpec = z
  .strictObject({
    name: resourceName,
    description: z.string().optional(),
    script: z.string().min(1).optional(),
    interpreter: z.string().min(1).optional(),
    command: z.array(z.string()).min(1).optional(),
    /** Another job, as PROJECT/NAME. */
    job: z.string().regex(JOB_REFERENCE, 'must be PROJECT/NAME').optional(),
    /** Option values for the nested job. */
    options: z.record(z.string(), z.unknown()).optional(),
    timeout: timeout.optional(),
    continueOnError: z.boolean().optional(),
    errorHandler: errorHandlerSpec.optional(),
    env: envMap.optional(),
  })
  .superRefine((step, ctx) => {
    const kinds = [step.script, step.command, step.job].filter((kind) => kind !== undefined).length;
    if (kinds !== 1)
      ctx.addIssue({ code: 'custom', message: 'must have exactly one of script, command or job' });
    if (step.interpreter !== undefined && step.script === undefined) {
      ctx.addIssue({ code: 'custom', path: ['interpreter'], message: 'is only allowed with script' });
    }
    if (step.options !== undefined && step.job === undefined) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'is only allowed with job' });
    }
  });
export type StepSpec = z.output<typeof stepSpec>;

export const jobSpec = z
  .strictObject({
    options: z.array(optionSpec).max(MAX_OPTIONS_PER_RUN).optional(),
    timeout: timeout.optional(),
    retries: z
      .strictObject({ count: z.number().int().min(0).max(100), backoff: retryBackoff.optional() })
      .optional(),
    concurrency: z
      .strictObject({
        limit: z.number().int().min(1),
        /** Option whose value partitions the limit; without it the limit is per job. */
        key: z.string().optional(),
      })
      .optional(),
    env: envMap.optional(),
    /** Secrets handed to every step, as environment variables or files (never in argv). */
    secrets: secretDeliveries.optional(),
    /** The catalog service (`kind: Service`) the job acts on. */
    service: resourceName.optional(),
    /**
     * What the job is, for the error-budget gate: only `change` is gated, `remediation` never is.
     * Absent means `routine`; not defaulted, so that jobs applied before the field existed keep
     * their digest.
     */
    purpose: z.enum(JOB_PURPOSE_NAMES).optional(),
    /**
     * With `purpose: maintenance`: an execution of this job takes its time span out of the
     * service's SLIs (a status correction), so planned downtime does not spend the budget.
     */
    correctsSlo: z.boolean().optional(),
    /** Only workers started with this group (`baton worker --group`) run the job. */
    workerGroup: resourceName.optional(),
    /** When the worker running it is lost, run it again instead of failing it. */
    retryOnWorkerLoss: z.boolean().optional(),
    /** Executions wait for approval before any worker may run them. */
    approval: approvalSpec.optional(),
    /** Minutes the manual procedure takes; usage statistics report the time saved by running the job. */
    manualMinutes: z.number().min(0).optional(),
    /** Schedules this job owns (sugar for `kind: Schedule` documents): applying the job creates, updates and removes them. */
    schedules: z.array(jobScheduleSpec).optional(),
    /** Webhooks, Slack messages or emails sent on this job's execution events (see also the project's). */
    notifications: notificationsSpec.optional(),
    /** Run the steps on every matching node over SSH, one child execution per node. */
    nodes: nodeFilter.optional(),
    steps: z.array(stepSpec).min(1),
  })
  .superRefine((spec, ctx) => {
    const optionNames = new Set<string>();
    spec.options?.forEach((option, index) => {
      if (optionNames.has(option.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', index, 'name'],
          message: `duplicate option "${option.name}"`,
        });
      }
      optionNames.add(option.name);
    });
    const stepNames = new Set<string>();
    spec.steps.forEach((step, index) => {
      if (stepNames.has(step.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'name'],
          message: `duplicate step "${step.name}"`,
        });
      }
      stepNames.add(step.name);
    });
    // A node's child execution runs its steps over SSH; a nested job would run on the worker
    // instead, which is never what a step on a node means.
    if (spec.nodes) {
      spec.steps.forEach((step, index) => {
        if (step.job !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', index, 'job'],
            message: 'a job that runs on nodes (spec.nodes) cannot have job: steps',
          });
        }
      });
    }
    if (spec.correctsSlo === true && spec.purpose !== 'maintenance') {
      ctx.addIssue({
        code: 'custom',
        path: ['correctsSlo'],
        message: "only a job with purpose: maintenance may correct its service's SLOs",
      });
    }
    if (spec.correctsSlo === true && spec.service === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['correctsSlo'],
        message: 'correcting SLOs needs spec.service: the service whose SLIs the executions are taken out of',
      });
    }
    const key = spec.concurrency?.key;
    if (key !== undefined && !optionNames.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['concurrency', 'key'],
        message: `must name one of the job's options${optionNames.size ? ` (${[...optionNames].join(', ')})` : ''}`,
      });
    }
  });
export type JobSpec = z.output<typeof jobSpec>;

export const jobDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Job'),
  metadata: z.strictObject({
    name: resourceName,
    project: resourceName,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: jobSpec,
});
export type JobDocument = z.output<typeof jobDocument>;

/** A job as stored and listed. */
export interface Job {
  id: number;
  project: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  spec: JobSpec;
  /** The YAML as applied. */
  source: string;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

/** `ops/disk-report` → `{ project: 'ops', name: 'disk-report' }`. */
export function parseJobReference(reference: string): { project: string; name: string } | undefined {
  const match = JOB_REFERENCE.exec(reference);
  return match ? { project: match[1]!, name: match[2]! } : undefined;
}
