/**
 * Executions on the wire: what `POST /api/v1/jobs/:project/:name/executions`, `GET
 * /api/v1/executions[/:id]` and `POST /api/v1/executions/:id/cancel` answer.
 */
import { z } from 'zod';
import { approvalDecisionView, approvalRequirementView } from './approvals.js';
import { EXECUTION_STATES, STEP_STATES } from './execution-states.js';
import { nodeFilter } from './nodes.js';

/** What one admission gate said about an execution when it was created. */
export const admissionNoteView = z.object({
  gate: z.string().describe('e.g. `error-budget`'),
  decision: z.enum(['admitted', 'approval', 'refused', 'overridden']),
  reason: z.string(),
  override: z
    .object({ by: z.string(), reason: z.string(), until: z.string().optional() })
    .optional()
    .describe('who overrode the gate, why, and until when the override holds'),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AdmissionNoteView = z.infer<typeof admissionNoteView>;

export const executionView = z.object({
  id: z.number(),
  project: z.string(),
  job: z.string(),
  jobRevision: z.number(),
  state: z.enum(EXECUTION_STATES),
  options: z.record(z.string(), z.unknown()),
  requestedBy: z.string(),
  attempt: z.number(),
  retryOf: z.number().nullable(),
  parentId: z.number().nullable(),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  exitCode: z.number().nullable(),
  reason: z.string().nullable(),
  workerGroup: z.string().nullable(),
  cancelRequestedAt: z.string().nullable(),
  log: z.object({ lines: z.number(), bytes: z.number(), discardedBytes: z.number() }),
  output: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the JSON object the steps wrote to $BATON_OUTPUT, secrets masked'),
  outputError: z.string().nullable().describe('why the output was not kept (invalid JSON, too large)'),
  cause: z
    .object({ eventId: z.number(), rule: z.string() })
    .nullable()
    .describe('the event and rule that fired it; null when a person, schedule or parent job did'),
  node: z.string().nullable().describe('the node a fan-out child runs its steps on'),
  nodes: z.array(z.string()).nullable().describe('the nodes a fan-out parent matched when it was requested'),
  admission: z
    .array(admissionNoteView)
    .describe(
      'what the admission gates (the error budget) said when it was created: approval asked, override used',
    ),
});
export type ExecutionView = z.infer<typeof executionView>;

export const stepView = z.object({
  index: z.number(),
  name: z.string(),
  state: z.enum(STEP_STATES),
  exitCode: z.number().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  reason: z.string().nullable(),
  handlerState: z.enum(STEP_STATES).nullable(),
  handlerExitCode: z.number().nullable(),
  childExecutionId: z.number().nullable(),
  logFirstLine: z.number().nullable(),
});
export type StepView = z.infer<typeof stepView>;

/** One node of a fan-out: the child execution that ran the steps there. */
export const nodeRunView = z.object({
  node: z.string(),
  executionId: z.number(),
  state: z.enum(EXECUTION_STATES),
  exitCode: z.number().nullable(),
  reason: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type NodeRunView = z.infer<typeof nodeRunView>;

/** One attempt of a retry chain. */
export const attemptView = z.object({
  id: z.number(),
  attempt: z.number(),
  state: z.enum(EXECUTION_STATES),
  exitCode: z.number().nullable(),
  reason: z.string().nullable(),
});
export type AttemptView = z.infer<typeof attemptView>;

export const executionDetailView = executionView.extend({
  waitingFor: z.string().nullable().describe('why a queued or awaiting execution has not started yet'),
  approval: z
    .object({ required: approvalRequirementView, decisions: z.array(approvalDecisionView) })
    .nullable()
    .describe('when the job required approval: who must approve, and who decided'),
  steps: z.array(stepView),
  nodeRuns: z.array(nodeRunView).describe("a fan-out parent's child execution on each node that started"),
  attempts: z.array(attemptView),
});
export type ExecutionDetailView = z.infer<typeof executionDetailView>;

/** An execution just queued or cancelled. */
export const executionResponse = z.object({ execution: executionView });
export type ExecutionResponse = z.infer<typeof executionResponse>;

export const executionDetailResponse = z.object({ execution: executionDetailView });
export type ExecutionDetailResponse = z.infer<typeof executionDetailResponse>;

/** A page of executions, newest first; `next` is the `before` of the next page. */
export const executionsResponse = z.object({
  executions: z.array(executionView),
  next: z.number().nullable(),
});
export type ExecutionsResponse = z.infer<typeof executionsResponse>;

/** An option value as a run request carries it: a scalar or a list of scalars. */
export const optionInput = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number(), z.boolean()])),
]);
export type OptionInput = z.infer<typeof optionInput>;

/** `POST /api/v1/jobs/:project/:name/executions`: the options, and nodes instead of the job's own. */
export const runRequest = z
  .strictObject({
    options: z.record(z.string(), optionInput).default({}),
    nodes: z
      .union([z.string(), nodeFilter])
      .optional()
      .describe(
        "run on these nodes instead of the job's spec.nodes: 'tags=web name=web-* attr.env=prod' or the structured form",
      ),
    overrideBudget: z
      .strictObject({ reason: z.string().trim().min(1).max(2000) })
      .optional()
      .describe(
        'let a change through the error-budget gate; needs override-budget on the service, and is audited',
      ),
    rerunOf: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('the execution this run repeats (baton rerun): the gates see it as a rerun'),
  })
  .default({ options: {} });
export type RunRequest = z.input<typeof runRequest>;

/** `GET /api/v1/approvals`: executions awaiting approval that the caller may still decide on (here, not in approvals.ts, which this file builds on). */
export const approvalsResponse = z.object({
  approvals: z.array(
    z.object({
      execution: executionView,
      required: approvalRequirementView,
      decisions: z.array(approvalDecisionView),
    }),
  ),
});
export type ApprovalsResponse = z.infer<typeof approvalsResponse>;
