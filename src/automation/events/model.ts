/**
 * Events, hooks and rules. A Hook document opens `POST /api/v1/hooks/PROJECT/NAME` to callers
 * holding its key; each payload it accepts becomes one or more events. A Rule document matches
 * events (from a hook, or made by a finished execution) and fires a job as its owner.
 */
import { z } from 'zod';
import { secretPathProblem } from '../../contract/secret-path.js';
import { parseDuration } from '../../contract/time.js';
import { durationUpTo, resourceName } from '../../platform/documents/fields.js';
import { boundedGlob, globMatches, type GlobSyntax } from '../../contract/glob.js';
import { parseJobReference } from '../jobs/model.js';
import { ExpressionError, parseExpression, parseTemplate } from './expression.js';

// The enums the API sends live in the contract, so the CLI and the web read the same lists.
import { HOOK_FORMATS, type HookFormat, type RuleOutcome } from '../../contract/events.js';
import type { ExecutionState } from '../../contract/execution-states.js';
import { ALERT_SEVERITIES } from '../../contract/slos.js';
export { HOOK_FORMATS, RULE_OUTCOMES, type HookFormat, type RuleOutcome } from '../../contract/events.js';
/**
 * `execution`: made from a finished execution for the chain. `slo`: raised by a capability above
 * automation through `EventService.raise` (an SLO burn-rate alert); automation only stores and
 * matches it.
 */
export type EventFormat = HookFormat | 'execution' | RaisedEventSource;

/** Sources of events that capabilities above automation raise themselves (not hooks, not executions). */
export const RAISED_EVENT_SOURCES = ['slo'] as const;
export type RaisedEventSource = (typeof RAISED_EVENT_SOURCES)[number];

/** The severities and statuses an SLO alert event carries (`fields.severity`, `fields.status`). */
export const SLO_EVENT_SEVERITIES = ALERT_SEVERITIES;
export const SLO_EVENT_STATUSES = ['firing', 'resolved'] as const;

/** A hook's default body limit: Alertmanager groups of a few hundred alerts fit. */
export const DEFAULT_HOOK_MAX_BYTES = 256 * 1024;
/** The largest limit a hook may set; the route refuses bigger bodies before reading them. */
export const MAX_HOOK_MAX_BYTES = 8 * 1024 * 1024;
/** An event's fields are stored up to this size; bigger ones are stored as a note of their size. */
export const MAX_STORED_PAYLOAD_BYTES = 64 * 1024;
/** A signed request older (or newer) than this is refused as a possible replay. */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

const secretPath = z.string().superRefine((path, ctx) => {
  const problem = secretPathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: `secret path ${problem}` });
});

export const hookSpec = z.strictObject({
  /** How the body is read into events. */
  format: z.enum(HOOK_FORMATS),
  /** Exactly one: an HMAC signature over the body, or a bearer token. */
  auth: z.union([
    z.strictObject({ hmac: z.strictObject({ secret: secretPath }) }),
    z.strictObject({ token: z.strictObject({ secret: secretPath }) }),
  ]),
  maxBytes: z.number().int().min(1).max(MAX_HOOK_MAX_BYTES).default(DEFAULT_HOOK_MAX_BYTES),
});
export type HookSpec = z.output<typeof hookSpec>;

export const hookDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Hook'),
  metadata: z.strictObject({
    name: resourceName,
    project: resourceName,
    description: z.string().optional(),
  }),
  spec: hookSpec,
});
export type HookDocument = z.output<typeof hookDocument>;

/** `spec.auth` as one word and the secret path it names. */
export function hookAuth(spec: HookSpec): { kind: 'hmac' | 'token'; secret: string } {
  return 'hmac' in spec.auth
    ? { kind: 'hmac', secret: spec.auth.hmac.secret }
    : { kind: 'token', secret: spec.auth.token.secret };
}

/** A hook as stored (no key, only where the key lives). */
export interface Hook {
  project: string;
  name: string;
  description: string | null;
  format: HookFormat;
  auth: 'hmac' | 'token';
  secretPath: string;
  maxBytes: number;
  updatedAt: Date;
  updatedBy: string;
}

/** Service names hold no `/`: `*` matches any run of characters, `?` is itself. */
const SERVICE_GLOB: GlobSyntax = {};

/**
 * `on: {slo: …}`: SLO alert events of any project (an OpenSLO or Sloth SLO has none), narrowed by
 * the service (a glob: `*` matches any run of characters), the severity, and the status
 * (`firing` unless said otherwise, so a diagnosis does not also run when the alert resolves).
 */
export const sloTrigger = z.strictObject({
  service: boundedGlob(z.string().min(1), SERVICE_GLOB).optional(),
  severity: z.enum(SLO_EVENT_SEVERITIES).optional(),
  status: z.enum([...SLO_EVENT_STATUSES, 'any']).default('firing'),
});
export type SloTrigger = z.output<typeof sloTrigger>;

const jobReference = z.string().refine((text) => /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)?$/.test(text), {
  message: 'must be a job name, or PROJECT/NAME',
});

