/** GET /api/v1/events, /events/:id, /rules and /hooks as the UI reads them. */
import type { ExecutionState } from './types';

/** What one rule did with an event (or with an execution the event caused, for a chained rule). */
export type RuleOutcome = 'triggered' | 'deduplicated' | 'throttled' | 'refused' | 'error';

export interface RuleMatch {
  /** PROJECT/NAME of the rule. */
  rule: string;
  outcome: RuleOutcome;
  executionId: number | null;
  reason: string | null;
  /** The finished execution a chained rule matched; null when the event itself matched. */
  triggerExecutionId: number | null;
  at: string;
}

export interface EventSummary {
  id: number;
  project: string;
  /** Null for an event made by a finished execution. */
  hook: string | null;
  format: 'alertmanager' | 'json' | 'execution' | string;
  receivedAt: string;
  fingerprint: string;
  /** What it is about in one line (the server's eventSummary). */
  summary: string;
  payloadBytes: number;
  matches: RuleMatch[];
}

export interface EventPage {
  events: EventSummary[];
  /** The cursor of the next, older page; null on the last page. */
  next: number | null;
}

/** One step of an event's chain: a rule's outcome, the execution it started and what that caused. */
export interface ChainNode {
  rule: string;
  outcome: RuleOutcome;
  reason: string | null;
  at: string;
  execution: {
    id: number;
    job: string;
    /** `deleted` once retention removed it. */
    state: ExecutionState | 'deleted';
    exitCode: number | null;
    output: unknown;
  } | null;
  next: ChainNode[];
}

export interface EventDetail {
  event: Omit<EventSummary, 'matches'> & { payload: Record<string, unknown> };
  chain: ChainNode[];
}

export interface Rule {
  project: string;
  name: string;
  description: string | null;
  /** `hook:NAME` or `execution:PROJECT/JOB`. */
  on: string;
  when: string | null;
  job: string;
  options: Record<string, unknown>;
  dedup: { key?: string; window: string } | null;
  throttle: { max: number; per: string } | null;
  /** Whose permissions its executions run with. */
  owner: string;
  /** spec.runAs as written; without it the owner is whoever applied it. */
  runAs: string | null;
  enabled: boolean;
  updatedAt: string;
  updatedBy: string;
}

export interface Hook {
  project: string;
  name: string;
  description: string | null;
  /** The URL path callers post to. */
  path: string;
  format: 'alertmanager' | 'json';
  auth: 'hmac' | 'token';
  /** The secret path holding the key (never the key). */
  secret: string;
  maxBytes: number;
  updatedAt: string;
  updatedBy: string;
}
