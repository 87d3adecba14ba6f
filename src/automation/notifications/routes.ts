/** Notification deliveries over HTTP: what was sent for an execution, and how it went. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { NOTIFICATION_CHANNELS, NOTIFICATION_EVENTS, type NotificationDelivery } from './model.js';
import { listDeliveries } from './store.js';
import { idParams } from '../../platform/http/params.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const deliveryView = z.object({
  id: z.number(),
  event: z.enum(NOTIFICATION_EVENTS),
  channel: z.enum(NOTIFICATION_CHANNELS),
  source: z.enum(['job', 'project']),
  destination: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
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

function viewDelivery(delivery: NotificationDelivery): z.infer<typeof deliveryView> {
  return {
    id: delivery.id,
    event: delivery.event,
    channel: delivery.channel,
    source: delivery.source,
    destination: delivery.destination,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: iso(delivery.deliveredAt),
    history: delivery.history.map((attempt) => ({ ...attempt, at: attempt.at.toISOString() })),
  };
}

/** GET /api/v1/executions/:id/notifications. */
export function registerNotificationRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'executions'>): void {
  app.get(
    '/api/v1/executions/:id/notifications',
    {
      // Whoever may view the execution may see its deliveries (checked by executions.get).
      config: { access: 'authenticated' },
      schema: {
        description: 'Notification deliveries of an execution: channel, event, status, attempts, last error.',
        params: idParams,
        response: { 200: z.object({ deliveries: z.array(deliveryView) }) },
      },
    },
    async (request) => {
      const execution = await baton.executions.get(principalOf(request), request.params.id);
      return { deliveries: (await listDeliveries(baton.db, execution.id)).map(viewDelivery) };
    },
  );
}
