/** How an execution's notification deliveries read: a one-line summary and each attempt's result. Pure. */
import type { NotificationDelivery } from '../api/schedules';

/** "2 delivered, 1 retrying, 1 failed": what someone scanning the page needs to know. */
export function deliveriesSummary(deliveries: readonly NotificationDelivery[]): string {
  const count = (status: NotificationDelivery['status']) =>
    deliveries.filter((delivery) => delivery.status === status).length;
  const parts = [
    [count('delivered'), 'delivered'],
    [count('pending'), 'retrying or waiting'],
    [count('failed'), 'gave up'],
  ] as const;
  return parts
    .filter(([number]) => number > 0)
    .map(([number, words]) => `${number} ${words}`)
    .join(', ');
}

/**
 * How one attempt went: the error as the server recorded it (it names the status code already), or
 * `HTTP 200` for a webhook, `sent` for an email the SMTP server accepted.
 */
export function attemptResult(attempt: { statusCode: number | null; error: string | null }): string {
  if (attempt.error) return attempt.error;
  return attempt.statusCode === null ? 'sent' : `HTTP ${attempt.statusCode}`;
}
