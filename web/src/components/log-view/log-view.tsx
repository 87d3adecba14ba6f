/**
 * The live log viewer: a virtual list of fixed-height rows over a log of any length (only the
 * rows on screen exist; see viewport.ts for the browser's height cap), fed by range requests
 * for what is on screen and by the live stream while the execution runs. It follows new lines
 * while the reader is at the bottom; scrolling up stops that and a button resumes it. A search
 * box asks the server to find lines in the whole log; Enter and Shift+Enter step through them.
 */
import {
  memo,
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type Ref,
} from 'react';
import { flushSync } from 'react-dom';
import { ApiError } from '../../api/client';
import { executionPath, type LogLine } from '../../api/executions';
import { formatBytes, formatCount } from '../../format';
import { parseAnsi, spanText, type AnsiSpan } from './ansi';
import { markMatches, matchPattern, matchRanges, truncateSpans, type ShownSpan } from './highlight';
import { useLogSearch, type LogSearch } from './use-log-search';
import { useLogSource } from './use-log-source';
import {
  clampOffset,
  offsetFor,
  offsetToShow,
  ROW_HEIGHT,
  scrollGeometry,
  scrollTopFor,
  visibleRows,
  type ScrollGeometry,
} from './viewport';
import './log-view.css';

/** Rows drawn above and below the screen, so a small scroll never shows an empty row. */
const OVERSCAN = 30;
/** After a leap (a move of more than a screen), the quiet time before the overscan is drawn again. */
const LEAP_SETTLE_MS = 120;
/** Characters of one line drawn at most; a megabyte-long line would stall the page. */
const MAX_LINE_CHARACTERS = 4000;
/** Quiet time after typing before a search starts. */
const SEARCH_DELAY_MS = 300;

export interface LogViewHandle {
  /** Scrolls so that line `line` (from 0) is in view, and stops following. */
  scrollToLine(line: number): void;
}

export interface LogViewProps {
  executionId: number;
  /** Lines the execution reports (grows while it runs). */
  lines: number;
  bytes: number;
  discardedBytes: number;
  /** The execution has not finished: follow its end, search new lines as they come. */
  live: boolean;
  /** It runs: new lines come through the live stream (a queued one has none to stream yet). */
  streaming: boolean;
  /** Where to open a finished log: its end suits a failure, whose cause is usually last. */
  openAt: 'start' | 'end';
  /** Called when the live stream says the execution finished. */
  onEnd(): void;
  /** The line picked through the URL (from 0), or null. */
  selectedLine: number | null;
  onSelectLine(line: number | null): void;
  /** What to say while the log has no line. */
  emptyMessage: string;
  handle?: Ref<LogViewHandle>;
}

interface View {
  /** Log pixels from the top of the log to the top of the screen. */
  offset: number;
  /** The scroll area's scrollTop that shows it. */
  scrollTop: number;
}

