/**
 * Every storage and engine test runs on both databases. Each call gets an isolated database:
 * a fresh SQLite file, or a fresh PostgreSQL schema that is dropped on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type Db } from '../src/platform/db/database.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type DialectName = (typeof DIALECTS)[number];

/** The PostgreSQL server the tests use; overridable for other machines. */
export const TEST_POSTGRES_URL =
  process.env.BATON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A place for one test's data: a temp directory, and on PostgreSQL a fresh schema. */
export interface TestLocation {
  dialect: DialectName;
  /** Temporary directory (the SQLite file lives here); removed by `drop`. */
  dir: string;
  /** `postgres://…?schema=…` on PostgreSQL, undefined on SQLite. */
  url: string | undefined;
  sqlitePath: string;
  drop(): Promise<void>;
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates an isolated, empty place for a database of the given dialect. */
export async function createTestLocation(dialect: DialectName): Promise<TestLocation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-test-'));
  const sqlitePath = path.join(dir, 'baton.db');
  if (dialect === 'sqlite') {
    return {
      dialect,
      dir,
      url: undefined,
      sqlitePath,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `baton_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  return {
    dialect,
    dir,
    url: `${TEST_POSTGRES_URL}?schema=${schema}`,
    sqlitePath,
    drop: async () => {
      await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase extends Database {
  location: TestLocation;
}

/** Opens a fresh, migrated, isolated database of the given dialect. */
export async function openTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const location = await createTestLocation(dialect);
  const database = await openDatabase({ url: location.url, sqlitePath: location.sqlitePath });
  return {
    ...database,
    location,
    close: async () => {
      await database.close();
      await location.drop();
    },
  };
}

/** A bare running execution row, for tests of what hangs off executions (logs, steps). */
export async function insertBareExecution(db: Db, at = Date.now()): Promise<number> {
  const row = await db
    .insertInto('executions')
    .values({
      project: 'ops',
      job_name: 'deploy',
      job_revision: 1,
      spec: '{}',
      options: '{}',
      requested_by: 'alice',
      state: 'running',
      queued_at: at,
      run_after: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
