import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  insertBareExecution,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/databases.js';
import { LocalEventBus } from '../../platform/events.js';
import { LogRegistry } from './registry.js';
import { lineMatcher, searchLog } from './search.js';
import { escapeRegExp, visibleText } from '../../contract/visible-text.js';
import { LogWriter } from './writer.js';

describe('visibleText', () => {
  it('removes colours and other escape sequences, keeping the text between them', () => {
    expect(visibleText('\u001b[1;31mERROR\u001b[0m disk full')).toBe('ERROR disk full');
    expect(visibleText('\u001b[38;2;255;100;0morange\u001b[m')).toBe('orange');
    expect(visibleText('\u001b[?25lhidden cursor\u001b[?25h')).toBe('hidden cursor');
    expect(visibleText('\u001b[2K\u001b[1Gcleared')).toBe('cleared');
    expect(visibleText('\u001b(Bcharset')).toBe('charset');
    expect(visibleText('\u001b7saved\u001b8')).toBe('saved');
  });

  it('removes terminal titles and hyperlinks but keeps the link text', () => {
    expect(visibleText('\u001b]0;my title\u0007after')).toBe('after');
    expect(visibleText('\u001b]8;;https://example.com\u001b\\link\u001b]8;;\u001b\\ text')).toBe('link text');
  });

  it('drops control characters but keeps tabs', () => {
    expect(visibleText('a\tb\u0000c\u0008d\u007fe\u009bf')).toBe('a\tbcdef');
  });

  it('lets text after a carriage return replace the text before it, as a progress bar does', () => {
    expect(visibleText('10%\r50%\r100% done')).toBe('100% done');
    expect(visibleText('line ending in CRLF\r')).toBe('line ending in CRLF');
    expect(visibleText('kept\r\u001b[0m')).toBe('kept');
  });

  it('never leaves part of a cut-off escape sequence behind', () => {
    expect(visibleText('text\u001b')).toBe('text');
    expect(visibleText('text\u001b[')).toBe('text');
    expect(visibleText('text\u001b[31;')).toBe('text');
    expect(visibleText('text\u001b]0;unterminated title')).toBe('text');
  });

  it('leaves plain text and non-ASCII text as it is', () => {
    expect(visibleText('plain text')).toBe('plain text');
    expect(visibleText('Größe: 12 — ✓ 完了')).toBe('Größe: 12 — ✓ 完了');
    expect(visibleText('')).toBe('');
  });
});

describe('lineMatcher', () => {
  it('matches the text a line shows, ignoring case, and takes the query literally', () => {
    const matches = lineMatcher('error');
    expect(matches('\u001b[31mERROR\u001b[0m: disk full')).toBe(true);
    expect(matches('Error')).toBe(true);
    expect(matches('err or')).toBe(false);
    expect(lineMatcher('31m')('\u001b[31mred\u001b[0m')).toBe(false);
    expect(lineMatcher('a.b')('axb')).toBe(false);
    expect(lineMatcher('a.b')('a.b')).toBe(true);
    expect(lineMatcher('(x|y)*')('(x|y)*')).toBe(true);
    expect(lineMatcher('GRÖSSE')('größe')).toBe(false);
    expect(lineMatcher('ÄRGER')('ärger')).toBe(true);
  });

  it('escapes every character a regular expression gives meaning to', () => {
    const special = '.*+?^${}()|[]\\';
    expect(new RegExp(escapeRegExp(special)).test(special)).toBe(true);
  });
});

describe.each(DIALECTS)('log search on %s', (dialect) => {
  let database: TestDatabase;
  let executionId: number;
  let registry: LogRegistry;
  let writer: LogWriter;

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
    executionId = await insertBareExecution(database.db);
    registry = new LogRegistry();
    writer = new LogWriter({
      db: database.db,
      events: new LocalEventBus(),
      executionId,
      capBytes: 100 * 1024 ** 2,
      chunkBytes: 2000,
      flushIntervalMs: 60_000,
    });
    registry.register(executionId, writer);
  });

  afterEach(async () => {
    await writer.close();
    await database.close();
  });

  /** Lines 0..count-1; every 7th says ERROR in red, every 10th says "warning". */
  function writeLines(from: number, count: number): void {
    const text = Array.from({ length: count }, (_, i) => {
      const n = from + i;
      if (n % 7 === 0) return `\u001b[31mERROR\u001b[0m at line ${n}\n`;
      return n % 10 === 0 ? `warning at line ${n}\n` : `ok ${n}\n`;
    }).join('');
    writer.write('stdout', Buffer.from(text));
  }

  const multiplesOf = (step: number, below: number, from = 0) =>
    Array.from({ length: below }, (_, n) => n).filter((n) => n >= from && n % step === 0);

  it('finds every matching line across stored chunks and lines not stored yet', async () => {
    writeLines(0, 600);
    await writer.flush();
    writeLines(600, 100);
    const ctx = { db: database.db, registry };
    const page = await searchLog(ctx, executionId, { query: 'error', from: 0, limit: 1000, scan: 50_000 });
    expect(page).toEqual({ matches: multiplesOf(7, 700), next: 700, done: true, scanned: 700 });
    // Another process sees only the stored lines.
    const elsewhere = await searchLog({ db: database.db, registry: new LogRegistry() }, executionId, {
      query: 'error',
      from: 0,
      limit: 1000,
      scan: 50_000,
    });
    expect(elsewhere.matches).toEqual(multiplesOf(7, 600));
  });

  it('pages a long search by lines scanned and by matches, resuming where the last page ended', async () => {
    writeLines(0, 1000);
    await writer.close();
    const ctx = { db: database.db, registry };
    const found: number[] = [];
    let from = 0;
    let pages = 0;
    for (;;) {
      const page = await searchLog(ctx, executionId, { query: 'WARNING', from, limit: 15, scan: 120 });
      expect(page.scanned).toBeLessThanOrEqual(120);
      expect(page.matches.length).toBeLessThanOrEqual(15);
      found.push(...page.matches);
      from = page.next;
      pages++;
      if (page.done) break;
    }
    // 10, 20, …, 990 except the multiples of 70, which say ERROR.
    expect(found).toEqual(multiplesOf(10, 1000).filter((n) => n % 7 !== 0));
    expect(pages).toBeGreaterThanOrEqual(9);
    expect(from).toBe(1000);
  });

  it('stops at the match limit and resumes after the last match', async () => {
    writeLines(0, 100);
    await writer.close();
    const ctx = { db: database.db, registry };
    const first = await searchLog(ctx, executionId, { query: 'error', from: 0, limit: 3, scan: 1000 });
    expect(first).toEqual({ matches: [0, 7, 14], next: 15, done: false, scanned: 15 });
    const second = await searchLog(ctx, executionId, { query: 'error', from: 15, limit: 3, scan: 1000 });
    expect(second.matches).toEqual([21, 28, 35]);
  });

  it('finds nothing in escape sequences, and nothing past the end of the log', async () => {
    writeLines(0, 50);
    await writer.close();
    const ctx = { db: database.db, registry };
    const inEscapes = await searchLog(ctx, executionId, { query: '[31m', from: 0, limit: 10, scan: 1000 });
    expect(inEscapes).toEqual({ matches: [], next: 50, done: true, scanned: 50 });
    const pastEnd = await searchLog(ctx, executionId, { query: 'ok', from: 80, limit: 10, scan: 1000 });
    expect(pastEnd).toEqual({ matches: [], next: 80, done: true, scanned: 0 });
  });
});