export function LogView(props: LogViewProps) {
  const { executionId, live, onEnd, selectedLine, onSelectLine } = props;
  const source = useLogSource(executionId, props.lines, props.streaming, onEnd);
  const { store, loader } = source;
  const total = store.total;

  const scrollerRef = useRef<HTMLDivElement>(null);
  const [viewportHeight, setViewportHeight] = useState(0);
  const geometry = useMemo(() => scrollGeometry(total, viewportHeight), [total, viewportHeight]);
  const geometryRef = useRef(geometry);
  const [view, setView] = useState<View>({ offset: 0, scrollTop: 0 });
  const viewRef = useRef(view);
  const [following, setFollowing] = useState(live && selectedLine === null);
  const followingRef = useRef(following);
  /** The next fetch is for a jump, not a scroll: it goes at once. */
  const urgentRef = useRef(true);
  const [showTimes, setShowTimes] = useState(false);
  /** The view moves by more than a screen at a time; see onScroll. */
  const [leaping, setLeaping] = useState(false);
  const leapTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const follow = useCallback((value: boolean) => {
    followingRef.current = value;
    setFollowing(value);
  }, []);

  /** Moves the view to `offset` (log pixels), drawing at once so the rows never lag the scrollbar. */
  const moveTo = useCallback((offset: number, sync: boolean) => {
    const scroller = scrollerRef.current;
    const geometry = geometryRef.current;
    const clamped = clampOffset(geometry, offset);
    const next = { offset: clamped, scrollTop: scrollTopFor(geometry, clamped) };
    viewRef.current = next;
    if (scroller && Math.abs(scroller.scrollTop - next.scrollTop) >= 1) scroller.scrollTop = next.scrollTop;
    if (scroller) next.scrollTop = scroller.scrollTop;
    if (sync) flushSync(() => setView(next));
    else setView(next);
  }, []);

  // The geometry changes as lines arrive and when the view is resized: keep the place in the
  // log (scaled scrolling maps it to a new scrollTop), or the bottom when following.
  useLayoutEffect(() => {
    geometryRef.current = geometry;
    const scroller = scrollerRef.current;
    // The view's height can change in the same commit (the empty log is short): measure it now,
    // or the bottom would be computed for the old height until the ResizeObserver reports.
    if (scroller && scroller.clientHeight !== viewportHeight) {
      setViewportHeight(scroller.clientHeight);
      return;
    }
    if (viewportHeight === 0) return;
    moveTo(followingRef.current ? geometry.maxOffset : viewRef.current.offset, false);
  }, [geometry, viewportHeight, moveTo]);

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const observer = new ResizeObserver(() => setViewportHeight(scroller.clientHeight));
    observer.observe(scroller);
    setViewportHeight(scroller.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Where a log opens: the line in the URL, the live end, or by the caller's choice.
  const opened = useRef(false);
  useLayoutEffect(() => {
    if (opened.current || viewportHeight === 0) return;
    if (selectedLine === null && total === 0 && live) return;
    opened.current = true;
    urgentRef.current = true;
    if (selectedLine !== null) moveTo(offsetToShow(geometry, selectedLine, 0), false);
    else if (followingRef.current || props.openAt === 'end') moveTo(geometry.maxOffset, false);
  }, [viewportHeight, total, selectedLine, live, geometry, moveTo, props.openAt]);

  const onScroll = useCallback(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const geometry = geometryRef.current;
    const scrollTop = scroller.scrollTop;
    let offset = viewRef.current.offset;
    // A scroll the view did not ask for (the scrollbar, touch, keys, the wheel at scale 1).
    if (geometry.scale === 1 || Math.abs(scrollTop - scrollTopFor(geometry, offset)) >= 1) {
      offset = offsetFor(geometry, scrollTop);
    }
    // The bottom as the browser has it, not as computed: the two differ for a moment while
    // lines arrive, and that moment must not stop following.
    const atBottom = scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW_HEIGHT;
    if (followingRef.current && !atBottom) follow(false);
    // A move of more than a screen (a fling, the scrollbar dragged) replaces every row: draw
    // only those on screen until the scrolling pauses, which halves the work of each frame.
    if (Math.abs(offset - viewRef.current.offset) > geometry.viewportHeight) {
      setLeaping(true);
      clearTimeout(leapTimer.current);
      leapTimer.current = setTimeout(() => setLeaping(false), LEAP_SETTLE_MS);
    }
    viewRef.current = { offset, scrollTop };
    if (geometry.scale > 1) flushSync(() => setView({ offset, scrollTop }));
    else setView({ offset, scrollTop });
  }, [follow]);
  useEffect(() => () => clearTimeout(leapTimer.current), []);

  // Beyond the height cap the wheel scrolls by log pixels, not by scrollbar pixels (which
  // would move `scale` times too far); a native listener, because React's is passive.
  useEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const onWheel = (event: WheelEvent) => {
      const geometry = geometryRef.current;
      // Scrolling up stops following at once, before new lines could pull the view down again.
      if (event.deltaY < 0 && followingRef.current) follow(false);
      if (geometry.scale === 1 || event.ctrlKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) return;
      event.preventDefault();
      const unit = event.deltaMode === 1 ? ROW_HEIGHT : event.deltaMode === 2 ? geometry.viewportHeight : 1;
      const offset = viewRef.current.offset + event.deltaY * unit;
      if (followingRef.current && offset < geometry.maxOffset - ROW_HEIGHT) follow(false);
      moveTo(offset, true);
    };
    scroller.addEventListener('wheel', onWheel, { passive: false });
    return () => scroller.removeEventListener('wheel', onWheel);
  }, [follow, moveTo]);

  /** Keys scroll by lines and pages of the log when the scroll is scaled (the browser would not). */
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = keyScroll(event.key, geometryRef.current, viewRef.current.offset);
    if (target === null || event.altKey || event.ctrlKey || event.metaKey) return;
    if (followingRef.current && target < geometryRef.current.maxOffset - ROW_HEIGHT) follow(false);
    if (geometryRef.current.scale === 1) return;
    event.preventDefault();
    moveTo(target, true);
  };

  const scrollToLine = useCallback(
    (line: number) => {
      follow(false);
      urgentRef.current = true;
      moveTo(offsetToShow(geometryRef.current, line, viewRef.current.offset), false);
    },
    [follow, moveTo],
  );
  useImperativeHandle(props.handle, () => ({ scrollToLine }), [scrollToLine]);

  const rows = visibleRows(geometry, total, view.offset, view.scrollTop, leaping ? 0 : OVERSCAN);

  // Ask for the lines on screen; the loader decides when. Before paint, so that opening a log
  // does not wait a frame for its first request.
  useLayoutEffect(() => {
    if (viewportHeight === 0 || rows.shownTo <= rows.shownFrom) return;
    loader.show(rows.shownFrom, rows.shownTo, urgentRef.current);
    urgentRef.current = false;
  }, [loader, rows.shownFrom, rows.shownTo, viewportHeight, total]);

  // Search.
  const [query, setQuery] = useState('');
  const [activeQuery, setActiveQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setActiveQuery(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query]);
  const latestSearch = useLogSearch(executionId, activeQuery, live);
  const search = latestSearch.query === activeQuery ? latestSearch : NO_SEARCH;
  const pattern = useMemo(() => matchPattern(activeQuery), [activeQuery]);
  const [current, setCurrent] = useState(-1);
  const jumpedFor = useRef('');
  // The first results of a new search: go to the first match from where the reader is.
  useEffect(() => {
    if (jumpedFor.current === activeQuery && activeQuery !== '') return;
    if (activeQuery === '' || search.matches.length === 0) {
      jumpedFor.current = '';
      setCurrent(-1);
      return;
    }
    const top = Math.floor(viewRef.current.offset / ROW_HEIGHT);
    const index = search.matches.findIndex((line) => line >= top);
    // Matches above the reader only, so far: wait for the scan to reach where they are.
    if (index === -1 && search.searching) return;
    jumpedFor.current = activeQuery;
    const chosen = Math.max(0, index);
    setCurrent(chosen);
    scrollToLine(search.matches[chosen]!);
  }, [activeQuery, search.matches, search.searching, scrollToLine]);

  const step = (direction: 1 | -1) => {
    const count = search.matches.length;
    if (count === 0) return;
    let next = current + direction;
    if (next >= count) next = search.searching ? count - 1 : 0;
    if (next < 0) next = count - 1;
    setCurrent(next);
    scrollToLine(search.matches[next]!);
  };
  const currentLine = current >= 0 ? search.matches[current] : undefined;

  const onSelect = useCallback(
    (line: number) => onSelectLine(selectedLine === line ? null : line),
    [onSelectLine, selectedLine],
  );

  const drawn: LogRowProps[] = [];
  for (let n = rows.first; n < rows.end; n++) {
    drawn.push({
      n,
      line: store.line(n),
      pattern,
      current: n === currentLine,
      selected: n === selectedLine,
      showTime: showTimes,
      onSelect,
    });
  }
  const gutter = { '--log-gutter': `${String(Math.max(total, 1)).length + 1}ch` } as CSSProperties;
  const atBottom = view.offset >= geometry.maxOffset - ROW_HEIGHT;

  return (
    <section className="log-view" aria-label="Log">
      <div className="log-toolbar">
        <div className="log-search" role="search">
          <label className="visually-hidden" htmlFor={`log-search-${executionId}`}>
            Search the log
          </label>
          <input
            id={`log-search-${executionId}`}
            type="search"
            placeholder="Search the log  ( / )"
            data-shortcut="search"
            value={query}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                if (query.trim() !== activeQuery) setActiveQuery(query.trim());
                else step(event.shiftKey ? -1 : 1);
              } else if (event.key === 'Escape') setQuery('');
            }}
          />
          <SearchCount search={search} current={current} active={activeQuery !== ''} />
          <button
            type="button"
            className="ghost icon"
            aria-label="Previous match (Shift+Enter)"
            title="Previous match (Shift+Enter)"
            disabled={search.matches.length === 0}
            onClick={() => step(-1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="ghost icon"
            aria-label="Next match (Enter)"
            title="Next match (Enter)"
            disabled={search.matches.length === 0}
            onClick={() => step(1)}
          >
            ↓
          </button>
        </div>
        <div className="log-actions">
          <label className="log-toggle">
            <input
              type="checkbox"
              checked={showTimes}
              onChange={(event) => setShowTimes(event.target.checked)}
            />
            Times
          </label>
          <button type="button" className="ghost" onClick={() => scrollToLine(0)}>
            Top
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => {
              urgentRef.current = true;
              if (live) follow(true);
              moveTo(geometryRef.current.maxOffset, false);
            }}
          >
            End
          </button>
          <a className="button" href={`${executionPath(executionId)}/log/download`} download>
            Download
          </a>
        </div>
      </div>
      <LogStatus
        total={total}
        bytes={props.bytes}
        discardedBytes={props.discardedBytes}
        live={props.streaming}
        stream={source.stream}
        onReconnect={source.reconnect}
        error={loader.error ?? search.error}
        onRetry={() => loader.retry()}
      />
      <div className="log-frame">
        <div
          ref={scrollerRef}
          className={total === 0 ? 'log-scroller log-scroller-empty' : 'log-scroller'}
          style={gutter}
          tabIndex={0}
          role="region"
          aria-label={`Log lines, ${formatCount(total)} in all`}
          onScroll={onScroll}
          onKeyDown={onKeyDown}
        >
          <div className="log-content" style={{ height: geometry.scrollHeight }}>
            <div className="log-rows" style={{ top: rows.top }}>
              {drawn.map((row) => (
                <LogRow key={row.n} {...row} />
              ))}
            </div>
          </div>
          {total === 0 && <p className="log-empty">{props.emptyMessage}</p>}
        </div>
        {live && !following && (
          <button
            type="button"
            className="log-follow primary"
            onClick={() => {
              urgentRef.current = true;
              follow(true);
              moveTo(geometryRef.current.maxOffset, false);
            }}
          >
            ↓ Follow
          </button>
        )}
        {live && following && atBottom && total > 0 && (
          <span className="log-following" aria-live="polite">
            Following
          </span>
        )}
      </div>
    </section>
  );
}

