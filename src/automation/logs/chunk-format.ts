/**
 * The stored form of a run of log lines: framed as bytes, then gzipped.
 *
 * Frame, one record per line:  `<s><dt>\t<text bytes>\n`
 *   - `s` is `o` (stdout), `e` (stderr) or `s` (system);
 *   - `dt` is the line's time minus the previous line's time in the chunk, in milliseconds, as
 *     signed decimal (the first line's is its epoch time), and empty when 0: lines from one read
 *     share a timestamp, so most records cost two bytes of framing;
 *   - the text is the child's bytes untouched (ANSI escapes, `\r`, tabs, invalid UTF-8); only
 *     `\n` can never occur in it, so the frame is split on `\n` and each record on its first `\t`.
 * The line number is not stored: a chunk's row carries `first_line`, and lines are consecutive.
 * A future format can be told apart by its first byte, which is always `o`, `e` or `s` here.
 *
 * Compression is gzip level 1. Measured on 2.3 MB of framed log text (dpkg and alternatives
 * logs plus coloured build-style output) in 256 KiB chunks on the 2-core dev machine: level 1
 * 7.07x at 230–370 MB/s, level 2 7.07x at 260–340 MB/s, level 3 7.09x at ~200 MB/s, level 6
 * 7.8x at ~85 MB/s. Levels 1–3 compress alike; 1 is the fastest, and the threadpool time it
 * saves matters more than the last 10% of size.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { LogLine, LogStream } from './model.js';

/** A line given as bytes, never converted to a string. */
export interface RawLine {
  t: number;
  s: LogStream;
  text: Buffer;
}

const GZIP_LEVEL = 1;
/**
 * Below this many bytes, (de)compress on the event loop: a 2 KB gzip takes ~20 µs inline but
 * ~250 µs through the threadpool round trip, and timer flushes of a quiet step are that small.
 */
const INLINE_ZLIB_BYTES = 32 * 1024;

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

const NEWLINE = 0x0a;
const TAB = 0x09;
const STREAM_CODES: Record<LogStream, number> = { stdout: 0x6f, stderr: 0x65, system: 0x73 };
const STREAM_OF_CODE = new Map<number, LogStream>([
  [0x6f, 'stdout'],
  [0x65, 'stderr'],
  [0x73, 'system'],
]);

/**
 * An uncompressed chunk being built line by line. Each line's bytes are copied once, straight
 * from the buffer the child's pipe produced, into one growing buffer; nothing is kept per line.
 */
export class ChunkFrame {
  private buffer: Buffer;
  private used = 0;
  private previousTime = 0;
  /** Lines appended so far. */
  lineCount = 0;

  constructor(capacity = 4096) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /** Appends one line whose text is `source[start, end)`, which must not contain `\n`. */
  append(s: LogStream, t: number, source: Buffer, start = 0, end = source.length): void {
    const delta = t - this.previousTime;
    this.previousTime = t;
    const digits = delta === 0 ? '' : String(delta);
    this.reserve(end - start + digits.length + 3);
    const buffer = this.buffer;
    buffer[this.used++] = STREAM_CODES[s];
    if (digits !== '') this.used += buffer.write(digits, this.used, 'latin1');
    buffer[this.used++] = TAB;
    this.used += source.copy(buffer, this.used, start, end);
    buffer[this.used++] = NEWLINE;
    this.lineCount++;
  }

  /** Size of the frame so far, in bytes. */
  get size(): number {
    return this.used;
  }

  /** The frame so far: a view that stays valid until the next append. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    // Doubling keeps the copies amortised to one per byte however the chunk fills up.
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}

/** Gzips a frame into a chunk's `data`; large frames compress on the threadpool, not the event loop. */
export async function compressFrame(frame: Buffer): Promise<Buffer> {
  return frame.length < INLINE_ZLIB_BYTES
    ? zlib.gzipSync(frame, { level: GZIP_LEVEL })
    : gzip(frame, { level: GZIP_LEVEL });
}

/** Frames and gzips lines into a chunk's `data`. */
export async function encodeChunk(lines: readonly RawLine[]): Promise<Buffer> {
  const frame = new ChunkFrame(lines.reduce((size, line) => size + line.text.length + 16, 0));
  for (const line of lines) frame.append(line.s, line.t, line.text);
  return compressFrame(frame.bytes());
}

/**
 * Decodes a chunk whose first line is `firstLine`, returning the lines with `from <= n < to`.
 * Text is decoded as UTF-8 with replacement characters for invalid bytes.
 */
export async function decodeChunk(
  data: Uint8Array,
  firstLine: number,
  from: number = firstLine,
  to: number = Infinity,
): Promise<LogLine[]> {
  const frame = data.length < INLINE_ZLIB_BYTES ? zlib.gunzipSync(data) : await gunzip(data);
  return parseFrame(frame, firstLine, from, to);
}

/** Parses uncompressed frame bytes; see the module comment for the layout. */
export function parseFrame(frame: Buffer, firstLine: number, from: number, to: number): LogLine[] {
  const lines: LogLine[] = [];
  let n = firstLine;
  let t = 0;
  let at = 0;
  while (at < frame.length && n < to) {
    const end = frame.indexOf(NEWLINE, at);
    const tab = frame.indexOf(TAB, at);
    const s = STREAM_OF_CODE.get(frame[at]!);
    if (end === -1 || tab === -1 || tab > end || s === undefined) {
      throw new Error(`corrupt log chunk: record ${n - firstLine} (line ${n}) is not framed as expected`);
    }
    // Every record's delta must be applied, even for lines before `from`, to know later times.
    if (tab > at + 1) {
      const delta = Number(frame.toString('latin1', at + 1, tab));
      if (!Number.isInteger(delta)) throw new Error(`corrupt log chunk: line ${n} has a bad timestamp`);
      t += delta;
    }
    if (n >= from) lines.push({ n, t, s, text: frame.toString('utf8', tab + 1, end) });
    n++;
    at = end + 1;
  }
  return lines;
}
