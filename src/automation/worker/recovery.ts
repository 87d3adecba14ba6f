/**
 * Lease recovery: the duty that makes sure no execution stays "running" after its worker is
 * gone. Runs in whichever process holds the duty lease.
 */
import type { Db } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Duty } from '../../platform/duties.js';
import { recoverExpiredLeases } from '../executions/store.js';
import { deleteGoneWorkers } from './store.js';
import { queueNotifications } from '../notifications/outbox.js';

/** Re-queues (retryOnWorkerLoss) or fails the executions whose lease expired. */
export function leaseRecoveryDuty(ctx: { db: Db; events: EventBus; logger: Logger; metrics: Metrics }): Duty {
  return {
    name: 'lease-recovery',
    everyMs: 1000,
    run: async (now) => {
      const { failed, requeued } = await recoverExpiredLeases(ctx.db, now, 'worker lost: its lease expired');
      for (const execution of failed) {
        ctx.logger.warn({ execution: execution.id }, 'failed an execution whose worker was lost');
        ctx.metrics.recovered.inc({ outcome: 'failed' });
        ctx.metrics.executionsFinished.inc({ state: 'failed' });
        await queueNotifications(ctx, execution, 'failed');
        ctx.events.publish('execution', execution.id);
      }
      for (const id of requeued) {
        ctx.logger.warn({ execution: id }, 're-queued an execution whose worker was lost');
        ctx.metrics.recovered.inc({ outcome: 'requeued' });
        ctx.events.publish('execution', id);
      }
      if (requeued.length > 0) ctx.events.publish('queue');
    },
  };
}

/** Forgets workers that have been gone for a day, so the registry shows what exists. */
export function workerCleanupDuty(db: Db): Duty {
  return {
    name: 'worker-cleanup',
    everyMs: 60 * 60_000,
    run: async (now) => {
      await deleteGoneWorkers(db, now - 24 * 60 * 60_000);
    },
  };
}
