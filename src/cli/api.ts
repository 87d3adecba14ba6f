/**
 * The shapes of the HTTP API responses the CLI reads. Written from the wire format (the
 * OpenAPI description), not imported from the server, because the CLI is a client of the API
 * and may talk to a server of another version.
 */

export interface JobSummary {
  project: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  revision: number;
  updatedAt: string;
  updatedBy: string;
  options: {
    name: string;
    type: string;
    description?: string;
    required?: boolean;
    default?: unknown;
    values?: (string | number)[];
  }[];
  steps: string[];
}

/** A job in the catalog (`GET /api/v1/jobs`): its summary, last execution and 30-day statistics. */
export interface JobCatalogEntry extends JobSummary {
  lastExecution: { id: number; state: string; finishedAt: string | null } | null;
  stats: { executions: number; successRate: number | null; p50Ms: number | null; p95Ms: number | null };
}

export interface JobsResponse {
  jobs: JobCatalogEntry[];
}

/** One job (`GET /api/v1/jobs/PROJECT/NAME`): the catalog entry, its YAML and what the caller may do. */
export interface JobDetailResponse {
  job: JobCatalogEntry & {
    source: string;
    allowed: { run: boolean; readLogs: boolean };
  };
}

export interface ExecutionView {
  id: number;
  project: string;
  job: string;
  jobRevision: number;
  state: string;
  options: Record<string, unknown>;
  requestedBy: string;
  attempt: number;
  retryOf: number | null;
  parentId: number | null;
  /** The node a run on nodes ran this part on; null for every other execution. */
  node: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  reason: string | null;
  cancelRequestedAt: string | null;
  log: { lines: number; bytes: number; discardedBytes: number };
  /** What the steps wrote to $BATON_OUTPUT (servers before events omit it). */
  output?: Record<string, unknown> | null;
  outputError?: string | null;
  /** The event and rule that fired it. */
  cause?: { eventId: number; rule: string } | null;
}

export interface StepView {
  index: number;
  name: string;
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  reason: string | null;
  handlerState: string | null;
  handlerExitCode: number | null;
  childExecutionId: number | null;
  logFirstLine: number | null;
}

export interface ApprovalDecisionView {
  approver: string;
  decision: 'approved' | 'rejected';
  comment: string | null;
  at: string;
}

export interface ApprovalRequirementView {
  /** `team/NAME`, `user/NAME`. */
  approvers: string[];
  count: number;
  expires: string;
  expiresAt: string | null;
}

export interface ExecutionDetailView extends ExecutionView {
  waitingFor: string | null;
  /** Present when the job required approval. */
  approval?: { required: ApprovalRequirementView; decisions: ApprovalDecisionView[] } | null;
  workerGroup: string | null;
  steps: StepView[];
  attempts: { id: number; attempt: number; state: string; exitCode: number | null; reason: string | null }[];
}

export interface ExecutionResponse {
  execution: ExecutionView;
}

export interface ExecutionDetailResponse {
  execution: ExecutionDetailView;
}

export interface ApprovalsResponse {
  approvals: {
    execution: ExecutionView;
    required: ApprovalRequirementView;
    decisions: ApprovalDecisionView[];
  }[];
}

export interface ExecutionsResponse {
  executions: ExecutionView[];
  next: number | null;
}

export interface LogLineView {
  /** Line number, from 0. */
  n: number;
  /** Epoch milliseconds. */
  t: number;
  s: 'stdout' | 'stderr' | 'system';
  text: string;
}

export interface LogResponse {
  lines: LogLineView[];
  next: number;
  complete: boolean;
}

/** The data of the final `end` event of a log stream. */
export interface LogEnd {
  state: string;
  exitCode: number | null;
  reason: string | null;
}

export interface WorkerView {
  name: string;
  host: string;
  pid: number;
  groups: string[];
  concurrency: number;
  running: number;
  version: string;
  embedded: boolean;
  state: 'alive' | 'stopped' | 'lost';
  startedAt: string;
  heartbeatAt: string;
}

export interface WorkersResponse {
  workers: WorkerView[];
}

// The schedule answer is shared with the web's schedules page, so it lives in the contract.
export type { ScheduleView, SchedulesResponse } from '../contract/schedules.js';
