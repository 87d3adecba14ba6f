/**
 * Schedules: a job run on a cron expression, as an owner. The row holds its definition and its
 * firing state; `next_fire_at` is what makes a fire happen once across servers (see
 * automation/schedules/store.ts, `claimFires`).
 */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema
    .createTable('schedules')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    // The job whose spec.schedules defines the schedule; null for a Schedule document.
    .addColumn('defined_by_job', 'text')
    .addColumn('description', 'text')
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('options', json, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('misfire', 'text', (c) => c.notNull())
    // spec.runAs as written; `owner` is it, or whoever applied the schedule.
    .addColumn('run_as', 'text')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('next_fire_at', big)
    .addColumn('last_scheduled_at', big)
    .addColumn('last_fired_at', big)
    .addColumn('last_outcome', 'text')
    .addColumn('last_reason', 'text')
    .addColumn('last_execution_id', big)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('schedules_project_name', ['project', 'name'])
    .execute();
  // The scheduler's one question: what is due, and when is the next one.
  await db.schema.createIndex('schedules_next_fire').on('schedules').column('next_fire_at').execute();
  await db.schema.createIndex('schedules_job').on('schedules').columns(['project', 'job_name']).execute();
}
