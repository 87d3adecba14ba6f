import { describe, expect, it } from 'vitest';
import { parseAnsi, spanText } from './ansi';
import { markMatches, matchPattern, matchRanges, truncateSpans } from './highlight';

describe('matchRanges', () => {
  it('finds every match of the query, ignoring case and taking it literally', () => {
    const pattern = matchPattern('ab')!;
    expect(matchRanges('xAbyabAB', pattern)).toEqual([
      [1, 3],
      [4, 6],
      [6, 8],
    ]);
    expect(matchRanges('a.b axb', matchPattern('a.b')!)).toEqual([[0, 3]]);
    // The same pattern object is reused for every row: each call starts from the beginning.
    expect(matchRanges('ab', pattern)).toEqual([[0, 2]]);
  });

  it('has no pattern for an empty query', () => {
    expect(matchPattern('')).toBeNull();
  });
});

describe('markMatches', () => {
  it('splits coloured spans at the edges of matches and marks the pieces inside', () => {
    const spans = parseAnsi('\u001b[31mError\u001b[0m: disk error');
    const marked = markMatches(spans, matchRanges(spanText(spans), matchPattern('rror')!));
    expect(marked).toEqual([
      { text: 'E', className: 'ansi-fg-1' },
      { text: 'rror', className: 'ansi-fg-1', match: true },
      { text: ': disk e', className: '' },
      { text: 'rror', className: '', match: true },
    ]);
  });

  it('marks a match that spans several coloured spans in each of them', () => {
    const spans = parseAnsi('\u001b[32mok\u001b[33mwarn\u001b[0m');
    expect(markMatches(spans, [[1, 4]])).toEqual([
      { text: 'o', className: 'ansi-fg-2' },
      { text: 'k', className: 'ansi-fg-2', match: true },
      { text: 'wa', className: 'ansi-fg-3', match: true },
      { text: 'rn', className: 'ansi-fg-3' },
    ]);
  });

  it('leaves spans alone when nothing matches', () => {
    const spans = parseAnsi('nothing here');
    expect(markMatches(spans, [])).toBe(spans);
  });
});

describe('truncateSpans', () => {
  it('keeps the first characters of a very long line and counts the rest', () => {
    const spans = parseAnsi(`\u001b[31m${'a'.repeat(10)}\u001b[0m${'b'.repeat(10)}`);
    expect(truncateSpans(spans, 15)).toEqual({
      spans: [
        { text: 'a'.repeat(10), className: 'ansi-fg-1' },
        { text: 'b'.repeat(5), className: '' },
      ],
      hidden: 5,
    });
    expect(truncateSpans(spans, 20)).toEqual({ spans, hidden: 0 });
  });

  it('never cuts a character outside the basic plane in half', () => {
    expect(truncateSpans([{ text: 'ab😀c', className: '' }], 3)).toEqual({
      spans: [{ text: 'ab', className: '' }],
      hidden: 3,
    });
  });
});
