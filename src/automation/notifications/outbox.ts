/**
 * The one call state changes make: record that an execution reached an event, for the
 * dispatcher to deliver later. It never throws: a notification that cannot be queued is
 * logged, and the execution goes on as if it had none.
 */
import type { Db } from '../../platform/db/database.js';
import { coerceError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Execution, ExecutionState } from '../executions/model.js';
import type { NotificationEvent } from './model.js';
import { enqueueForExecution } from './store.js';

/** The notification event of a final state, when it has one (cancelled and rejected do not). */
export function finishEvent(state: ExecutionState): NotificationEvent | undefined {
  return state === 'succeeded' || state === 'failed' || state === 'timed_out' ? state : undefined;
}

/** Queues the execution's notifications for the event; logs and swallows any failure. */
export async function queueNotifications(
  ctx: { db: Db; logger: Logger },
  execution: Pick<Execution, 'id'>,
  event: NotificationEvent,
): Promise<void> {
  try {
    await enqueueForExecution(ctx.db, execution.id, event, { now: Date.now() });
  } catch (error) {
    ctx.logger.warn(
      { err: coerceError(error), execution: execution.id, event },
      'could not queue notifications',
    );
  }
}
