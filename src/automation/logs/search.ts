/**
 * Searching a log for a piece of text, page by page. A log can hold millions of lines, more than
 * a browser can hold, so the server scans it and returns line numbers; each request scans a
 * bounded number of lines and says where the next one resumes, so no request holds the server
 * for long however large the log is.
 */
import type { LogReadContext } from './reader.js';
import { readLog } from './reader.js';
import { searchPattern, visibleText } from '../../contract/visible-text.js';

/**
 * Most lines one request scans. Measured on the shared 2-core dev machine (load ~4) with the
 * 1,000,003 short lines of `seq 1 1000000` stored in SQLite: a page of 50,000 lines takes ~40 ms
 * (three quarters of it reading and decoding chunks, the rest matching), 100,000 took ~100 ms;
 * the whole log is searched in ~1 s over 21 requests, and the event loop is never held longer
 * than decoding one stored chunk or matching one page.
 */
export const MAX_SCAN_LINES = 50_000;
/** Longest query accepted: a search box, not a document. */
export const MAX_QUERY_LENGTH = 200;

export interface LogSearchRequest {
  /** Text to find, case-insensitively, in what each line shows (escape sequences removed). */
  query: string;
  /** First line number to scan. */
  from: number;
  /** Most matches to return; the scan stops after the line of the last one. */
  limit: number;
  /** Most lines to scan (at most MAX_SCAN_LINES). */
  scan: number;
}

export interface LogSearchPage {
  /** Numbers of the matching lines, ascending. */
  matches: number[];
  /** The line number the next request resumes from. */
  next: number;
  /** True when the scan reached the last line written so far (a running execution may add more). */
  done: boolean;
  /** Lines scanned by this request. */
  scanned: number;
}

/** A test for "this line shows the query", ignoring case (see `searchPattern`). */
export function lineMatcher(query: string): (text: string) => boolean {
  const pattern = searchPattern(query);
  return (text) => pattern.test(visibleText(text));
}

/** One page of a search: the matches among at most `scan` lines from `from`. */
export async function searchLog(
  ctx: LogReadContext,
  executionId: number,
  request: LogSearchRequest,
): Promise<LogSearchPage> {
  const scan = Math.min(request.scan, MAX_SCAN_LINES);
  const matches = lineMatcher(request.query);
  // One read for the whole page: a stored chunk holds thousands of lines and is decompressed
  // whole, so reading the page in smaller slices would decompress each chunk several times.
  const lines = await readLog(ctx, executionId, request.from, scan);
  const found: number[] = [];
  for (const line of lines) {
    if (!matches(line.text)) continue;
    found.push(line.n);
    if (found.length === request.limit) {
      return { matches: found, next: line.n + 1, done: false, scanned: line.n + 1 - request.from };
    }
  }
  // readLog returns every line of [from, from + scan) that exists, so a page that ends early has
  // reached the last line written (line numbers lost with a failed chunk are only skipped over).
  const last = lines[lines.length - 1];
  const next = last === undefined ? request.from : last.n + 1;
  const scanned = next - request.from;
  return { matches: found, next, done: scanned < scan, scanned };
}
