/**
 * Row types, exactly as stored (snake_case, epoch-millisecond timestamps, JSON as text or jsonb).
 * Domain types live beside each capability and are converted from these in one parser there.
 */
import type { ColumnType, Generated } from 'kysely';

/** JSON is written as a string on both dialects and read back as a string (SQLite) or a value (jsonb). */
export type JsonColumn = ColumnType<unknown, string, string>;

export interface UsersTable {
  id: Generated<number>;
  name: string;
  is_admin: number;
  created_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** The first characters of the token, shown in listings so people can tell tokens apart. */
  prefix: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ProjectsTable {
  name: string;
  created_at: number;
  description: string | null;
  /** Overrides the global retention of executions and logs for this project. */
  retention_ms: number | null;
}

export interface JobsTable {
  id: Generated<number>;
  project: string;
  name: string;
  description: string;
  labels: JsonColumn;
  spec: JsonColumn;
  /** The YAML of the document as it was applied, for people to read. */
  source: string;
  /** Hash of the canonical document, to tell "unchanged" from "updated". */
  digest: string;
  revision: number;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface ExecutionsTable {
  id: Generated<number>;
  job_id: number | null;
  project: string;
  job_name: string;
  job_revision: number;
  /** The job spec as it was when queued: edits to the job never change a queued run. */
  spec: JsonColumn;
  options: JsonColumn;
  requested_by: string;
  state: string;
  attempt: Generated<number>;
  /** First attempt of a retry chain; null on the first attempt itself. */
  retry_of: number | null;
  /** The execution whose `job:` step started this one. */
  parent_id: number | null;
  depth: Generated<number>;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  /** Only workers of this group may claim the execution. */
  worker_group: string | null;
  /** 1 when a lost worker's execution is re-queued instead of failed. */
  retry_on_worker_loss: Generated<number>;
  queued_at: number;
  /** Not claimable before this time (retry backoff). */
  run_after: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  reason: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  cancel_requested_at: number | null;
  cancel_requested_by: string | null;
  log_lines: Generated<number>;
  log_bytes: Generated<number>;
  log_discarded_bytes: Generated<number>;
}

export interface ExecutionStepsTable {
  execution_id: number;
  idx: number;
  name: string;
  state: string;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  reason: string | null;
  handler_state: string | null;
  handler_exit_code: number | null;
  child_execution_id: number | null;
  /** Number of the first log line this step produced, to jump to it. */
  log_first_line: number | null;
  /** Where the step's process runs while it runs: host, pid and its start time (pids are reused). */
  host: string | null;
  pid: number | null;
  pid_start_time: string | null;
}

export interface LogChunksTable {
  execution_id: number;
  seq: number;
  first_line: number;
  line_count: number;
  raw_bytes: number;
  data: Uint8Array;
  created_at: number;
}

export interface WorkersTable {
  name: string;
  host: string;
  pid: number;
  groups: JsonColumn;
  concurrency: number;
  running: Generated<number>;
  version: string;
  /** 1 for the worker inside a server. */
  embedded: Generated<number>;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

export interface DutyLeasesTable {
  name: string;
  owner: string;
  expires_at: number;
}

export interface Schema {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  projects: ProjectsTable;
  jobs: JobsTable;
  executions: ExecutionsTable;
  execution_steps: ExecutionStepsTable;
  log_chunks: LogChunksTable;
  workers: WorkersTable;
  duty_leases: DutyLeasesTable;
}
