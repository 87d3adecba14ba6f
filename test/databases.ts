/**
 * Every storage and engine test runs on both databases. Each call gets an isolated database:
 * a fresh SQLite file, or a fresh PostgreSQL schema that is dropped on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../src/platform/db/database.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type DialectName = (typeof DIALECTS)[number];

/** The PostgreSQL server the tests use; overridable for other machines. */
export const TEST_POSTGRES_URL = process.env.BATON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends Database {
  /** The URL or file another process can open to reach the same data. */
  location: { url?: string; sqlitePath?: string };
}

/** Opens a fresh, migrated, isolated database of the given dialect. */
export async function openTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-test-'));
    const sqlitePath = path.join(dir, 'baton.db');
    const database = await openDatabase({ sqlitePath });
    return {
      ...database,
      location: { sqlitePath },
      close: async () => {
        await database.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `baton_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${TEST_POSTGRES_URL}?schema=${schema}`;
  const database = await openDatabase({ url });
  return {
    ...database,
    location: { url },
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}
