import { describe, expect, it } from 'vitest';
import {
  MAX_SCROLL_HEIGHT,
  offsetFor,
  offsetToShow,
  ROW_HEIGHT,
  scrollGeometry,
  scrollTopFor,
  visibleRows,
} from './viewport';

describe('scrollGeometry', () => {
  it('scrolls one to one while the log fits under the height cap', () => {
    const geometry = scrollGeometry(1000, 600);
    expect(geometry).toEqual({
      contentHeight: 18_000,
      viewportHeight: 600,
      scrollHeight: 18_000,
      scale: 1,
      maxOffset: 17_400,
    });
    expect(offsetFor(geometry, 1234)).toBe(1234);
    expect(scrollTopFor(geometry, 1234)).toBe(1234);
  });

  it('never makes the scroll area taller than the cap, however long the log', () => {
    for (const lines of [1_000_000, 10_000_000, 100_000_000]) {
      const geometry = scrollGeometry(lines, 600);
      expect(geometry.scrollHeight).toBe(MAX_SCROLL_HEIGHT);
      // The scrollbar's ends are the log's ends.
      expect(offsetFor(geometry, 0)).toBe(0);
      expect(offsetFor(geometry, MAX_SCROLL_HEIGHT - 600)).toBe(geometry.maxOffset);
      expect(geometry.maxOffset).toBe(lines * ROW_HEIGHT - 600);
    }
  });

  it('maps a scrollTop to the same place of the log and back', () => {
    const geometry = scrollGeometry(1_000_000, 600);
    expect(geometry.scale).toBeCloseTo(2.25, 2);
    const middle = geometry.maxOffset / 2;
    expect(offsetFor(geometry, scrollTopFor(geometry, middle))).toBeCloseTo(middle, 6);
    // A scrollTop rounded to the device pixel still reaches the very end.
    expect(offsetFor(geometry, Math.round(scrollTopFor(geometry, geometry.maxOffset)) - 0.4)).toBe(
      geometry.maxOffset,
    );
  });

  it('has nothing to scroll when the log is shorter than the view', () => {
    const geometry = scrollGeometry(10, 600);
    expect(geometry.maxOffset).toBe(0);
    expect(offsetFor(geometry, 50)).toBe(0);
  });
});

describe('visibleRows', () => {
  it('draws the lines on screen and the overscan, at their place', () => {
    const geometry = scrollGeometry(1000, 180);
    expect(visibleRows(geometry, 1000, 900, 900, 5)).toEqual({
      first: 45,
      end: 65,
      shownFrom: 50,
      shownTo: 60,
      top: 45 * ROW_HEIGHT,
    });
    // Part of a row scrolled off the top still counts as on screen.
    expect(visibleRows(geometry, 1000, 909, 909, 0)).toMatchObject({ shownFrom: 50, shownTo: 61 });
  });

  it('places rows 18 px apart around the view when the scroll is scaled', () => {
    const geometry = scrollGeometry(1_000_000, 600);
    const offset = 9_000_000;
    const scrollTop = scrollTopFor(geometry, offset);
    const rows = visibleRows(geometry, 1_000_000, offset, scrollTop, 10);
    expect(rows.shownFrom).toBe(500_000);
    expect(rows.first).toBe(499_990);
    // Line 500,000 is at the top of the view: scrollTop in the scroll area's coordinates.
    expect(rows.top + (rows.shownFrom - rows.first) * ROW_HEIGHT).toBeCloseTo(scrollTop, 6);
  });

  it('stops at the last line', () => {
    const geometry = scrollGeometry(100, 600);
    expect(visibleRows(geometry, 100, geometry.maxOffset, geometry.maxOffset, 20)).toMatchObject({
      end: 100,
      shownTo: 100,
    });
  });
});

describe('offsetToShow', () => {
  const geometry = scrollGeometry(10_000, 600);

  it('puts a line out of view a third of the way down', () => {
    expect(offsetToShow(geometry, 5000, 0)).toBe(5000 * ROW_HEIGHT - 200);
  });

  it('leaves the view alone when the line is already well inside it', () => {
    expect(offsetToShow(geometry, 110, 100 * ROW_HEIGHT)).toBe(100 * ROW_HEIGHT);
  });

  it('stays within the log at its ends', () => {
    expect(offsetToShow(geometry, 2, 50_000)).toBe(0);
    expect(offsetToShow(geometry, 9999, 0)).toBe(geometry.maxOffset);
  });
});
