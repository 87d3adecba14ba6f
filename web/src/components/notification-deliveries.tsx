/**
 * The notifications an execution sent (webhooks, Slack, email): where each went, for which event,
 * and every attempt with its result, so "did the on-call get told?" has an answer on the page.
 * Folded unless a delivery is failing or gave up.
 */
import { useQuery } from '@tanstack/react-query';
import { get } from '../api/client';
import { executionPath } from '../api/executions';
import type { NotificationDelivery } from '../api/schedules';
import { formatState, formatTime } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import { attemptResult, deliveriesSummary } from '../pages/notifications-view';
import { ErrorMessage } from './common';

/** Retries wait 10 s at first; asking this often shows each one soon after it happened. */
const POLL_MS = 5000;

/** `live` while the execution has not finished: its finish may queue deliveries at any moment. */
export function NotificationDeliveries({ executionId, live }: { executionId: number; live: boolean }) {
  const deliveries = useQuery({
    queryKey: ['execution', executionId, 'notifications'],
    queryFn: ({ signal }) =>
      get<{ deliveries: NotificationDelivery[] }>(`${executionPath(executionId)}/notifications`, {}, signal),
    refetchInterval: (query) =>
      live || query.state.data?.deliveries.some((delivery) => delivery.status === 'pending')
        ? POLL_MS
        : false,
  });
  const list = deliveries.data?.deliveries ?? [];
  if (list.length === 0) return deliveries.error ? <ErrorMessage error={deliveries.error} /> : null;
  const troubled = list.some((delivery) => delivery.status === 'failed' || delivery.lastError !== null);
  return (
    <section aria-labelledby="notifications-heading" className="notification-deliveries">
      <details open={troubled}>
        <summary>
          <h2 id="notifications-heading">Notifications</h2>{' '}
          <span className={troubled ? 'delivery-failed' : 'muted'}>{deliveriesSummary(list)}</span>
        </summary>
        <ul className="delivery-list">
          {list.map((delivery) => (
            <li key={delivery.id}>
              <p>
                <span className={`delivery-status delivery-${delivery.status}`}>
                  {delivery.status === 'pending'
                    ? delivery.attempts > 0
                      ? 'retrying'
                      : 'waiting'
                    : delivery.status}
                </span>{' '}
                <strong>{delivery.channel}</strong> on <strong>{formatState(delivery.event)}</strong> to{' '}
                <code className="delivery-destination">{delivery.destination}</code>{' '}
                <span className="muted">(the {delivery.source}'s spec.notifications)</span>
              </p>
              {delivery.history.length > 0 && (
                <ol className="delivery-attempts">
                  {delivery.history.map((attempt) => (
                    <li key={attempt.attempt}>
                      <time dateTime={attempt.at}>{formatTime(attempt.at)}</time>{' '}
                      <span className={attempt.error ? 'delivery-failed' : 'delivery-delivered'}>
                        {attemptResult(attempt)}
                      </span>{' '}
                      <span className="muted">({formatDurationForUi(attempt.durationMs)})</span>
                    </li>
                  ))}
                </ol>
              )}
              {delivery.status === 'pending' && delivery.nextAttemptAt && (
                <p className="muted">next attempt at {formatTime(delivery.nextAttemptAt)}</p>
              )}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
