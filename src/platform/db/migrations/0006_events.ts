/**
 * Events, inbound hooks and rules. A hook receives webhook payloads, each stored as events; rules
 * match events (and finished executions) and fire jobs. Dedup and throttle are rows changed by
 * one conditional statement each, so several servers cannot both fire for the same alert.
 * Executions learn what caused them, keep the structured output their steps wrote, and carry a
 * flag the finish sets for the chain loop (rules on finished executions) to pick up.
 */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema
    .createTable('hooks')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    // 'alertmanager' or 'json'.
    .addColumn('format', 'text', (c) => c.notNull())
    // 'hmac' or 'token', and the secret path holding the key (never the key).
    .addColumn('auth', 'text', (c) => c.notNull())
    .addColumn('secret_path', 'text', (c) => c.notNull())
    .addColumn('max_bytes', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('hooks_pk', ['project', 'name'])
    .execute();

  await db.schema
    .createTable('rules')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    // What the rule listens to: `hook:NAME` (a hook of its project) or `execution:PROJECT/JOB`.
    .addColumn('trigger', 'text', (c) => c.notNull())
    // The spec as applied: when, job, options, dedup, throttle.
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('run_as', 'text')
    // Whose permissions its executions run with: run_as, or whoever applied the rule.
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('rules_project_name', ['project', 'name'])
    .execute();
  await db.schema.createIndex('rules_trigger').on('rules').columns(['trigger', 'project']).execute();

  await db.schema
    .createTable('events')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('project', 'text', (c) => c.notNull())
    // Null for an event made by a finished execution that no hook event caused.
    .addColumn('hook', 'text')
    // 'alertmanager', 'json' or 'execution'.
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('received_at', big, (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    // The event's fields, capped (see automation/events/model.ts MAX_STORED_PAYLOAD_BYTES).
    .addColumn('payload', json, (c) => c.notNull())
    .addColumn('payload_bytes', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_project_id').on('events').columns(['project', 'id']).execute();
  await db.schema.createIndex('events_received_at').on('events').column('received_at').execute();

  await db.schema
    .createTable('event_matches')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('event_id', big, (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('rule_project', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    // Null when the event itself matched; the finished execution when a chained rule matched it.
    .addColumn('trigger_execution_id', big)
    // triggered, deduplicated, throttled, refused or error.
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('execution_id', big)
    .addColumn('reason', 'text')
    .addColumn('at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_matches_event').on('event_matches').column('event_id').execute();

  await db.schema
    .createTable('rule_dedup')
    .addColumn('rule_id', big, (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    // The key fires again only after this time.
    .addColumn('until', big, (c) => c.notNull())
    .addColumn('event_id', big)
    .addPrimaryKeyConstraint('rule_dedup_pk', ['rule_id', 'dedup_key'])
    .execute();
  await db.schema.createIndex('rule_dedup_until').on('rule_dedup').column('until').execute();

  await db.schema
    .createTable('rule_throttle')
    .addColumn('rule_id', big, (c) => c.primaryKey())
    .addColumn('window_start', big, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('executions').addColumn('output', json).execute();
  await db.schema.alterTable('executions').addColumn('output_error', 'text').execute();
  await db.schema.alterTable('executions').addColumn('cause_event_id', big).execute();
  await db.schema.alterTable('executions').addColumn('cause_rule', 'text').execute();
  // 1 from the finish until the chain loop has evaluated rules on the finished execution.
  await db.schema
    .alterTable('executions')
    .addColumn('chain_pending', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('executions_chain_pending').on('executions').column('chain_pending').execute();
}
