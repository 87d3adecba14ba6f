/** Notification deliveries on the wire: `GET /api/v1/executions/:id/notifications`. */
import { z } from 'zod';

/** The execution events a notification can be sent on. */
export const NOTIFICATION_EVENTS = [
  'started',
  'succeeded',
  'failed',
  'timed_out',
  'approval_needed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFICATION_CHANNELS = ['webhook', 'slack', 'email'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliveryView = z.object({
  id: z.number(),
  event: z.enum(NOTIFICATION_EVENTS),
  channel: z.enum(NOTIFICATION_CHANNELS),
  /** Whether the job's or the project's spec.notifications asked for it. */
  source: z.enum(['job', 'project']),
  /** Where it goes, without credentials: the webhook URL, `slack`, or the recipients. */
  destination: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  history: z.array(
    z.object({
      attempt: z.number(),
      at: z.string(),
      durationMs: z.number(),
      statusCode: z.number().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
export type DeliveryView = z.infer<typeof deliveryView>;

export const deliveriesResponse = z.object({ deliveries: z.array(deliveryView) });
export type DeliveriesResponse = z.infer<typeof deliveriesResponse>;
