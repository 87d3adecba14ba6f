/** The one check of received values: depth up to the limit and not past it, well-formed text, prototype keys. */
import { describe, expect, it } from 'vitest';
import { findShapeFlaw, MAX_JSON_DEPTH } from './json-shape.js';

/** `levels` arrays inside one another, innermost holding `inner`. */
const nested = (levels: number, inner: unknown = 1): unknown =>
  Array.from({ length: levels }).reduce<unknown>((value) => [value], inner);

describe('shape of received values', () => {
  it('accepts nesting up to the limit and refuses one level more, at the level that passes it', () => {
    expect(findShapeFlaw(nested(MAX_JSON_DEPTH))).toBeUndefined();
    const flaw = findShapeFlaw({ deep: nested(MAX_JSON_DEPTH) });
    expect(flaw).toMatchObject({
      message: `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
    });
    expect(flaw!.path).toEqual(['deep', ...Array(MAX_JSON_DEPTH - 1).fill(0)]);
  });

  it('walks 100,000 levels without recursion', () => {
    expect(findShapeFlaw(nested(100_000))?.message).toContain('nests deeper');
  });

  it('refuses a lone surrogate in a value or a key and accepts a pair', () => {
    expect(findShapeFlaw({ text: 'smile \ud83d\ude00' })).toBeUndefined();
    expect(findShapeFlaw({ list: ['ok', 'half \ud800'] })).toMatchObject({
      path: ['list', 1],
      atKey: false,
      message: expect.stringContaining('not well-formed Unicode'),
    });
    expect(findShapeFlaw({ ['\udc00']: 1 })).toMatchObject({ path: ['\udc00'], atKey: true });
  });

  it('refuses prototype keys only when asked (documents), at the key', () => {
    const value = JSON.parse('{"labels": {"__proto__": "x"}, "env": {"constructor": "y"}}') as unknown;
    expect(findShapeFlaw(value)).toBeUndefined();
    expect(findShapeFlaw(value, { refusePrototypeKeys: true })).toMatchObject({ atKey: true });
    expect(findShapeFlaw({ prototype: 1 }, { refusePrototypeKeys: true })?.path).toEqual(['prototype']);
  });
});
