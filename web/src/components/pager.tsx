/** Newest / Newer / Older links for lists paged by a `before` cursor kept in the URL. */
import type { Cursor, CursorTrail } from './cursor-trail';

interface PagerProps {
  /** The `before` of the page shown; undefined on the first page. */
  before: Cursor;
  /** The `before` of the next, older page, as the API answered; null on the last page. */
  next: number | null;
  trail: CursorTrail;
  /** Identifies the filters, so a remembered trail is used only under the same ones. */
  filtersKey: string;
  /** Goes to the page at this cursor. */
  go: (cursor: Cursor) => void;
  label: string;
}

export function Pager({ before, next, trail, filtersKey, go, label }: PagerProps) {
  const newer = trail.newer(filtersKey, before);
  if (before === undefined && next === null) return null;
  return (
    <nav className="pager" aria-label={label}>
      {before !== undefined && (
        <button type="button" onClick={() => go(undefined)}>
          ⇤ Newest
        </button>
      )}
      {newer.known && newer.cursor !== undefined && (
        <button type="button" onClick={() => go(newer.cursor)}>
          ← Newer
        </button>
      )}
      {next !== null && (
        <button
          type="button"
          onClick={() => {
            trail.stepOlder(filtersKey, before, String(next));
            go(String(next));
          }}
        >
          Older →
        </button>
      )}
    </nav>
  );
}