/** Adds an issue for an expression error at `path`, with the column inside the expression. */
function expressionIssue(ctx: z.RefinementCtx, path: (string | number)[], error: unknown): void {
  if (!(error instanceof ExpressionError)) throw error;
  ctx.addIssue({
    code: 'custom',
    path,
    message: `${error.detail} (column ${error.column} of the expression)`,
  });
}

/** Checks every template string in option values, lists included. */
function checkTemplates(value: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (typeof value === 'string') {
    try {
      parseTemplate(value);
    } catch (error) {
      expressionIssue(ctx, path, error);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkTemplates(item, [...path, index], ctx));
  }
}

export const ruleSpec = z
  .strictObject({
    /**
     * What the rule listens to: events of a hook of its project, finished executions of a job, or
     * SLO burn-rate alerts (from any project).
     */
    on: z.union([
      z.strictObject({ hook: resourceName }),
      z.strictObject({ execution: z.strictObject({ job: jobReference }) }),
      z.strictObject({ slo: sloTrigger }),
    ]),
    /** A condition over the event's fields; absent: every event matches. */
    when: z.string().optional(),
    /** The job to run: NAME in the rule's project, or PROJECT/NAME. */
    job: jobReference,
    /** Option values; strings may hold `{{ path }}` templates filled from the event. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** One execution per key within the window; default key: the event's fingerprint. */
    // Both windows keep a row per key (or per rule) for their length; alerts repeat within hours
    // and a month covers any "once per incident" intent without keeping keys for years.
    dedup: z.strictObject({ key: z.string().optional(), window: durationUpTo('30d') }).optional(),
    /** At most `max` executions per window of `per` (a fixed window starting at its first fire). */
    throttle: z.strictObject({ max: z.number().int().min(1), per: durationUpTo('30d') }).optional(),
    /** Whose permissions the executions run with; default: whoever applied the rule. */
    runAs: resourceName.optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((spec, ctx) => {
    if (spec.when !== undefined) {
      try {
        parseExpression(spec.when);
      } catch (error) {
        expressionIssue(ctx, ['when'], error);
      }
    }
    for (const [name, value] of Object.entries(spec.options)) checkTemplates(value, ['options', name], ctx);
    if (spec.dedup?.key !== undefined) checkTemplates(spec.dedup.key, ['dedup', 'key'], ctx);
  });
export type RuleSpec = z.output<typeof ruleSpec>;

export const ruleDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Rule'),
  metadata: z.strictObject({
    name: resourceName,
    project: resourceName,
    description: z.string().optional(),
  }),
  spec: ruleSpec,
});
export type RuleDocument = z.output<typeof ruleDocument>;

/** A job reference resolved against the rule's project. */
export function ruleJob(project: string, reference: string): { project: string; name: string } {
  return parseJobReference(reference) ?? { project, name: reference };
}

/** The `trigger` column: what a rule listens to, as one indexable string. */
export function ruleTrigger(project: string, spec: Pick<RuleSpec, 'on'>): string {
  if ('hook' in spec.on) return `hook:${spec.on.hook}`;
  // Raised events are matched across projects; the rule's own filters narrow them (sloMatches).
  if ('slo' in spec.on) return 'slo';
  const job = ruleJob(project, spec.on.execution.job);
  return `execution:${job.project}/${job.name}`;
}

/** A rule as stored. */
export interface Rule {
  id: number;
  project: string;
  name: string;
  description: string | null;
  trigger: string;
  spec: RuleSpec;
  runAs: string | null;
  owner: string;
  enabled: boolean;
  digest: string;
  updatedAt: Date;
  updatedBy: string;
}

/** Whether an SLO alert event's fields pass a rule's `on.slo` filters. */
export function sloMatches(trigger: SloTrigger, fields: Readonly<Record<string, unknown>>): boolean {
  if (trigger.status !== 'any' && fields.status !== trigger.status) return false;
  if (trigger.severity !== undefined && fields.severity !== trigger.severity) return false;
  if (trigger.service !== undefined) {
    if (typeof fields.service !== 'string' || !globMatches(trigger.service, fields.service, SERVICE_GLOB)) {
      return false;
    }
  }
  return true;
}

export function windowMs(text: string): number {
  return parseDuration(text)!;
}

/** What one rule did with one event (or finished execution). */
export interface RuleMatch {
  id: number;
  eventId: number;
  rule: string;
  /** The finished execution a chained rule matched; null when the event itself matched. */
  triggerExecutionId: number | null;
  outcome: RuleOutcome;
  executionId: number | null;
  reason: string | null;
  at: Date;
}

/** A stored event. */
export interface Event {
  id: number;
  project: string;
  hook: string | null;
  format: EventFormat;
  receivedAt: Date;
  fingerprint: string;
  /** The fields rules saw (or a note of their size when they were too large to keep). */
  payload: Record<string, unknown>;
  payloadBytes: number;
}

/** One step of an event's chain: a rule's outcome and the execution it started, with what that caused. */
export interface ChainNode {
  rule: string;
  outcome: RuleOutcome;
  reason: string | null;
  at: Date;
  execution: {
    id: number;
    job: string;
    /** `deleted` once retention removed it. */
    state: ExecutionState | 'deleted';
    exitCode: number | null;
    output: unknown;
  } | null;
  /** Rules the finished execution matched in turn. */
  next: ChainNode[];
}
