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
  /** 'user' for people, 'service' for service accounts. */
  kind: Generated<string>;
  /** scrypt hash with its parameters; null when the user signs in only through OIDC or not at all. */
  password_hash: string | null;
  display_name: string | null;
  email: string | null;
  disabled_at: number | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
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
  /** What the token may be used for, narrower than its owner; null: everything the owner may. */
  scopes: JsonColumn | null;
  created_by: string | null;
  revoked_by: string | null;
}

export interface SessionsTable {
  /** SHA-256 of the session id in the cookie; the id itself is never stored. */
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  address: string | null;
  user_agent: string | null;
}

export interface SignInThrottleTable {
  /** `user:NAME` or `address:IP`. */
  key: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

export interface OidcLoginsTable {
  state: string;
  code_verifier: string;
  nonce: string;
  return_to: string | null;
  created_at: number;
}

export interface TeamsTable {
  name: string;
  description: string | null;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface TeamMembersTable {
  team: string;
  user_name: string;
  /** 'member' or 'maintainer'. */
  role: string;
  /** 'document' (a Team document) or 'oidc' (a group claim at sign-in). */
  origin: string;
}

/** SLO documents as applied: baton/v1 SLO, the OpenSLO v1 kinds, Sloth files (kind `Sloth`). */
export interface SloDocumentsTable {
  api_version: string;
  kind: string;
  name: string;
  document: JsonColumn;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

/** `kind: ErrorBudgetPolicy` documents. */
export interface BudgetPoliciesTable {
  name: string;
  spec: JsonColumn;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

/** Good and total per SLO objective per slice, as measured. `slo` is `service/name`. */
export interface SloSlicesTable {
  slo: string;
  objective: number;
  slice_start: number;
  good: number;
  total: number;
}

/** How far an SLO's slices are measured, for the definition whose digest is `fingerprint`. */
export interface SloMeasureMarksTable {
  slo: string;
  fingerprint: string;
  /** Slices starting before this are final; the next round re-measures from here. */
  measured_until: number;
  /** When the round that measured them ran (pushed counts after it are new). */
  measured_at: number;
}

/** Counts POSTed for a `type: Pushed` indicator, per slice. */
export interface SloPushedCountsTable {
  slo: string;
  slice_start: number;
  good: number;
  total: number;
  pushed_at: number;
  pushed_by: string;
}

/** The latest evaluation of each SLO: the contract's SloStatus as JSON. */
export interface SloStatusTable {
  slo: string;
  service: string;
  status: JsonColumn;
  evaluated_at: number;
  no_data_since: number | null;
}

/** Burn-rate (and no-data) alerts; at most one open per SLO and severity. */
export interface SloAlertsTable {
  id: Generated<number>;
  slo: string;
  service: string;
  severity: string;
  opened_at: number;
  resolved_at: number | null;
  detail: JsonColumn;
}

/** Time spans taken out of a service's SLIs. */
export interface SloCorrectionsTable {
  id: Generated<number>;
  service: string;
  /** Null: every SLO of the service. */
  slo: string | null;
  starts_at: number;
  ends_at: number | null;
  reason: string;
  /** The maintenance execution that declared it; null for a manual correction. */
  execution_id: number | null;
  created_by: string;
  created_at: number;
}

/** Overrides of the budget gate on a service. */
export interface BudgetOverridesTable {
  id: Generated<number>;
  service: string;
  granted_by: string;
  reason: string;
  granted_at: number;
  expires_at: number;
  /** The execution the override was given for. */
  execution_id: number | null;
}

export interface ServicesTable {
  name: string;
  owner_team: string;
  /** experimental, production or deprecated. */
  lifecycle: string;
  description: string | null;
  links: JsonColumn;
  /** `metadata.labels` as JSON; null when the document has none (added by 0009_reliability). */
  labels: JsonColumn | null;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface PoliciesTable {
  name: string;
  description: string | null;
  spec: JsonColumn;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface SecretsTable {
  path: string;
  /** Which master key encrypted `value`. */
  key_id: string;
  /** nonce, tag and AES-256-GCM ciphertext. */
  value: Uint8Array;
  version: number;
  description: string | null;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface ApprovalsTable {
  id: Generated<number>;
  execution_id: number;
  approver: string;
  /** 'approved' or 'rejected'. */
  decision: string;
  comment: string | null;
  decided_at: number;
}

export interface AuditEventsTable {
  seq: number;
  at: number;
  actor: string;
  address: string | null;
  action: string;
  target: string;
  summary: JsonColumn;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  pruned_seq: number;
  pruned_hash: string;
}

export interface ProjectsTable {
  name: string;
  created_at: number;
  description: string | null;
  /** Overrides the global retention of executions and logs for this project. */
  retention_ms: number | null;
  /** The team that owns the project: its members may work in it without a policy. */
  owner_team: string | null;
  /** spec.notifications of the Project document: they apply to every job of the project. */
  notifications: JsonColumn | null;
}

export interface NotificationDeliveriesTable {
  id: Generated<number>;
  execution_id: number;
  project: string;
  job_name: string;
  event: string;
  channel: string;
  /** 'job' or 'project': whose spec.notifications, and which entry of it. */
  source: string;
  source_index: number;
  /** The notification as written: secret paths, never secret values. */
  target: JsonColumn;
  payload: JsonColumn;
  /** 'pending', 'delivered' or 'failed' (gave up after the last attempt). */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  claimed_by: string | null;
  claimed_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface NotificationAttemptsTable {
  delivery_id: number;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
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
  /** The catalog service the job acts on. */
  service: string | null;
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
  /** While awaiting approval: when the request is rejected for lack of decisions. */
  approval_expires_at: number | null;
  /** The JSON object the steps wrote to $BATON_OUTPUT, secrets masked; null when none. */
  output: JsonColumn | null;
  /** Why the output could not be kept (invalid JSON, too large). */
  output_error: string | null;
  /** The event (and the rule, `project/name`) that caused this execution. */
  cause_event_id: number | null;
  cause_rule: string | null;
  /** 1 from the finish until rules on finished executions have been evaluated for it. */
  chain_pending: Generated<number>;
  /** The node a fan-out child runs its steps on (over SSH); null for every other execution. */
  node: string | null;
  /** The node names a fan-out parent matched when it was requested (JSON list); null when it runs locally. */
  nodes: JsonColumn | null;
  /** Names of options whose value shows a secret the execution receives; null when none. */
  masked_options: JsonColumn | null;
  /** What admission gates said (a JSON list of AdmissionNote); null when none spoke. */
  admission: JsonColumn | null;
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
  /** A step on a node (its execution's node), while it runs: its private directory there. */
  remote_dir: string | null;
  /** When the remote orphan sweep first failed to reach the node for this step. */
  remote_unreachable_since: number | null;
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

export interface SchedulesTable {
  id: Generated<number>;
  project: string;
  name: string;
  job_name: string;
  /** The job whose `spec.schedules` defines it; null for a Schedule document. */
  defined_by_job: string | null;
  description: string | null;
  cron: string;
  timezone: string;
  options: JsonColumn;
  enabled: number;
  /** 'skip' or 'runOnce'. */
  misfire: string;
  /** `spec.runAs` as written. */
  run_as: string | null;
  /** The user or service account its executions run as: `run_as`, or whoever applied it. */
  owner: string;
  /** Null while disabled. */
  next_fire_at: number | null;
  /** The time the last fire was for, when a server handled it, what it did and why. */
  last_scheduled_at: number | null;
  last_fired_at: number | null;
  last_outcome: string | null;
  last_reason: string | null;
  last_execution_id: number | null;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

/** A node: a `kind: Node` document (source_name null) or one a node source brought. */
export interface NodesTable {
  name: string;
  source_name: string | null;
  labels: JsonColumn;
  spec: JsonColumn;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface NodeSourcesTable {
  name: string;
  spec: JsonColumn;
  source: string;
  digest: string;
  next_refresh_at: number;
  last_refresh_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  node_count: Generated<number>;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

/** A host key pinned on first use (trustOnFirstUse), one per node. */
export interface NodeHostKeysTable {
  node: string;
  host_key: string;
  fingerprint: string;
  pinned_at: number;
}

export interface HooksTable {
  project: string;
  name: string;
  description: string | null;
  /** 'alertmanager' or 'json'. */
  format: string;
  /** 'hmac' or 'token'. */
  auth: string;
  /** Where the key lives in the secret store; never the key. */
  secret_path: string;
  max_bytes: number;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface RulesTable {
  id: Generated<number>;
  project: string;
  name: string;
  description: string | null;
  /** `hook:NAME` or `execution:PROJECT/JOB`. */
  trigger: string;
  spec: JsonColumn;
  run_as: string | null;
  owner: string;
  enabled: number;
  source: string;
  digest: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface EventsTable {
  id: Generated<number>;
  project: string;
  hook: string | null;
  /** 'alertmanager', 'json' or 'execution'. */
  format: string;
  received_at: number;
  fingerprint: string;
  payload: JsonColumn;
  payload_bytes: number;
}

export interface EventMatchesTable {
  id: Generated<number>;
  event_id: number;
  rule_project: string;
  rule_name: string;
  /** The finished execution a chained rule matched; null when the event itself matched. */
  trigger_execution_id: number | null;
  outcome: string;
  execution_id: number | null;
  reason: string | null;
  at: number;
}

export interface RuleDedupTable {
  rule_id: number;
  dedup_key: string;
  until: number;
  event_id: number | null;
}

export interface RuleThrottleTable {
  rule_id: number;
  window_start: number;
  count: number;
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
  sessions: SessionsTable;
  sign_in_throttle: SignInThrottleTable;
  oidc_logins: OidcLoginsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  services: ServicesTable;
  slo_documents: SloDocumentsTable;
  budget_policies: BudgetPoliciesTable;
  slo_slices: SloSlicesTable;
  slo_pushed_counts: SloPushedCountsTable;
  slo_measure_marks: SloMeasureMarksTable;
  slo_status: SloStatusTable;
  slo_alerts: SloAlertsTable;
  slo_corrections: SloCorrectionsTable;
  budget_overrides: BudgetOverridesTable;
  policies: PoliciesTable;
  secrets: SecretsTable;
  approvals: ApprovalsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  schedules: SchedulesTable;
  notification_deliveries: NotificationDeliveriesTable;
  notification_attempts: NotificationAttemptsTable;
  hooks: HooksTable;
  rules: RulesTable;
  events: EventsTable;
  event_matches: EventMatchesTable;
  rule_dedup: RuleDedupTable;
  rule_throttle: RuleThrottleTable;
  nodes: NodesTable;
  node_sources: NodeSourcesTable;
  node_host_keys: NodeHostKeysTable;
}