const NO_SEARCH: LogSearch = { query: '', matches: [], searching: false, capped: false, error: undefined };

/** The offset a scrolling key leads to, or null for a key that does not scroll. */
function keyScroll(key: string, geometry: ScrollGeometry, offset: number): number | null {
  const page = Math.max(ROW_HEIGHT, geometry.viewportHeight - 2 * ROW_HEIGHT);
  if (key === 'ArrowDown') return offset + 3 * ROW_HEIGHT;
  if (key === 'ArrowUp') return offset - 3 * ROW_HEIGHT;
  if (key === 'PageDown' || key === ' ') return offset + page;
  if (key === 'PageUp') return offset - page;
  if (key === 'Home') return 0;
  if (key === 'End') return geometry.maxOffset;
  return null;
}

function SearchCount({ search, current, active }: { search: LogSearch; current: number; active: boolean }) {
  if (!active) return null;
  const count = search.matches.length;
  let text: string;
  if (search.error) text = 'search failed';
  else if (count === 0) text = search.searching ? 'searching…' : 'no matches';
  else {
    const total = `${formatCount(count)}${search.capped ? '+' : ''}`;
    text = `${current >= 0 ? formatCount(current + 1) : '–'} of ${total}${search.searching ? ' so far…' : ''}`;
  }
  return (
    <span className="log-search-count muted" aria-live="polite">
      {text}
    </span>
  );
}

