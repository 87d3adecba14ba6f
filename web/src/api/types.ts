/** The API's answers as the UI reads them (see GET /api/openapi.json for the full description). */

// The states are the contract's own list (src/contract/, shared with the server), so a state
// added there reaches the badges and filters here.
export { EXECUTION_STATES, type ExecutionState } from '../../../src/contract/execution-states.js';
import { TERMINAL_STATES, type ExecutionState } from '../../../src/contract/execution-states.js';
/** States an execution never leaves. */
export const FINISHED_STATES: ReadonlySet<string> = TERMINAL_STATES;

export interface JobOption {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'list' | 'secret';
  description?: string;
  required?: boolean;
  default?: unknown;
  pattern?: string;
  min?: number;
  max?: number;
  values?: (string | number)[];
  items?: 'string' | 'integer' | 'number' | 'boolean' | 'enum';
}

export interface JobStats {
  executions: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface JobSummary {
  project: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  revision: number;
  updatedAt: string;
  updatedBy: string;
  options: JobOption[];
  steps: string[];
  lastExecution: { id: number; state: ExecutionState; finishedAt: string | null } | null;
  stats: JobStats;
}

export interface JobDetail extends JobSummary {
  spec: Record<string, unknown>;
  source: string;
  allowed: { run: boolean; readLogs: boolean };
}

export interface Execution {
  id: number;
  project: string;
  job: string;
  jobRevision: number;
  state: ExecutionState;
  options: Record<string, unknown>;
  requestedBy: string;
  attempt: number;
  retryOf: number | null;
  parentId: number | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  reason: string | null;
  workerGroup: string | null;
  cancelRequestedAt: string | null;
  log: { lines: number; bytes: number; discardedBytes: number };
  /** The JSON object the steps wrote to $BATON_OUTPUT (secrets masked). */
  output: Record<string, unknown> | null;
  /** Why the output was not kept (invalid JSON, too large). */
  outputError: string | null;
  /** The event and rule that fired it; null when a person, schedule or parent job did. */
  cause: { eventId: number; rule: string } | null;
  /** The node a fan-out child runs its steps on. */
  node: string | null;
  /** The nodes a fan-out parent matched when it was requested. */
  nodes: string[] | null;
}

export interface ExecutionPage {
  executions: Execution[];
  next: number | null;
}
