/**
 * Numbered, forward-only migrations, written once for both dialects. Kysely's migrator takes a
 * lock around them (an advisory lock on PostgreSQL), so several servers can start at once.
 */
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration } from 'kysely';
import type { DialectCapabilities } from './capabilities.js';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_scale_out.js';
import * as m0003 from './migrations/0003_delegation.js';
import * as m0004 from './migrations/0004_schedules.js';
import * as m0005 from './migrations/0005_notifications.js';
import * as m0006 from './migrations/0006_events.js';
import * as m0007 from './migrations/0007_nodes.js';
import * as m0008 from './migrations/0008_masked_options.js';
import * as m0009 from './migrations/0009_reliability.js';

/** A migration receives the capability record so column types can follow the dialect. */
export interface BatonMigration {
  up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void>;
}

const MIGRATIONS: Record<string, BatonMigration> = {
  '0001_foundation': m0001,
  '0002_scale_out': m0002,
  '0003_delegation': m0003,
  '0004_schedules': m0004,
  '0005_notifications': m0005,
  '0006_events': m0006,
  '0007_nodes': m0007,
  '0008_masked_options': m0008,
  '0009_reliability': m0009,
};

/** Applies every migration not applied yet; throws with the failing migration's name. */
// The migrator works on any schema; migrations predate the row types they create.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>, caps: DialectCapabilities): Promise<void> {
  const schema = await caps.currentSchema(db);
  const migrator = new Migrator({
    db: schema === undefined ? db : withIntrospectionOf(db, schema),
    migrationTableSchema: schema,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, migration]): [string, Migration] => [
            name,
            { up: (trx) => migration.up(trx, caps) },
          ]),
        ),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}

/**
 * Kysely's migrator asks whether its two tables exist by listing the columns of every table in
 * every schema (PostgreSQL's introspector, with `pg_get_serial_sequence` per column). On a
 * database that others share, a schema dropped while that query runs fails it ("schema … does
 * not exist"): the test suite, whose files each create and drop a schema on one database, met
 * exactly that. Baton only needs to know about its own schema, so the migrator sees an
 * introspector that lists that schema's tables and nothing else.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withIntrospectionOf(db: Kysely<any>, schema: string): Kysely<any> {
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getTables: async () => {
      const { rows } = await sql<{ name: string }>`
        select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: false, columns: [] }));
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  // A Kysely keeps its state in private fields: forward every other member bound to the real one.
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
