/**
 * The shapes of the HTTP API responses the CLI reads. Written from the wire format (the
 * OpenAPI description), not imported from the server, because the CLI is a client of the API
 * and may talk to a server of another version.
 */

// Executions, jobs, logs, schedules and workers are described once, in src/contract/.
import type { ApprovalDecisionView, ApprovalRequirementView } from '../contract/approvals.js';
import type { ExecutionView } from '../contract/executions.js';

export interface WhoAmIResponse {
  user: { name: string; isAdmin: boolean };
}

export interface UserView {
  name: string;
  kind: 'user' | 'service';
  displayName: string | null;
  /** Present for administrators, and for the caller's own entry. */
  isAdmin?: boolean;
  email?: string | null;
  disabled?: boolean;
  signIn?: ('password' | 'oidc' | 'token')[];
  createdAt?: string;
}

export interface UserResponse {
  user: UserView;
}

export interface UsersResponse {
  users: UserView[];
}

export interface ApplyResultView {
  kind: string;
  scope: string;
  name: string;
  action: 'created' | 'updated' | 'unchanged' | 'deleted';
  file?: string;
  diff?: string;
}

export interface ApplyResponse {
  dryRun: boolean;
  results: ApplyResultView[];
}

export interface ApprovalsResponse {
  approvals: {
    execution: ExecutionView;
    required: ApprovalRequirementView;
    decisions: ApprovalDecisionView[];
  }[];
}

export interface TokenScopeView {
  action: string;
  resource?: string;
}

export interface TokenView {
  id: number;
  name: string;
  prefix: string;
  owner: string;
  ownerKind: 'user' | 'service';
  scopes: TokenScopeView[] | null;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** POST /api/v1/tokens: the token's value, shown this once, with its listing. */
export interface CreatedTokenResponse extends TokenView {
  token: string;
}

export interface TokensResponse {
  tokens: TokenView[];
}

export interface AuditRecordView {
  seq: number;
  at: string;
  actor: string;
  address: string | null;
  action: string;
  target: string;
  summary: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditListResponse {
  records: AuditRecordView[];
  next: number | null;
}

export interface AuditVerifyResponse {
  ok: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  headSeq: number;
  headHash: string;
  problems: { seq: number; problem: string }[];
}

export interface DecisionView {
  allowed: boolean;
  reason: string;
  rules: { source: string; effect: 'allow' | 'deny'; subject: string; action: string; resource: string }[];
}

export interface PolicyTestResponse {
  user: string;
  action: string;
  resource: string;
  decision: DecisionView;
}

export interface TeamsResponse {
  teams: {
    name: string;
    description: string | null;
    members: { name: string; role: string; origin: string }[];
  }[];
}

export interface ServicesResponse {
  services: {
    name: string;
    description: string | null;
    owner: string;
    lifecycle: string;
    links: { title: string; url: string }[];
  }[];
}

/** A secret as the API shows it: never its value. */
export interface SecretView {
  path: string;
  version: number;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretResponse {
  secret: SecretView;
}

export interface SecretsResponse {
  secrets: SecretView[];
}

export interface KeyRotationResponse {
  keyId: string;
  resealed: number;
  unchanged: number;
}

/** `GET /api/v1/usage`: how operations were used in a window (see src/insights/usage/model.ts). */
export interface UsageResponse {
  window: { since: string; until: string };
  truncated: boolean;
  days: { day: string; executions: number; succeeded: number; failed: number; other: number }[];
  byJob: {
    project: string;
    job: string;
    executions: number;
    succeeded: number;
    failed: number;
    successRate: number | null;
    durationMs: { p50: number; p95: number; max: number } | null;
  }[];
  byUser: { user: string; executions: number; successRate: number | null; onBehalfOf: string[] }[];
  byTeam: { team: string; executions: number; successRate: number | null }[];
  timeSaved: {
    totalMinutes: number;
    byJob: {
      project: string;
      job: string;
      executions: number;
      manualMinutes: number;
      runMinutes: number;
      minutes: number;
    }[];
  };
}

/** What one rule did with an event (`GET /api/v1/events`). */
export interface RuleMatchView {
  rule: string;
  outcome: string;
  executionId: number | null;
  reason: string | null;
  triggerExecutionId: number | null;
  at: string;
}

export interface EventView {
  id: number;
  project: string;
  hook: string | null;
  format: string;
  receivedAt: string;
  fingerprint: string;
  /** What it is about in one line: an alert's status and telling labels, or the first keys. */
  summary: string;
  payloadBytes: number;
  matches: RuleMatchView[];
}

export interface EventsResponse {
  events: EventView[];
  next: number | null;
}

/** One link of an event's chain: a rule's outcome and the execution it started, and what that caused. */
export interface ChainNodeView {
  rule: string;
  outcome: string;
  reason: string | null;
  at: string;
  execution: { id: number; job: string; state: string; exitCode: number | null; output: unknown } | null;
  next: ChainNodeView[];
}

export interface EventDetailResponse {
  event: Omit<EventView, 'matches'> & { payload: Record<string, unknown> };
  chain: ChainNodeView[];
}

export interface RuleView {
  project: string;
  name: string;
  description: string | null;
  on: string;
  when: string | null;
  job: string;
  options: Record<string, unknown>;
  dedup: { key?: string; window: string } | null;
  throttle: { max: number; per: string } | null;
  owner: string;
  enabled: boolean;
}

export interface RulesResponse {
  rules: RuleView[];
}
