/** The states an execution and its steps go through, as the API reports them and the web shows them. */

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
