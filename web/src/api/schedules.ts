/** GET /api/v1/schedules and GET /api/v1/executions/:id/notifications as the UI reads them. */
import type { ExecutionState } from './types';

/** queued: it started an execution; skipped_misfire: its time passed while no server was up; refused: its owner may not run the job (or the options no longer fit). */
export type FireOutcome = 'queued' | 'skipped_misfire' | 'refused';

export interface Schedule {
  project: string;
  name: string;
  /** The job it runs, in the same project. */
  job: string;
  /** The job whose spec.schedules defines it; null for a kind: Schedule document. */
  definedByJob: string | null;
  description: string | null;
  cron: string;
  timezone: string;
  options: Record<string, unknown>;
  enabled: boolean;
  misfire: 'skip' | 'runOnce';
  /** The user or service account its executions run as. */
  owner: string;
  runAs: string | null;
  /** Soonest first; empty while disabled. The first may be just past while a server fires it. */
  nextFireTimes: string[];
  lastFire: {
    scheduledAt: string;
    firedAt: string;
    outcome: FireOutcome;
    reason: string | null;
    /** Null when nothing was queued; its state is null once retention deleted it. */
    execution: { id: number; state: ExecutionState | null } | null;
  } | null;
  updatedAt: string;
  updatedBy: string;
}

export interface ScheduleList {
  schedules: Schedule[];
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NotificationDelivery {
  id: number;
  event: 'started' | 'succeeded' | 'failed' | 'timed_out' | 'approval_needed';
  channel: 'webhook' | 'slack' | 'email';
  /** Whether the job's or the project's spec.notifications asked for it. */
  source: 'job' | 'project';
  /** Where it goes, without credentials: the webhook URL, `slack`, or the recipients. */
  destination: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  history: {
    attempt: number;
    at: string;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
  }[];
}
