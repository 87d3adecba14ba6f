/**
 * Architecture rules that a reviewer would otherwise have to remember (issue 14): SQL lives only
 * in store files, and each table has one writer, the store of the capability that owns it. Pure:
 * it reads the source files, it needs no database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Files outside `*store.ts` and migrations that may hold SQL, each with why. They are the
 * database layer itself: the dialect plumbing every store stands on.
 */
const SQL_ALLOWED: Record<string, string> = {
  'src/platform/db/capabilities.ts':
    'the dialect capability record: the SQL fragments that differ between SQLite and PostgreSQL (JSON access, schema name)',
  'src/platform/db/migrate.ts': 'runs the migrations and reads what the migrator recorded',
  'src/platform/db/database.ts': 'opens the connection (SQLite pragmas) and answers the health ping',
  'src/platform/db/notify.ts': 'LISTEN/NOTIFY on PostgreSQL: the event bus, not a table',
};

/**
 * Tables written from more than one capability folder, each with why. Empty: every table has
 * one writer.
 */
const SHARED_WRITERS: Record<string, string> = {};

/** Every TypeScript source file under src/, tests and migrations excluded, relative to the root. */
function sourceFiles(): string[] {
  return readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .map((file) => `src/${file.split(path.sep).join('/')}`)
    .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
    .filter((file) => !/\.test\.tsx?$/.test(file)) // tests seed and inspect rows directly
    .filter((file) => !file.startsWith('src/platform/db/migrations/'))
    .sort();
}

const QUERY_BUILDER =
  /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|selectNoFrom)\(|\bsql(<[^`]*?>)?`|\.query\(\s*[`'"]\s*(select|insert|update|delete|listen|notify)\b/i;

/** The first Kysely query builder, `sql` tag or raw driver query in a source text, if any. */
function firstSql(text: string): string | undefined {
  return QUERY_BUILDER.exec(text)?.[0];
}

/** The tables a source text inserts into, updates or deletes from, by builder or by `sql` text. */
function writtenTables(text: string, tables: ReadonlySet<string>): Set<string> {
  const written = new Set<string>();
  for (const match of text.matchAll(
    /\.(?:insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\s*['"`](\w+)/g,
  )) {
    written.add(match[1]!);
  }
  for (const template of text.matchAll(/\bsql(?:<[^`]*?>)?`((?:[^`\\]|\\.)*)`/g)) {
    for (const match of template[1]!.matchAll(/\b(?:insert\s+into|update|delete\s+from)\s+"?(\w+)/gi)) {
      // `on conflict do update set`, `for update skip locked`: only real table names count.
      if (tables.has(match[1]!)) written.add(match[1]!);
    }
  }
  return written;
}

/** The capability folder a file belongs to (`src/access/sign-in`); a file directly in a layer is its own. */
function capabilityOf(file: string): string {
  const parts = file.split('/');
  return parts.length >= 4 ? parts.slice(0, 3).join('/') : file;
}

/** The tables of the database, from the `Schema` interface in src/platform/db/schema.ts. */
function schemaTables(): Set<string> {
  const schema = readFileSync(path.join(ROOT, 'src/platform/db/schema.ts'), 'utf8');
  const body = /export interface Schema \{([^}]*)\}/.exec(schema)?.[1] ?? '';
  return new Set([...body.matchAll(/^\s*(\w+):/gm)].map((match) => match[1]!));
}

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe('the storage layer', () => {
  const files = sourceFiles();
  const tables = schemaTables();

  it('finds the source files and the tables it checks', () => {
    expect(files).toContain('src/automation/executions/store.ts');
    expect(tables).toContain('executions');
    expect(tables.size).toBeGreaterThan(20);
  });

  it('keeps SQL in store files, so a query is found where its table is owned', () => {
    const outside = files
      .filter((file) => !/(^|\/|-)store\.ts$/.test(file) && !(file in SQL_ALLOWED))
      .flatMap((file) => {
        const found = firstSql(read(file));
        return found === undefined ? [] : [`${file}: ${found}`];
      });
    expect(outside, 'move these queries into the store.ts of the capability that owns the table').toEqual([]);
  });

  it('has one writer per table: the files writing it all sit in one capability folder', () => {
    const writers = new Map<string, Set<string>>();
    for (const file of files) {
      for (const table of writtenTables(read(file), tables)) {
        if (!writers.has(table)) writers.set(table, new Set());
        writers.get(table)!.add(file);
      }
    }
    // The scan must see the writers it is meant to police, or it would pass by seeing nothing.
    expect([...(writers.get('executions') ?? [])]).toEqual(['src/automation/executions/store.ts']);
    expect(writers.get('audit_events')).toBeDefined();
    const shared = [...writers]
      .filter(
        ([table, written]) => !(table in SHARED_WRITERS) && new Set([...written].map(capabilityOf)).size > 1,
      )
      .map(([table, written]) => `${table}: ${[...written].join(', ')}`);
    expect(shared, "write another capability's table through its store's verbs").toEqual([]);
  });

  it('recognises a query and a write in each form it can take', () => {
    const known = new Set(['workers', 'sessions']);
    expect(firstSql("await db.selectFrom('workers').selectAll().execute();")).toBe('.selectFrom(');
    expect(firstSql('await sql`select 1`.execute(db);')).toBe('sql`');
    expect(firstSql('const x = sql<number>`count(*)`;')).toBe('sql<number>`');
    expect(firstSql("await client.query('LISTEN baton')")).toBeDefined();
    expect(firstSql('const match = PATTERN.exec(text); // select from the list')).toBeUndefined();
    expect(writtenTables("db.updateTable('workers').set({ running: 0 })", known)).toEqual(
      new Set(['workers']),
    );
    expect(writtenTables('sql`DELETE FROM sessions WHERE id_hash = ${hash}`', known)).toEqual(
      new Set(['sessions']),
    );
    expect(
      writtenTables('sql`insert into workers (name) values (1) on conflict do update set x = 1`', known),
    ).toEqual(new Set(['workers']));
    expect(writtenTables('sql`select * from workers for update skip locked`', known)).toEqual(new Set());
    expect(capabilityOf('src/access/sign-in/store.ts')).toBe('src/access/sign-in');
    expect(capabilityOf('src/platform/duties.ts')).toBe('src/platform/duties.ts');
  });
});
