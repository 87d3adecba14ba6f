/**
 * Notifications: project-level `spec.notifications`, and the outbox of deliveries. A state
 * change of an execution inserts delivery rows; a dispatcher loop sends them, claiming each
 * row for a while so that several servers never send the same one twice at once.
 */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema.alterTable('projects').addColumn('notifications', json).execute();

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('execution_id', big, (c) =>
      // Deliveries go with their execution when retention deletes it.
      c.notNull().references('executions.id').onDelete('cascade'),
    )
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // 'job' or 'project', and the index in that spec.notifications: with event and execution,
    // what makes enqueueing idempotent when a state change is recorded twice.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_index', 'integer', (c) => c.notNull())
    // The notification as written (secret paths, never values) and the payload to send.
    .addColumn('target', json, (c) => c.notNull())
    .addColumn('payload', json, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', big)
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', big)
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('delivered_at', big)
    .addUniqueConstraint('notification_deliveries_once', ['execution_id', 'event', 'source', 'source_index'])
    .execute();
  // The dispatcher's question: which pending deliveries are due.
  await db.schema
    .createIndex('notification_deliveries_due')
    .on('notification_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();

  await db.schema
    .createTable('notification_attempts')
    .addColumn('delivery_id', big, (c) =>
      c.notNull().references('notification_deliveries.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('notification_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}
