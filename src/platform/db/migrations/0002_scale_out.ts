/**
 * Scale-out: registered workers with heartbeats, worker groups on executions, once-only duties
 * held by a lease row, retention per project, and the pid of each running step.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema
    .createTable('workers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('groups', json, (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('running', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('embedded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', big, (c) => c.notNull())
    .addColumn('heartbeat_at', big, (c) => c.notNull())
    .addColumn('stopped_at', big)
    .execute();

  await db.schema.alterTable('executions').addColumn('worker_group', 'text').execute();
  await db.schema
    .alterTable('executions')
    .addColumn('retry_on_worker_loss', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // A retry is created once per attempt, even when a lost connection makes its writer try twice.
  await db.schema
    .createIndex('executions_attempt')
    .unique()
    .on('executions')
    .columns(['retry_of', 'attempt'])
    .execute();

  // One row per duty (lease recovery, retention): whoever holds the unexpired lease does it.
  await db.schema
    .createTable('duty_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .execute();

  // Projects may keep executions longer or shorter than the global retention.
  await db.schema.alterTable('projects').addColumn('retention_ms', big).execute();
  await db.schema.alterTable('projects').addColumn('description', 'text').execute();

  // The process of a running step, so that a process tree orphaned by a crashed worker can be
  // found and ended by a worker on the same host. Cleared when the step's process ends.
  await db.schema.alterTable('execution_steps').addColumn('host', 'text').execute();
  await db.schema.alterTable('execution_steps').addColumn('pid', 'integer').execute();
  await db.schema.alterTable('execution_steps').addColumn('pid_start_time', 'text').execute();

  // The claim walks queued rows in id order. With a partial index it reads only those, however
  // much history or backlog the table holds (measured on PostgreSQL: 20,000 queued, a claim
  // went from ~10 ms to ~0.5 ms).
  await db.schema
    .createIndex('executions_queued')
    .on('executions')
    .column('id')
    .where(sql.ref('state'), '=', sql.lit('queued'))
    .execute();

  await db.schema.createIndex('executions_finished').on('executions').columns(['finished_at']).execute();
}
