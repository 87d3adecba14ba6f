/** The execution detail, its log and log searches, as GET /api/v1/executions/:id/… answer them. */
import type { ApprovalDecision, ApprovalRequirement } from './approvals';
import type { Execution, ExecutionState } from './types';

export type StepState =
  'pending' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'skipped';

export interface ExecutionStep {
  index: number;
  name: string;
  state: StepState;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why it failed or was skipped, in words. */
  reason: string | null;
  /** The errorHandler's outcome, when the step failed and had one. */
  handlerState: StepState | null;
  handlerExitCode: number | null;
  /** The execution a `job:` step started. */
  childExecutionId: number | null;
  /** Number (from 0) of the step's first log line. */
  logFirstLine: number | null;
}

export interface ExecutionAttempt {
  id: number;
  attempt: number;
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ExecutionDetail extends Execution {
  /** Why a queued or awaiting execution has not started yet. */
  waitingFor: string | null;
  approval: { required: ApprovalRequirement; decisions: ApprovalDecision[] } | null;
  steps: ExecutionStep[];
  /** Every attempt of this execution's retry chain, this one included. */
  attempts: ExecutionAttempt[];
  /** A fan-out parent's child execution on each node that started. */
  nodeRuns: NodeRun[];
}

/** One node of a fan-out: the child execution that ran the steps there. */
export interface NodeRun {
  node: string;
  executionId: number;
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One log line: n counts from 0 across all steps; t is epoch milliseconds. */
export interface LogLine {
  n: number;
  t: number;
  s: LogStream;
  text: string;
}

export interface LogRange {
  lines: LogLine[];
  /** The line number to ask for next. */
  next: number;
  /** The execution has finished and no line follows `next`. */
  complete: boolean;
}

export interface LogSearchPage {
  /** Numbers of the matching lines, ascending. */
  matches: number[];
  /** The line number the next request resumes from. */
  next: number;
  /** The scan reached the last line written so far. */
  done: boolean;
  scanned: number;
}

/** What GET /api/v1/executions/:id/log/stream's `end` event carries. */
export interface LogStreamEnd {
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The API path of an execution, and of its log routes. */
export const executionPath = (id: number) => `/api/v1/executions/${id}`;
