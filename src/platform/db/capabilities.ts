/**
 * Everything that differs between SQLite and PostgreSQL, in one record. Code asks the record
 * ("can this database skip locked rows?") instead of testing which database it is talking to.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely, type RawBuilder } from 'kysely';

export interface DialectCapabilities {
  readonly name: 'sqlite' | 'postgres';
  /** `SELECT … FOR UPDATE SKIP LOCKED` exists, so several claimers can work one queue. */
  readonly skipLocked: boolean;
  /** `LISTEN/NOTIFY` can wake other processes; otherwise wake-ups stay in-process. */
  readonly listenNotify: boolean;
  /** Session advisory locks exist for once-only duties across servers. */
  readonly advisoryLocks: boolean;
  /** Column type for JSON documents. */
  readonly jsonType: 'text' | 'jsonb';
  /** Column type for epoch-millisecond timestamps and other 64-bit integers. */
  readonly bigintType: 'integer' | 'bigint';
  /** Column type for compressed log chunks. */
  readonly blobType: 'blob' | 'bytea';
  /** Column type and modifiers for surrogate keys. */
  readonly identityType: 'integer' | 'bigserial';
  identity(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * The schema Baton's tables live in, where schemas exist. Table lookups must name it: other
   * schemas of the same database may hold tables of the same names.
   */
  currentSchema(db: Kysely<unknown>): Promise<string | undefined>;
  /** The number under a top-level key of a JSON column (`spec.manualMinutes`), SQL null when absent. */
  jsonNumber(column: string, key: string): RawBuilder<number | null>;
}

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  skipLocked: false,
  listenNotify: false,
  advisoryLocks: false,
  jsonType: 'text',
  bigintType: 'integer',
  blobType: 'blob',
  identityType: 'integer',
  identity: (column) => column.primaryKey().autoIncrement(),
  currentSchema: async () => undefined,
  jsonNumber: (column, key) => sql<number | null>`json_extract(${sql.ref(column)}, ${`$.${key}`})`,
};

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  skipLocked: true,
  listenNotify: true,
  advisoryLocks: true,
  jsonType: 'jsonb',
  bigintType: 'bigint',
  blobType: 'bytea',
  identityType: 'bigserial',
  identity: (column) => column.primaryKey(),
  currentSchema: async (db) =>
    (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema,
  jsonNumber: (column, key) => sql<number | null>`(${sql.ref(column)} ->> ${key})::double precision`,
};

/** Reads a JSON column back into a value, whichever dialect stored it. */
export function readJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
