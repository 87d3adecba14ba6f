/** GET /api/v1/schedules and GET /api/v1/executions/:id/notifications as the UI reads them. */

// The contract's description of the answer, the CLI's too: one definition for both clients.
export type {
  ScheduleView as Schedule,
  SchedulesResponse as ScheduleList,
} from '../../../src/contract/schedules.js';

export type {
  DeliveryStatus,
  DeliveryView as NotificationDelivery,
} from '../../../src/contract/notifications.js';
