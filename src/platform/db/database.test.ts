import { describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/databases.js';
import { migrateToLatest } from './migrate.js';

describe.each(DIALECTS)('database on %s', (dialect) => {
  it('migrates an empty database and is idempotent on a second run', async () => {
    const database = await openTestDatabase(dialect);
    try {
      await migrateToLatest(database.db, database.caps);
      const now = Date.now();
      const user = await database.db
        .insertInto('users')
        .values({ name: 'someone', is_admin: 0, created_at: now })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      expect(user.id).toBeGreaterThan(0);
      // Epoch milliseconds come back as numbers on both dialects, not as strings.
      expect(user.created_at).toBe(now);
      expect(database.caps.name).toBe(dialect);
    } finally {
      await database.close();
    }
  });
});

describe('database on postgres with neighbours', () => {
  it('migrates its own schema even when another schema of the database already holds Baton', async () => {
    const first = await openTestDatabase('postgres');
    const second = await openTestDatabase('postgres');
    try {
      await second.db.insertInto('users').values({ name: 'x', is_admin: 0, created_at: 1 }).execute();
      expect(await first.db.selectFrom('users').selectAll().execute()).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
