/** Executions: one run of a job, a row in the queue from the moment it is requested. */
import type { AdmissionNote } from './admission.js';
import type { JobSpec } from '../jobs/model.js';
import type { OptionValues } from '../jobs/options.js';

// The states are part of the contract: the web lists and colours them, the CLI prints them.
export {
  EXECUTION_STATES,
  STEP_STATES,
  TERMINAL_STATES,
  type ExecutionState,
  type StepState,
} from '../../contract/execution-states.js';
import type { ExecutionState, StepState } from '../../contract/execution-states.js';

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
  /** What the admission gates said when it was created (approval asked, override used); null when none spoke. */
  admission: AdmissionNote[] | null;
}
