/**
 * Nodes: machines that job steps reach over SSH. Node documents and the nodes that node sources
 * bring share one table (a source's rows carry its name); host keys learned on first use are
 * pinned in their own table; executions gain the node a fan-out child runs on and the names a
 * fan-out parent matched when it was requested; a step on a node records its remote directory
 * while it runs.
 */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  await db.schema
    .createTable('nodes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // Null for a `kind: Node` document; the NodeSource's name for a node it brought.
    .addColumn('source_name', 'text')
    .addColumn('labels', json, (c) => c.notNull())
    // The node spec (hostname, port, user, tags, attributes, key, hostKey, trustOnFirstUse).
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('nodes_by_source').on('nodes').column('source_name').execute();

  await db.schema
    .createTable('node_sources')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    // When a server should fetch it next; the claim moves it forward before the fetch.
    .addColumn('next_refresh_at', big, (c) => c.notNull())
    .addColumn('last_refresh_at', big)
    .addColumn('last_success_at', big)
    .addColumn('last_error', 'text')
    .addColumn('node_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('node_host_keys')
    .addColumn('node', 'text', (c) => c.primaryKey())
    // `ssh-ed25519 AAAA…` as OpenSSH writes it in known_hosts.
    .addColumn('host_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('pinned_at', big, (c) => c.notNull())
    .execute();

  await db.schema.alterTable('executions').addColumn('node', 'text').execute();
  await db.schema.alterTable('executions').addColumn('nodes', json).execute();

  // A step running on a node: its private directory there (which holds its process group), so
  // that the remote orphan sweep can end it when its worker dies; and since when the node could
  // not be reached for that, to give up eventually.
  await db.schema.alterTable('execution_steps').addColumn('remote_dir', 'text').execute();
  await db.schema.alterTable('execution_steps').addColumn('remote_unreachable_since', big).execute();
}
