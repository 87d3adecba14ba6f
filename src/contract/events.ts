/**
 * Events, rules and hooks on the wire: `GET /api/v1/events`, `/events/:id`, `/rules`, `/hooks`,
 * and the receipt `POST /api/v1/hooks/PROJECT/NAME` answers with.
 */
import { z } from 'zod';
import { EXECUTION_STATES, type ExecutionState } from './execution-states.js';

/** How a hook's body is read into events. */
export const HOOK_FORMATS = ['alertmanager', 'json'] as const;
export type HookFormat = (typeof HOOK_FORMATS)[number];

/** What one rule did with an event (or with an execution the event caused, for a chained rule). */
export const RULE_OUTCOMES = ['triggered', 'deduplicated', 'throttled', 'refused', 'error'] as const;
export type RuleOutcome = (typeof RULE_OUTCOMES)[number];

export const ruleMatchView = z.object({
  rule: z.string(),
  outcome: z.enum(RULE_OUTCOMES),
  executionId: z.number().nullable(),
  reason: z.string().nullable(),
  triggerExecutionId: z.number().nullable().describe('the finished execution a chained rule matched'),
  at: z.string(),
});
export type RuleMatchView = z.infer<typeof ruleMatchView>;

export const eventView = z.object({
  id: z.number(),
  project: z.string(),
  hook: z.string().nullable(),
  format: z.string(),
  receivedAt: z.string(),
  fingerprint: z.string(),
  summary: z
    .string()
    .describe("what the event is about in one line: an alert's status and telling labels, or the first keys"),
  payloadBytes: z.number(),
  matches: z.array(ruleMatchView),
});
export type EventView = z.infer<typeof eventView>;

export const eventsQuery = z.object({
  project: z.string().optional(),
  hook: z.string().optional(),
  since: z
    .string()
    .optional()
    .refine((text) => text === undefined || !Number.isNaN(Date.parse(text)), 'must be an ISO date-time')
    .describe('only events received at or after this time (ISO 8601)'),
  cursor: z.coerce.number().int().min(1).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type EventsQuery = z.infer<typeof eventsQuery>;

export const eventsResponse = z.object({ events: z.array(eventView), next: z.number().nullable() });
export type EventsResponse = z.infer<typeof eventsResponse>;

/** One link of an event's chain: a rule's outcome, the execution it started, and what that caused. */
export interface ChainNodeView {
  rule: string;
  outcome: RuleOutcome;
  reason: string | null;
  at: string;
  execution: {
    id: number;
    job: string;
    /** `deleted` once retention removed it. */
    state: ExecutionState | 'deleted';
    exitCode: number | null;
    output: unknown;
  } | null;
  next: ChainNodeView[];
}
// Recursive, so the OpenAPI document can only describe it as a named component (`ChainNodeView`)
// that refers to itself; without the id its `next` would point at nothing.
export const chainNodeView: z.ZodType<ChainNodeView> = z
  .lazy(() =>
    z.object({
      rule: z.string(),
      outcome: z.enum(RULE_OUTCOMES),
      reason: z.string().nullable(),
      at: z.string(),
      execution: z
        .object({
          id: z.number(),
          job: z.string(),
          state: z.union([z.enum(EXECUTION_STATES), z.literal('deleted')]),
          exitCode: z.number().nullable(),
          output: z.unknown(),
        })
        .nullable(),
      next: z.array(chainNodeView),
    }),
  )
  .meta({ id: 'ChainNodeView' });

export const eventDetailResponse = z.object({
  event: eventView.omit({ matches: true }).extend({ payload: z.record(z.string(), z.unknown()) }),
  chain: z.array(chainNodeView),
});
export type EventDetailResponse = z.infer<typeof eventDetailResponse>;

export const ruleView = z.object({
  project: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  on: z
    .string()
    .describe(
      'hook:NAME, execution:PROJECT/JOB, or slo:FILTERS (e.g. slo:service=web-*,severity=page,status=firing)',
    ),
  when: z.string().nullable(),
  job: z.string(),
  options: z.record(z.string(), z.unknown()),
  dedup: z.object({ key: z.string().optional(), window: z.string() }).nullable(),
  throttle: z.object({ max: z.number(), per: z.string() }).nullable(),
  owner: z.string().describe('the user or service account its executions run as'),
  runAs: z.string().nullable().describe('spec.runAs as written; without it the owner is whoever applied it'),
  enabled: z.boolean(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type RuleView = z.infer<typeof ruleView>;

/** `?project=` of the rules and hooks lists. */
export const projectQuery = z.object({ project: z.string().optional() });
export type ProjectQuery = z.infer<typeof projectQuery>;

export const rulesResponse = z.object({ rules: z.array(ruleView) });
export type RulesResponse = z.infer<typeof rulesResponse>;

export const hookView = z.object({
  project: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  path: z.string(),
  format: z.enum(HOOK_FORMATS),
  auth: z.enum(['hmac', 'token']),
  secret: z.string().describe('the secret path holding the key'),
  maxBytes: z.number(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type HookView = z.infer<typeof hookView>;

export const hooksResponse = z.object({ hooks: z.array(hookView) });
export type HooksResponse = z.infer<typeof hooksResponse>;

/** What `POST /api/v1/hooks/PROJECT/NAME` answers (202): the events stored and what each rule did. */
export const hookReceiptResponse = z.object({
  events: z.array(
    z.object({
      id: z.number(),
      fingerprint: z.string(),
      rules: z.array(
        z.object({
          rule: z.string(),
          outcome: z.enum(RULE_OUTCOMES),
          executionId: z.number().nullable(),
          reason: z.string().nullable(),
        }),
      ),
    }),
  ),
});
export type HookReceiptResponse = z.infer<typeof hookReceiptResponse>;
