/**
 * Where the log view is scrolled, in lines. Rows have one fixed height, so which lines are on
 * screen is arithmetic, and nothing is kept per line (a virtualizer that measures rows keeps
 * an entry per row: 16 bytes and a key for each of a million lines, rebuilt as a live log grows).
 *
 * Browsers cap an element's height (Chrome at about 33.5 million px, Firefox at about 17.9
 * million): a million lines of 18 px are 18 million px. The scroll area is therefore never
 * taller than MAX_SCROLL_HEIGHT; beyond that, one pixel of scrollbar stands for `scale` pixels of
 * log. The view keeps its position as a "virtual" offset in log pixels and draws the rows on
 * screen at their place relative to it, so rows stay 18 px apart whatever the scale; the wheel
 * and keys scroll by log pixels (see log-view.tsx), the scrollbar thumb by the scale.
 * 8 million px keeps well under every browser's cap and under 2^23, where single-precision
 * compositor coordinates are still exact to a pixel.
 */

/** Height of one line in px; the stylesheet sets the same (`.log-line`). */
export const ROW_HEIGHT = 18;
/** Tallest scroll area created; see the module comment. */
export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface ScrollGeometry {
  /** Lines × row height: the log's height in log pixels. */
  contentHeight: number;
  viewportHeight: number;
  /** Height given to the scroll area's content, in CSS pixels. */
  scrollHeight: number;
  /** Log pixels per CSS pixel of scrolling: 1 until the log is taller than MAX_SCROLL_HEIGHT. */
  scale: number;
  /** The largest offset: the last line at the bottom of the view. */
  maxOffset: number;
}

/** The geometry of a log of `lines` lines in a view `viewportHeight` tall. */
export function scrollGeometry(
  lines: number,
  viewportHeight: number,
  rowHeight = ROW_HEIGHT,
  maxScrollHeight = MAX_SCROLL_HEIGHT,
): ScrollGeometry {
  const contentHeight = lines * rowHeight;
  const maxOffset = Math.max(0, contentHeight - viewportHeight);
  if (contentHeight <= maxScrollHeight) {
    return { contentHeight, viewportHeight, scrollHeight: contentHeight, scale: 1, maxOffset };
  }
  const scale = maxOffset / Math.max(1, maxScrollHeight - viewportHeight);
  return { contentHeight, viewportHeight, scrollHeight: maxScrollHeight, scale, maxOffset };
}

/** Clamps an offset into [0, maxOffset]. */
export function clampOffset(geometry: ScrollGeometry, offset: number): number {
  return Math.min(Math.max(0, offset), geometry.maxOffset);
}

/** The scroll area's scrollTop that shows `offset`. */
export function scrollTopFor(geometry: ScrollGeometry, offset: number): number {
  return clampOffset(geometry, offset) / geometry.scale;
}

/**
 * The offset a scrollTop shows. The scrollbar's end is the log's end exactly: rounding the
 * scrollTop to device pixels must not leave the last line short of the bottom.
 */
export function offsetFor(geometry: ScrollGeometry, scrollTop: number): number {
  const maxScrollTop = Math.max(0, geometry.scrollHeight - geometry.viewportHeight);
  if (scrollTop >= maxScrollTop - 0.5) return geometry.maxOffset;
  return clampOffset(geometry, scrollTop * geometry.scale);
}

export interface VisibleRows {
  /** First line drawn (overscan included). */
  first: number;
  /** One past the last line drawn. */
  end: number;
  /** First and one past the last line actually on screen. */
  shownFrom: number;
  shownTo: number;
  /** Where to place line `first`, relative to the top of the scroll content, in CSS pixels. */
  top: number;
}

/** The lines to draw at `offset`, with `overscan` more on each side, and where they go. */
export function visibleRows(
  geometry: ScrollGeometry,
  lines: number,
  offset: number,
  scrollTop: number,
  overscan: number,
  rowHeight = ROW_HEIGHT,
): VisibleRows {
  const shownFrom = Math.min(lines, Math.floor(offset / rowHeight));
  const shownTo = Math.min(lines, Math.ceil((offset + geometry.viewportHeight) / rowHeight));
  const first = Math.max(0, shownFrom - overscan);
  const end = Math.min(lines, shownTo + overscan);
  // Rows sit where the view is (scrollTop), shifted by how far line `first` is from the offset.
  return { first, end, shownFrom, shownTo, top: scrollTop + (first * rowHeight - offset) };
}

/**
 * The offset that brings line `line` into view a third of the way down (where the eye looks
 * after a jump), or leaves the view as it is when the line is already comfortably on screen.
 */
export function offsetToShow(
  geometry: ScrollGeometry,
  line: number,
  current: number,
  rowHeight = ROW_HEIGHT,
): number {
  const lineTop = line * rowHeight;
  const margin = Math.min(3 * rowHeight, geometry.viewportHeight / 4);
  if (lineTop >= current + margin && lineTop + rowHeight <= current + geometry.viewportHeight - margin) {
    return current;
  }
  return clampOffset(geometry, lineTop - Math.floor(geometry.viewportHeight / 3));
}
