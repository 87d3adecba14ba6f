/**
 * A search through the whole log, done by the server page by page (GET …/log/search): matches
 * arrive as the scan goes, so the count grows "so far" until the last page. While the execution
 * runs, lines written after the scan reached the end are searched as they come.
 */
import { useEffect, useRef, useState } from 'react';
import { get } from '../../api/client';
import { executionPath, type LogSearchPage } from '../../api/executions';

/** Matches kept at most: enough to step through, bounded for a query that matches every line. */
export const MAX_MATCHES = 100_000;
/** Most matches one page returns (the API's maximum). */
const PAGE_MATCHES = 10_000;
/** How often a finished scan of a running execution looks for new lines. */
const LIVE_RESCAN_MS = 2000;

export interface LogSearch {
  /** The query these results are for (results of an earlier query linger for one render). */
  query: string;
  /** Line numbers that match, ascending. */
  matches: number[];
  /** The scan is still going. */
  searching: boolean;
  /** More lines matched than MAX_MATCHES; only the first are kept. */
  capped: boolean;
  error: unknown;
}

const IDLE: LogSearch = { query: '', matches: [], searching: false, capped: false, error: undefined };

/** Searches the log of `executionId` for `query` (nothing for an empty query). */
export function useLogSearch(executionId: number, query: string, live: boolean): LogSearch {
  const [search, setSearch] = useState<LogSearch>(IDLE);
  const liveRef = useRef(live);
  useEffect(() => {
    liveRef.current = live;
  }, [live]);

  useEffect(() => {
    setSearch(query === '' ? IDLE : { ...IDLE, query, searching: true });
    if (query === '') return;
    const controller = new AbortController();
    const { signal } = controller;
    const run = async () => {
      let matches: number[] = [];
      let from = 0;
      let rescanning = false;
      for (;;) {
        const page = await get<LogSearchPage>(
          `${executionPath(executionId)}/log/search`,
          { q: query, from, limit: PAGE_MATCHES },
          signal,
        );
        from = page.next;
        matches = matches.concat(page.matches);
        const capped = matches.length > MAX_MATCHES;
        if (capped) matches = matches.slice(0, MAX_MATCHES);
        const finished = capped || (page.done && !liveRef.current);
        // A rescan of a running log that found nothing new changes nothing on the page.
        if (page.matches.length > 0 || !rescanning || finished) {
          setSearch({ query, matches, searching: !page.done && !capped, capped, error: undefined });
        }
        if (finished) return;
        if (page.done) {
          rescanning = true;
          await delay(LIVE_RESCAN_MS, signal);
        }
      }
    };
    run().catch((error: unknown) => {
      if (signal.aborted) return;
      setSearch((previous) => ({ ...previous, searching: false, error }));
    });
    return () => controller.abort();
  }, [executionId, query]);

  return search;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
