/** Notification deliveries over HTTP: what was sent for an execution, and how it went. */
import { deliveriesResponse, type DeliveryView } from '../../contract/notifications.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { ExecutionService } from '../executions/service.js';
import type { NotificationDelivery } from './model.js';
import { listDeliveries } from './store.js';
import { idParams } from '../../platform/http/params.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function viewDelivery(delivery: NotificationDelivery): DeliveryView {
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
/** What the notification routes use of the server. */
export interface NotificationRoutesDeps {
  db: Db;
  executions: Pick<ExecutionService, 'get'>;
}

export function registerNotificationRoutes(app: HttpApp, baton: NotificationRoutesDeps): void {
  app.get(
    '/api/v1/executions/:id/notifications',
    {
      // Whoever may view the execution may see its deliveries (checked by executions.get).
      config: { access: 'authenticated' },
      schema: {
        description: 'Notification deliveries of an execution: channel, event, status, attempts, last error.',
        params: idParams,
        response: { 200: deliveriesResponse },
      },
    },
    async (request) => {
      const execution = await baton.executions.get(principalOf(request), request.params.id);
      return { deliveries: (await listDeliveries(baton.db, execution.id)).map(viewDelivery) };
    },
  );
}
