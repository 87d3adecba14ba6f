import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DIALECTS,
  insertBareExecution,
  openTestDatabase,
  type TestDatabase,
} from '../../../test/databases.js';
import type { Db } from '../../platform/db/database.js';
import { LocalEventBus } from '../../platform/events.js';
import { MASK } from './masking.js';
import type { LogLine } from './model.js';
import { followLog, readLog } from './reader.js';
import { LogRegistry } from './registry.js';
import { countStoredLines, insertLogChunk, readLogLines } from './store.js';
import { MAX_LINE_BYTES, MAX_PENDING_BYTES, LogWriter, type LogWriterOptions } from './writer.js';

const T0 = 1_700_000_000_000;

const insertExecution = (db: Db) => insertBareExecution(db, T0);

/** Heap plus Buffer memory after a full collection, when the collector can be reached. */
function memoryInUse(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function texts(lines: LogLine[]): string[] {
  return lines.map((line) => line.text);
}

describe.each(DIALECTS)('log writer on %s', (dialect) => {
  let database: TestDatabase;
  let executionId: number;
  let events: LocalEventBus;
  const writers: LogWriter[] = [];

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
    executionId = await insertExecution(database.db);
    events = new LocalEventBus();
  });

  afterEach(async () => {
    await Promise.allSettled(writers.splice(0).map((writer) => writer.close()));
    await database.close();
  });

  function newWriter(options: Partial<LogWriterOptions> = {}): LogWriter {
    const writer = new LogWriter({
      db: database.db,
      events,
      executionId,
      capBytes: 100 * 1024 ** 2,
      ...options,
    });
    writers.push(writer);
    return writer;
  }

  it('stores lines byte for byte: ANSI escapes, tabs, carriage returns and invalid UTF-8', async () => {
    let now = T0;
    const writer = newWriter({ now: () => now });
    const binary = Buffer.from([0x00, 0x01, 0x7f, 0xff, 0x1b, 0x5b, 0x32, 0x4b]);
    writer.write('stdout', Buffer.from('\x1b[1;32mok\x1b[0m\tdone\r\n'));
    now += 7;
    writer.write('stdout', Buffer.concat([binary, Buffer.from('\n\n')]));
    writer.system('[baton] step "migrate" started');
    await writer.flush();
    const lines = await readLogLines(database.db, executionId, 0, 100);
    expect(lines).toEqual([
      { n: 0, t: T0, s: 'stdout', text: '\x1b[1;32mok\x1b[0m\tdone\r' },
      { n: 1, t: T0 + 7, s: 'stdout', text: binary.toString('utf8') },
      { n: 2, t: T0 + 7, s: 'stdout', text: '' },
      { n: 3, t: T0 + 7, s: 'system', text: '[baton] step "migrate" started' },
    ]);
  });

  it('keeps separate partial lines for stdout and stderr, numbering lines as they complete', async () => {
    const writer = newWriter();
    writer.write('stdout', Buffer.from('out-1 part a, '));
    writer.write('stderr', Buffer.from('err-1\nerr-2 part a, '));
    writer.write('stdout', Buffer.from('part b\nout-2'));
    writer.write('stderr', Buffer.from('part b'));
    writer.endStream('stderr');
    writer.endStream('stdout');
    const expected = [
      ['stderr', 'err-1'],
      ['stdout', 'out-1 part a, part b'],
      ['stderr', 'err-2 part a, part b'],
      ['stdout', 'out-2'],
    ];
    expect(writer.pending(0).map((line) => [line.s, line.text])).toEqual(expected);
    await writer.flush();
    const stored = await readLogLines(database.db, executionId, 0, 10);
    expect(stored.map((line) => [line.n, line.s, line.text])).toEqual(expected.map((e, n) => [n, ...e]));
  });

  it('splits a line longer than 64 KiB without cutting a UTF-8 character in two', async () => {
    const writer = newWriter();
    const ascii = 'a'.repeat(MAX_LINE_BYTES * 2 + 100);
    // Fed in odd-sized reads, as a pipe would deliver it.
    const bytes = Buffer.from(`${ascii}\n`);
    for (let at = 0; at < bytes.length; at += 10_007) writer.write('stdout', bytes.subarray(at, at + 10_007));
    const euros = '€'.repeat(30_000); // 90 000 bytes, 3 per character
    writer.write('stderr', Buffer.from(`${euros}\nshort\n`));
    const totals = await writer.close();
    const lines = await readLogLines(database.db, executionId, 0, 100);
    expect(lines.map((line) => Buffer.byteLength(line.text))).toEqual([
      MAX_LINE_BYTES,
      MAX_LINE_BYTES,
      100,
      MAX_LINE_BYTES - 1,
      90_000 - (MAX_LINE_BYTES - 1),
      5,
    ]);
    expect(
      lines
        .slice(0, 3)
        .map((line) => line.text)
        .join(''),
    ).toBe(ascii);
    expect(
      lines
        .slice(3, 5)
        .map((line) => line.text)
        .join(''),
    ).toBe(euros);
    expect(lines.every((line) => !line.text.includes('\ufffd'))).toBe(true);
    expect(totals).toEqual({ lines: 6, bytes: bytes.length + 2 + 90_000 + 2 + 6, discardedBytes: 0 });
  });

  it('shows lines before they are stored, and stores them in numbered chunks', async () => {
    const writer = newWriter({ chunkBytes: 1000, flushIntervalMs: 60_000 });
    writer.write('stdout', Buffer.from('one\ntwo\nthr'));
    expect(texts(writer.pending(0))).toEqual(['one', 'two']);
    expect(texts(writer.pending(1))).toEqual(['two']);
    expect(writer.nextLine).toBe(2);
    expect(await countStoredLines(database.db, executionId)).toBe(0);

    for (let i = 0; i < 100; i++) writer.write('stdout', Buffer.from(`ee ${i} ${'z'.repeat(40)}\n`));
    await writer.flush();
    expect(writer.pending(0)).toEqual([]);
    const chunks = await database.db
      .selectFrom('log_chunks')
      .select(['seq', 'first_line', 'line_count', 'raw_bytes'])
      .where('execution_id', '=', executionId)
      .orderBy('seq')
      .execute();
    expect(chunks.length).toBeGreaterThan(3);
    let line = 0;
    chunks.forEach((chunk, i) => {
      expect(chunk.seq).toBe(i);
      expect(chunk.first_line).toBe(line);
      line += chunk.line_count;
    });
    expect(line).toBe(102);
    expect(await countStoredLines(database.db, executionId)).toBe(102);
    expect(texts(await readLogLines(database.db, executionId, 0, 3))).toEqual([
      'one',
      'two',
      `three 0 ${'z'.repeat(40)}`,
    ]);
  });

  it('stores a quiet log after the flush interval without being asked', async () => {
    const writer = newWriter({ flushIntervalMs: 20 });
    writer.write('stdout', Buffer.from('only line\n'));
    await vi.waitFor(async () => expect(await countStoredLines(database.db, executionId)).toBe(1), {
      timeout: 10_000,
    });
    expect(writer.pending(0)).toEqual([]);
  });

  it('continues numbering and chunk sequence in a second writer for the same execution', async () => {
    const first = newWriter();
    first.write('stdout', Buffer.from('a\nb\n'));
    await first.close();
    const second = newWriter({ firstLine: await countStoredLines(database.db, executionId) });
    second.write('stdout', Buffer.from('c\n'));
    expect(await second.close()).toEqual({ lines: 3, bytes: 2, discardedBytes: 0 });
    expect(texts(await readLogLines(database.db, executionId, 0, 10))).toEqual(['a', 'b', 'c']);
  });

  it('discards output past the cap, saying so once, and counts what it discarded', async () => {
    const capBytes = 10_000;
    const writer = newWriter({ capBytes, chunkBytes: 4096 });
    const line = Buffer.from(`${'x'.repeat(99)}\n`);
    for (let i = 0; i < 1000; i++) writer.write(i % 2 ? 'stdout' : 'stderr', line);
    writer.write('stdout', Buffer.from('unfinished'));
    writer.system('[baton] step "deploy" exited with 0');
    const totals = await writer.close();

    const lines = await readLogLines(database.db, executionId, 0, 10_000);
    const output = lines.filter((l) => l.s !== 'system');
    const system = lines.filter((l) => l.s === 'system').map((l) => l.text);
    expect(output).toHaveLength(100);
    expect(system).toEqual([
      '[baton] log limit of 9.8 KB reached: further output is discarded (the process keeps running)',
      '[baton] step "deploy" exited with 0',
      '[baton] 90010 bytes (87.9 KB) of output were discarded',
    ]);
    const storedOutputBytes = output.reduce((sum, l) => sum + Buffer.byteLength(l.text) + 1, 0);
    expect(storedOutputBytes).toBeLessThanOrEqual(capBytes);
    expect(totals.discardedBytes).toBe(1000 * 100 + 10 - storedOutputBytes);
    expect(totals.lines).toBe(lines.length);
    expect(totals.bytes).toBe(lines.reduce((sum, l) => sum + Buffer.byteLength(l.text) + 1, 0));
  });

  it('wakes followers for a flood of writes without publishing an event per write', async () => {
    let published = 0;
    events.subscribe('log', (id) => {
      if (id === executionId) published++;
    });
    const writer = newWriter({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 10_000; i++) writer.write('stdout', Buffer.from(`line ${i}\n`));
    expect(published).toBe(1);
    await vi.waitFor(() => expect(published).toBe(2));
  });

  it('asks the caller to pause when storing falls behind, then drains', async () => {
    const writer = newWriter();
    let drains = 0;
    writer.onDrain(() => drains++);
    const read = Buffer.from(`${'y'.repeat(1023)}\n`.repeat(64));
    let accepted = true;
    let written = 0;
    while (accepted) {
      accepted = writer.write('stdout', read);
      written += read.length;
      expect(written).toBeLessThan(64 * 1024 ** 2);
    }
    expect(written).toBeGreaterThan(MAX_PENDING_BYTES);
    await new Promise<void>((resolve) => writer.onDrain(resolve));
    expect(drains).toBe(1);
    expect((await writer.close()).bytes).toBe(written);
  });

  it('reports a failure to store from flush and close without crashing, and keeps going', async () => {
    // No such execution: every insert violates the foreign key.
    const writer = newWriter({ executionId: executionId + 1000, retryDelaysMs: [1] });
    writer.write('stdout', Buffer.from('lost\n'));
    await expect(writer.flush()).rejects.toThrow(
      /storing the log of execution \d+ failed; lines 0–0 are lost/,
    );
    writer.write('stdout', Buffer.from('also lost\n'));
    await expect(writer.close()).rejects.toThrow(/failed/);
    expect(writer.totals).toEqual({ lines: 2, bytes: 0, discardedBytes: 15 });
  });

  it('keeps memory bounded while a child prints 200 MB past a small cap', async () => {
    const writer = newWriter({ capBytes: 1024 ** 2 });
    // One buffer reused for every read: the writer must copy what it keeps, not hold the caller's memory.
    const read = Buffer.from(`${'log line with some text in it '.repeat(3)}\n`.repeat(700));
    const before = memoryInUse();
    let peak = 0;
    let written = 0;
    for (let i = 0; written < 200 * 1024 ** 2; i++) {
      if (!writer.write(i % 2 ? 'stdout' : 'stderr', read)) await new Promise<void>((r) => writer.onDrain(r));
      written += read.length;
      if (i % 500 === 0) peak = Math.max(peak, memoryInUse() - before);
    }
    const totals = await writer.close();
    peak = Math.max(peak, memoryInUse() - before);
    expect(totals.bytes).toBeLessThan(1024 ** 2 + 1024);
    expect(totals.discardedBytes).toBeGreaterThan(199 * 1024 ** 2);
    expect(peak).toBeLessThan(32 * 1024 ** 2);
  });

  it('keeps memory bounded while storing 48 MB when the caller honours backpressure', async () => {
    const writer = newWriter();
    let i = 0;
    const before = memoryInUse();
    let peak = 0;
    let written = 0;
    while (written < 48 * 1024 ** 2) {
      const read = Buffer.from(`${String(i++).padStart(8, '0')} ${'abcdefghij'.repeat(6)}\n`.repeat(800));
      if (!writer.write('stdout', read)) await new Promise<void>((r) => writer.onDrain(r));
      written += read.length;
      if (i % 200 === 0) peak = Math.max(peak, memoryInUse() - before);
    }
    const totals = await writer.close();
    expect(totals).toEqual({ lines: i * 800, bytes: written, discardedBytes: 0 });
    expect(peak).toBeLessThan(32 * 1024 ** 2);
  });

  it('counts a chunk insert replayed after a lost connection as stored, and a seq another writer took as taken', async () => {
    const chunk = {
      executionId,
      seq: 0,
      firstLine: 0,
      lineCount: 2,
      rawBytes: 10,
      data: Buffer.from('x'),
      createdAt: T0,
    };
    expect(await insertLogChunk(database.db, chunk)).toBe('stored');
    expect(await insertLogChunk(database.db, chunk)).toBe('stored');
    expect(await insertLogChunk(database.db, { ...chunk, firstLine: 2 })).toBe('taken');
    const rows = await database.db
      .selectFrom('log_chunks')
      .select('seq')
      .where('execution_id', '=', executionId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  describe('masking secrets', () => {
    const SECRET = 'hunter2-sekret';

    /** Every stored line's text, after the writer closed. */
    async function storedTexts(writer: LogWriter): Promise<string[]> {
      await writer.close();
      return texts(await readLogLines(database.db, executionId, 0, 10_000));
    }

    /** The uncompressed frames of all stored chunks: the exact bytes kept. */
    async function storedFrames(): Promise<Buffer> {
      const rows = await database.db
        .selectFrom('log_chunks')
        .select('data')
        .where('execution_id', '=', executionId)
        .orderBy('seq')
        .execute();
      return Buffer.concat(rows.map((row) => zlib.gunzipSync(row.data)));
    }

    it('stores a raw secret as ***** on stdout, stderr and Baton lines', async () => {
      const writer = newWriter({ secrets: [SECRET] });
      writer.write('stdout', Buffer.from(`password=${SECRET}\nplain\n`));
      writer.write('stderr', Buffer.from(`error: bad token ${SECRET} (again: ${SECRET})\n`));
      writer.system(`[baton] command failed: curl -u admin:${SECRET} https://example.org`);
      const lines = await storedTexts(writer);
      expect(lines).toEqual([
        `password=${MASK}`,
        'plain',
        `error: bad token ${MASK} (again: ${MASK})`,
        `[baton] command failed: curl -u admin:${MASK} https://example.org`,
      ]);
      expect((await storedFrames()).includes(SECRET)).toBe(false);
    });

    it('masks a secret printed in two writes, on either stream', async () => {
      const writer = newWriter({ secrets: ['pass-w0rd'] });
      writer.write('stdout', Buffer.from('first pa'));
      writer.write('stderr', Buffer.from('other pass'));
      writer.write('stdout', Buffer.from('ss-w0rd last\n'));
      writer.write('stderr', Buffer.from('-w0rd\n'));
      // Three writes, the middle one holding no complete line.
      writer.write('stdout', Buffer.from('x pass-'));
      writer.write('stdout', Buffer.from('w'));
      writer.write('stdout', Buffer.from('0rd\n'));
      expect(await storedTexts(writer)).toEqual([`first ${MASK} last`, `other ${MASK}`, `x ${MASK}`]);
      expect((await storedFrames()).includes('pass-w0rd')).toBe(false);
    });

    it('masks base64 (alone and embedded at each byte offset) and URL-encoded forms', async () => {
      const secret = 'p@ss w/rd!';
      const writer = newWriter({ secrets: [secret] });
      const base64 = (text: string): string => Buffer.from(text).toString('base64');
      const printed = [
        base64(secret),
        base64(`${secret}\n`),
        base64(`u:${secret}`),
        base64(`us:${secret}`),
        encodeURIComponent(secret),
        'p%40ss+w%2Frd!',
        'p%40ss%20w%2frd!',
      ];
      expect(printed).toEqual([
        'cEBzcyB3L3JkIQ==',
        'cEBzcyB3L3JkIQo=',
        'dTpwQHNzIHcvcmQh',
        'dXM6cEBzcyB3L3JkIQ==',
        'p%40ss%20w%2Frd!',
        'p%40ss+w%2Frd!',
        'p%40ss%20w%2frd!',
      ]);
      writer.write('stdout', Buffer.from(printed.map((text) => `[${text}]\n`).join('')));
      expect(await storedTexts(writer)).toEqual([
        `[${MASK}]`,
        // The secret's own base64 ends with `Q` here too: a newline's top bits are 0, like padding.
        `[${MASK}o=]`,
        `[dTp${MASK}]`,
        `[dXM6${MASK}]`,
        `[${MASK}]`,
        `[${MASK}]`,
        `[${MASK}]`,
      ]);
    });

    it('masks a secret across the cut of a line longer than 64 KiB, wherever it falls', async () => {
      const secret = 'sup3r-s3cret-t0ken';
      const writer = newWriter({ secrets: [secret] });
      const starts: number[] = [];
      for (let start = MAX_LINE_BYTES - 100; start <= MAX_LINE_BYTES + 2; start += 3) starts.push(start);
      const input = Buffer.from(
        starts.map((start) => `${'a'.repeat(start)}${secret}${'b'.repeat(150)}\n`).join(''),
      );
      // Odd-sized reads, so the cut also falls inside a read.
      for (let at = 0; at < input.length; at += 10_007)
        writer.write('stdout', input.subarray(at, at + 10_007));
      const lines = await storedTexts(writer);
      expect(lines).toHaveLength(starts.length * 2);
      starts.forEach((start, i) => {
        expect(lines[2 * i]!.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
        expect(lines[2 * i]! + lines[2 * i + 1]!).toBe(`${'a'.repeat(start)}${MASK}${'b'.repeat(150)}`);
      });
      expect((await storedFrames()).includes(secret.slice(0, 6))).toBe(false);
      expect((await storedFrames()).includes(secret.slice(-6))).toBe(false);
    });

    it('keeps UTF-8 characters whole when cutting a long line that holds a secret', async () => {
      const secret = 'sup3r-s3cret-t0ken';
      const writer = newWriter({ secrets: [secret] });
      const euros = '€'.repeat(21_840); // 65 520 bytes, so the secret crosses the 64 KiB mark
      writer.write('stdout', Buffer.from(`${euros}${secret}€\n`));
      const lines = await storedTexts(writer);
      expect(lines).toHaveLength(2);
      expect(lines.join('')).toBe(`${euros}${MASK}€`);
      expect(lines.every((line) => !line.includes('\ufffd'))).toBe(true);
    });

    it('masks each line of a multi-line secret printed as is', async () => {
      const key =
        '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END KEY-----\n';
      const writer = newWriter({ secrets: [key] });
      writer.write('stdout', Buffer.from(`$ cat key.pem\n${key}done\n`));
      expect(await storedTexts(writer)).toEqual(['$ cat key.pem', MASK, MASK, MASK, MASK, 'done']);
    });

    it('hides two secrets where one contains the other', async () => {
      const writer = newWriter({ secrets: ['abc123', 'xxabc123yy'] });
      writer.write('stdout', Buffer.from('1 xxabc123yy 2 abc123 3 xxabc123\n'));
      expect(await storedTexts(writer)).toEqual([`1 ${MASK} 2 ${MASK} 3 xx${MASK}`]);
    });

    it('stores a line without a secret byte for byte, and counts masked lines as stored', async () => {
      const writer = newWriter({ secrets: [SECRET] });
      const clean = Buffer.concat([
        Buffer.from('\x1b[1mhunter2-sekre\x1b[0m\tunter2-sekret\r'),
        Buffer.from([0xff, 0x00, 0xc3]),
      ]);
      writer.write('stdout', Buffer.concat([clean, Buffer.from(`\n${SECRET}\n`)]));
      const totals = await writer.close();
      const frame = await storedFrames();
      expect(frame.includes(Buffer.concat([Buffer.from('\t'), clean, Buffer.from('\n')]))).toBe(true);
      expect(frame.includes(SECRET)).toBe(false);
      expect(totals).toEqual({ lines: 2, bytes: clean.length + 1 + MASK.length + 1, discardedBytes: 0 });
    });

    it('shows followers masked lines before they are stored', async () => {
      const registry = new LogRegistry();
      const writer = newWriter({ secrets: [SECRET], flushIntervalMs: 60_000 });
      registry.register(executionId, writer);
      writer.write('stdout', Buffer.from(`token ${SECRET}\n`));
      writer.write('stderr', Buffer.from(`half ${SECRET.slice(0, 5)}`));
      writer.write('stderr', Buffer.from(`${SECRET.slice(5)} done\n`));
      writer.system(`[baton] retrying with ${SECRET}`);
      const expected = [`token ${MASK}`, `half ${MASK} done`, `[baton] retrying with ${MASK}`];
      expect(await countStoredLines(database.db, executionId)).toBe(0);
      expect(texts(writer.pending(0))).toEqual(expected);
      expect(texts(await readLog({ db: database.db, registry }, executionId, 0, 100))).toEqual(expected);
      const controller = new AbortController();
      const follow = followLog({ db: database.db, registry, events }, executionId, 0, {
        isFinished: async () => false,
        signal: controller.signal,
      });
      const first = await follow.next();
      controller.abort();
      expect(texts(first.value as LogLine[])).toEqual(expected);
    });
  });
});
