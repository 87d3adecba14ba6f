/** Users and tokens, jobs, the execution queue with its steps, and compressed log chunks. */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema
    .createTable('users')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('user_id', big, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big)
    .addColumn('last_used_at', big)
    .addColumn('revoked_at', big)
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('labels', json, (c) => c.notNull())
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('jobs_project_name', ['project', 'name'])
    .execute();

  // Executions outlive the jobs they ran (history survives a prune), so job_id is not a foreign key.
  await db.schema
    .createTable('executions')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('job_id', big)
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('job_revision', 'integer', (c) => c.notNull())
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('options', json, (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('retry_of', big)
    .addColumn('parent_id', big)
    .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('concurrency_key', 'text')
    .addColumn('concurrency_limit', 'integer')
    .addColumn('queued_at', big, (c) => c.notNull())
    .addColumn('run_after', big, (c) => c.notNull())
    .addColumn('started_at', big)
    .addColumn('finished_at', big)
    .addColumn('exit_code', 'integer')
    .addColumn('reason', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', big)
    .addColumn('cancel_requested_at', big)
    .addColumn('cancel_requested_by', 'text')
    .addColumn('log_lines', big, (c) => c.notNull().defaultTo(0))
    .addColumn('log_bytes', big, (c) => c.notNull().defaultTo(0))
    .addColumn('log_discarded_bytes', big, (c) => c.notNull().defaultTo(0))
    .execute();
  // The claim scans queued rows in id order; the concurrency check counts running rows per key.
  await db.schema.createIndex('executions_state_id').on('executions').columns(['state', 'id']).execute();
  await db.schema
    .createIndex('executions_concurrency')
    .on('executions')
    .columns(['job_id', 'concurrency_key', 'state'])
    .execute();
  await db.schema
    .createIndex('executions_job')
    .on('executions')
    .columns(['project', 'job_name', 'id'])
    .execute();
  await db.schema.createIndex('executions_retry_of').on('executions').column('retry_of').execute();
  await db.schema.createIndex('executions_parent').on('executions').column('parent_id').execute();

  await db.schema
    .createTable('execution_steps')
    .addColumn('execution_id', big, (c) => c.notNull().references('executions.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('started_at', big)
    .addColumn('finished_at', big)
    .addColumn('reason', 'text')
    .addColumn('handler_state', 'text')
    .addColumn('handler_exit_code', 'integer')
    .addColumn('child_execution_id', big)
    .addColumn('log_first_line', big)
    .addPrimaryKeyConstraint('execution_steps_pk', ['execution_id', 'idx'])
    .execute();

  await db.schema
    .createTable('log_chunks')
    .addColumn('execution_id', big, (c) => c.notNull().references('executions.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('first_line', big, (c) => c.notNull())
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('raw_bytes', 'integer', (c) => c.notNull())
    .addColumn('data', caps.blobType, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('log_chunks_pk', ['execution_id', 'seq'])
    .execute();
  // Range reads find chunks by line number; a long, quiet execution has thousands of small chunks.
  await db.schema
    .createIndex('log_chunks_lines')
    .on('log_chunks')
    .columns(['execution_id', 'first_line'])
    .execute();
}
