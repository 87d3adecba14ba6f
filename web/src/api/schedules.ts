/** GET /api/v1/schedules and GET /api/v1/executions/:id/notifications as the UI reads them. */

// The contract's description of the answer, the CLI's too: one definition for both clients.
export type {
  ScheduleView as Schedule,
  SchedulesResponse as ScheduleList,
} from '../../../src/contract/schedules.js';

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
