/**
 * Search matches within the spans of one line, and very long lines cut to what a row can show.
 * Pure: the log view calls these for each row it draws.
 */
import { searchPattern } from '../../../../src/contract/visible-text.js';
import type { AnsiSpan } from './ansi';

/** A span, marked when it is (part of) a search match. */
export interface ShownSpan extends AnsiSpan {
  match?: boolean;
}

/** The pattern that finds every match of a query in a line's text; null for an empty query. */
export function matchPattern(query: string): RegExp | null {
  return query === '' ? null : searchPattern(query, true);
}

/** [start, end) of every non-overlapping match of `pattern` (a global pattern) in `text`. */
export function matchRanges(text: string, pattern: RegExp): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  pattern.lastIndex = 0;
  for (let found = pattern.exec(text); found !== null; found = pattern.exec(text)) {
    const end = found.index + found[0].length;
    // An empty match (never from a non-empty literal) would otherwise loop forever.
    if (end === found.index) pattern.lastIndex++;
    else ranges.push([found.index, end]);
  }
  return ranges;
}

/** Splits spans at the edges of the ranges and marks the pieces inside them. */
export function markMatches(
  spans: readonly AnsiSpan[],
  ranges: ReadonlyArray<[number, number]>,
): ShownSpan[] {
  if (ranges.length === 0) return spans as ShownSpan[];
  const shown: ShownSpan[] = [];
  let offset = 0;
  let range = 0;
  for (const span of spans) {
    const end = offset + span.text.length;
    let at = offset;
    while (at < end) {
      // Skip ranges that ended before this point.
      while (range < ranges.length && ranges[range]![1] <= at) range++;
      const current = ranges[range];
      if (!current || current[0] >= end) {
        shown.push({ ...span, text: span.text.slice(at - offset) });
        at = end;
      } else if (current[0] > at) {
        shown.push({ ...span, text: span.text.slice(at - offset, current[0] - offset) });
        at = current[0];
      } else {
        const stop = Math.min(current[1], end);
        shown.push({ ...span, text: span.text.slice(at - offset, stop - offset), match: true });
        at = stop;
      }
    }
    offset = end;
  }
  return shown;
}

/** The first `max` characters of the spans, and how many were left out. */
export function truncateSpans<T extends AnsiSpan>(
  spans: readonly T[],
  max: number,
): { spans: T[]; hidden: number } {
  let length = 0;
  for (const span of spans) length += span.text.length;
  if (length <= max) return { spans: spans as T[], hidden: 0 };
  const kept: T[] = [];
  let room = max;
  for (const span of spans) {
    if (room <= 0) break;
    const piece = span.text.length <= room ? span : { ...span, text: cutAt(span.text, room) };
    kept.push(piece);
    room -= piece.text.length;
    if (piece !== span) break;
  }
  return { spans: kept, hidden: length - (max - room) };
}

/** The first `length` UTF-16 units of `text`, one less if that would split a surrogate pair. */
function cutAt(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}
