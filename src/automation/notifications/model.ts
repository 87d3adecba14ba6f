/**
 * `spec.notifications` of jobs and projects: which execution events go to which receiver. A
 * receiver's credentials (webhook signing key, Slack URL, SMTP password) are secret paths,
 * never values, so a document never carries them and applying it needs `run` on each secret.
 */
import { z } from 'zod';
import { secretPath } from '../../access/secrets/model.js';
import type { FieldPath } from '../../platform/documents/source.js';
import { didYouMean } from '../../platform/suggest.js';

// The enums the API sends live in the contract, so the CLI and the web read the same lists.
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_EVENTS,
  type NotificationChannel,
  type NotificationEvent,
} from '../../contract/notifications.js';
export {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_EVENTS,
  type NotificationChannel,
  type NotificationEvent,
} from '../../contract/notifications.js';

const notificationEvent = z.string().superRefine((event, ctx) => {
  if (!(NOTIFICATION_EVENTS as readonly string[]).includes(event)) {
    ctx.addIssue({
      code: 'custom',
      message:
        `unknown event "${event}"${didYouMean(event, NOTIFICATION_EVENTS)}; ` +
        `events are ${NOTIFICATION_EVENTS.join(', ')}`,
    });
  }
});

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not a URL: "${value}"` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `must be an http or https URL, not ${url.protocol}` });
  }
});

const emailAddress = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an email address');

export const webhookTarget = z.strictObject({
  url: httpUrl,
  /** Secret whose value is the HMAC-SHA256 key of the X-Baton-Signature header. */
  secret: secretPath,
});

export const slackTarget = z.strictObject({
  /** Secret whose value is the incoming-webhook URL (the URL itself is the credential). */
  url: secretPath,
});

export const emailTarget = z.strictObject({
  to: z.array(emailAddress).min(1),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().optional(),
    user: z.string().min(1).optional(),
    /** Secret whose value is the SMTP password. */
    password: secretPath.optional(),
    from: emailAddress,
  }),
});

export const notificationSpec = z
  .strictObject({
    on: z.array(notificationEvent).min(1),
    webhook: webhookTarget.optional(),
    slack: slackTarget.optional(),
    email: emailTarget.optional(),
  })
  .superRefine((notification, ctx) => {
    const channels = NOTIFICATION_CHANNELS.filter((channel) => notification[channel] !== undefined);
    if (channels.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'must have exactly one of webhook, slack or email' });
    }
    if (notification.email?.smtp.password !== undefined && notification.email.smtp.user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['email', 'smtp', 'user'], message: 'is required with password' });
    }
  });
export type NotificationSpec = z.output<typeof notificationSpec>;

/** `spec.notifications` of a job or a project. */
export const notificationsSpec = z.array(notificationSpec);

/** The channel a (validated) notification uses. */
export function channelOf(notification: NotificationSpec): NotificationChannel {
  return NOTIFICATION_CHANNELS.find((channel) => notification[channel] !== undefined)!;
}

/** Every secret path the notifications name, with the field that names it (under `base`). */
export function notificationSecrets(
  notifications: readonly NotificationSpec[] | undefined,
  base: FieldPath,
): { path: string; field: FieldPath }[] {
  const named: { path: string; field: FieldPath }[] = [];
  notifications?.forEach((notification, index) => {
    const at = [...base, index];
    if (notification.webhook)
      named.push({ path: notification.webhook.secret, field: [...at, 'webhook', 'secret'] });
    if (notification.slack) named.push({ path: notification.slack.url, field: [...at, 'slack', 'url'] });
    if (notification.email?.smtp.password !== undefined) {
      named.push({ path: notification.email.smtp.password, field: [...at, 'email', 'smtp', 'password'] });
    }
  });
  return named;
}

/** A delivery as the API shows it: never a secret value, only what was sent and how it went. */
export interface NotificationDelivery {
  id: number;
  executionId: number;
  event: NotificationEvent;
  channel: NotificationChannel;
  /** `job` or `project`: whose spec.notifications asked for it. */
  source: 'job' | 'project';
  /** Where it goes, without credentials: the webhook URL, `slack`, or the recipients. */
  destination: string;
  /** pending (waiting for its next attempt), delivered, or failed (gave up). */
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
  history: NotificationAttempt[];
}

export interface NotificationAttempt {
  attempt: number;
  at: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}