function LogStatus(props: {
  total: number;
  bytes: number;
  discardedBytes: number;
  live: boolean;
  stream: string;
  onReconnect(): void;
  error: unknown;
  onRetry(): void;
}) {
  const refused =
    props.error instanceof ApiError && (props.error.status === 403 || props.error.status === 401);
  return (
    <>
      <p className="log-status muted">
        {formatCount(props.total)} {props.total === 1 ? 'line' : 'lines'}
        {props.bytes > 0 && ` · ${formatBytes(props.bytes)}`}
        {props.live && props.stream === 'connecting' && ' · connecting to the live log…'}
        {props.live && props.stream === 'live' && ' · live'}
        {props.live && props.stream === 'lost' && (
          <>
            {' · live updates stopped '}
            <button type="button" className="link" onClick={props.onReconnect}>
              Reconnect
            </button>
          </>
        )}
        <span className="legend" aria-hidden="true">
          <span className="legend-stderr">stderr</span>
          <span className="legend-system">Baton</span>
        </span>
      </p>
      {props.discardedBytes > 0 && (
        <p className="log-warning" role="note">
          {formatBytes(props.discardedBytes)} of output were not kept: the job printed more than the log limit
          (BATON_LOG_CAP), or storing failed.
        </p>
      )}
      {props.error !== undefined && (
        <div className="error log-error" role="alert">
          <p>
            {refused
              ? `You may not read this log: ${(props.error as Error).message.replace(/^forbidden: /, '')}`
              : `The log could not be loaded: ${props.error instanceof Error ? props.error.message : String(props.error)}`}
            {!refused && (
              <>
                {' '}
                <button type="button" className="link" onClick={props.onRetry}>
                  Try again
                </button>
              </>
            )}
          </p>
        </div>
      )}
    </>
  );
}

