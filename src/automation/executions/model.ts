/** Executions: one run of a job, a row in the queue from the moment it is requested. */
import type { JobSpec } from '../jobs/model.js';
import type { OptionValues } from '../jobs/options.js';

export const EXECUTION_STATES = [
  /** The job requires approval and not enough approvers have said yes yet; workers never claim it. */
  'awaiting_approval',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  /** An approver said no, or nobody approved before the deadline; it never ran. */
  'rejected',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'rejected',
]);

export const STEP_STATES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface ExecutionStep {
  index: number;
  name: string;
  state: StepState;
  exitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Why it failed or was skipped, in words. */
  reason: string | null;
  /** The errorHandler's outcome, when the step failed and had one. */
  handlerState: StepState | null;
  handlerExitCode: number | null;
  /** The execution a `job:` step started. */
  childExecutionId: number | null;
  /** Number of the first log line of this step. */
  logFirstLine: number | null;
}

/** What fired an execution: an event, through a rule (`project/name`). */
export interface ExecutionCause {
  eventId: number;
  rule: string;
}

export interface Execution {
  id: number;
  jobId: number | null;
  project: string;
  job: string;
  jobRevision: number;
  /** The job as it was when this execution was queued. */
  spec: JobSpec;
  /**
   * The options as shown (API, audit, notifications, rules): an option whose value shows a
   * secret the execution receives reads `*****`.
   */
  options: OptionValues;
  /** The options as given, which its steps receive; only the worker reads them. */
  runOptions: OptionValues;
  /** Names of the options masked in `options`. */
  maskedOptions: string[];
  requestedBy: string;
  state: ExecutionState;
  attempt: number;
  /** The first attempt of this retry chain. */
  retryOf: number | null;
  parentId: number | null;
  depth: number;
  concurrencyKey: string | null;
  /** Only a worker of this group may run it. */
  workerGroup: string | null;
  queuedAt: Date;
  runAfter: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number | null;
  reason: string | null;
  leaseOwner: string | null;
  cancelRequestedAt: Date | null;
  cancelRequestedBy: string | null;
  /** While awaiting approval: when the request is rejected unless approved first. */
  approvalExpiresAt: Date | null;
  log: { lines: number; bytes: number; discardedBytes: number };
  /** The event and rule that fired it; null when a person, schedule or parent job did. */
  cause: ExecutionCause | null;
  /** The JSON object its steps wrote to $BATON_OUTPUT (secrets masked); null when none. */
  output: Record<string, unknown> | null;
  /** Why the output was not kept: invalid JSON, not an object, too large. */
  outputError: string | null;
  /** The node this fan-out child runs its steps on (over SSH); null otherwise. */
  node: string | null;
  /** The nodes a fan-out parent matched when it was requested; null when it runs on the worker. */
  nodes: string[] | null;
}
