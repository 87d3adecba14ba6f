/**
 * Newer/Older paging over an API that pages by `before` (an id cursor) only. Older is exact: the
 * API gives the next cursor. Newer is remembered: each Older step records which cursor it came
 * from, so Newer retraces it; a page opened from a link has no such record and offers the newest
 * page instead.
 */

/** First page: no cursor. */
export type Cursor = string | undefined;

export class CursorTrail {
  private readonly newerOf = new Map<string, Cursor>();

  /** Remembers that the page at `older` was reached from the page at `from`, under the same filters. */
  stepOlder(filtersKey: string, from: Cursor, older: string): void {
    this.newerOf.set(`${filtersKey}\n${older}`, from);
  }

  /**
   * The cursor of the page just newer than `at`: `{ known: true, cursor }` when this trail
   * recorded it (cursor undefined = the first page), `{ known: false }` otherwise.
   */
  newer(filtersKey: string, at: Cursor): { known: true; cursor: Cursor } | { known: false } {
    if (at === undefined) return { known: false };
    const key = `${filtersKey}\n${at}`;
    return this.newerOf.has(key) ? { known: true, cursor: this.newerOf.get(key) } : { known: false };
  }
}