interface LogRowProps {
  n: number;
  line: LogLine | undefined;
  pattern: RegExp | null;
  current: boolean;
  selected: boolean;
  showTime: boolean;
  onSelect(line: number): void;
}

/** Parsed spans per line object: a row scrolled back into view is not parsed again. */
const spanCache = new WeakMap<LogLine, AnsiSpan[]>();

function spansOf(line: LogLine): AnsiSpan[] {
  let spans = spanCache.get(line);
  if (!spans) {
    spans = parseAnsi(line.text);
    spanCache.set(line, spans);
  }
  return spans;
}

const LogRow = memo(function LogRow({
  n,
  line,
  pattern,
  current,
  selected,
  showTime,
  onSelect,
}: LogRowProps) {
  const classes = ['log-line'];
  if (line) classes.push(`log-${line.s}`);
  else classes.push('log-pending');
  if (selected) classes.push('log-selected');
  if (current) classes.push('log-current');
  let shown: ShownSpan[] = [];
  let hidden = 0;
  if (line) {
    const spans = spansOf(line);
    const marked = pattern ? markMatches(spans, matchRanges(spanText(spans), pattern)) : spans;
    ({ spans: shown, hidden } = truncateSpans(marked, MAX_LINE_CHARACTERS));
  }
  return (
    <div className={classes.join(' ')} data-line={n + 1}>
      <a
        className="log-number"
        href={`?line=${n + 1}`}
        tabIndex={-1}
        title={line ? `${formatStamp(line.t)}${line.s === 'stdout' ? '' : ` · ${line.s}`}` : undefined}
        onClick={(event) => {
          event.preventDefault();
          onSelect(n);
        }}
      >
        {n + 1}
      </a>
      {showTime && <span className="log-time">{line ? formatClock(line.t) : ''}</span>}
      <span className="log-text">
        {shown.map((span, index) =>
          span.className || span.color || span.backgroundColor || span.match ? (
            <span
              key={index}
              className={span.match ? `${span.className} log-match`.trim() : span.className || undefined}
              style={
                span.color || span.backgroundColor
                  ? { color: span.color, backgroundColor: span.backgroundColor }
                  : undefined
              }
            >
              {span.text}
            </span>
          ) : (
            span.text
          ),
        )}
        {hidden > 0 && (
          <span className="log-cut"> … {formatCount(hidden)} more characters (download the log for all)</span>
        )}
      </span>
    </div>
  );
});

/** 14:03:07.125, local time. */
function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** 2024-05-01 14:03:07.125, local time. */
function formatStamp(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(epochMs)}`;
}
