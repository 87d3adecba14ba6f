/**
 * Opens the one database a process uses: SQLite under the data directory by default,
 * PostgreSQL when a `postgres://` URL is given. Returns the query builder and the capability
 * record; nothing else in Baton needs to know which it got.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from './capabilities.js';
import { migrateToLatest } from './migrate.js';
import { PostgresEventBus } from './notify.js';
import type { Schema } from './schema.js';
import { LocalEventBus, type EventBus } from '../events.js';
import { silentLogger, type Logger } from '../logging.js';

export type Db = Kysely<Schema>;

export interface Database {
  db: Db;
  caps: DialectCapabilities;
  /** A short description for logs, with no password in it. */
  describe: string;
  /**
   * The event bus that reaches every process sharing this database: in-process for SQLite,
   * LISTEN/NOTIFY for PostgreSQL. Started here; stopped by close().
   */
  createEventBus(logger?: Logger): Promise<EventBus>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `postgres://…`; when absent, SQLite at `sqlitePath`. A `schema` query parameter sets search_path. */
  url?: string | undefined;
  sqlitePath?: string;
  /** Run pending migrations (default true). */
  migrate?: boolean;
}

const INT8_OID = 20;

/** Opens and migrates the database. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.url ? openPostgres(options.url) : openSqlite(options.sqlitePath ?? ':memory:');
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(database.db, database.caps);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new BetterSqlite(file);
  // WAL lets readers (log followers, listings) proceed while the worker writes;
  // synchronous=NORMAL is durable across process crashes, which is what a queue needs here.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    caps: sqliteCapabilities,
    describe: `sqlite:${file}`,
    // One process owns a SQLite database, so wake-ups never need to leave it.
    createEventBus: async () => new LocalEventBus(),
    close: () => db.destroy(),
  };
}

/** Distinct statements kept prepared; Baton issues a few dozen shapes, listings with filters a few more. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query afresh; better-sqlite3 statements are reusable, and preparing costs
 * about as much as running a small statement (measured ~0.6 ms of ~5 ms per trivial execution).
 * Kysely runs each statement to completion synchronously, so sharing one is safe.
 */
function withStatementCache(sqlite: SqliteDatabase): SqliteDatabase {
  const cache = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  return {
    close: () => sqlite.close(),
    prepare: (text) => {
      let statement = cache.get(text);
      if (statement) {
        // Most recently used last, so the oldest is the first key when the cache is full.
        cache.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

function openPostgres(url: string): Database {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const connection: pg.ClientConfig = {
    connectionString: parsed.toString(),
    // Timestamps are epoch milliseconds in bigint columns; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  const pool = new pg.Pool({ ...connection, max: 10 });
  // An idle client that loses its connection emits 'error'; without a listener that kills the process.
  pool.on('error', () => {});
  // So does a client that loses it while checked out with no query in flight (its backend was
  // terminated just as a query returned, or between the statements of a transaction): the pool
  // listens only to idle clients. The next query on it fails with a connection error, which the
  // callers retry, and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const buses: PostgresEventBus[] = [];
  parsed.password = parsed.password ? '***' : '';
  return {
    db,
    caps: postgresCapabilities,
    describe: parsed.toString(),
    createEventBus: async (logger = silentLogger) => {
      const bus = new PostgresEventBus(pool, connection, schema ?? undefined, logger);
      await bus.start();
      buses.push(bus);
      return bus;
    },
    close: async () => {
      for (const bus of buses) await bus.stop();
      await db.destroy();
    },
  };
}

/** Asks the database a trivial question; rejects when it cannot be reached. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
