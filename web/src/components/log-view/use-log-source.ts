/**
 * Where the log view's lines come from: range requests for the blocks on screen (BlockLoader)
 * and, while the execution runs, the live stream of new lines (Server-Sent Events; the session
 * cookie authenticates it, and the browser resumes a dropped stream with Last-Event-ID). Lines
 * streaming in a flood are drawn once per animation frame, not once per event; a range the view
 * waits for is drawn as soon as it arrives.
 */
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { get } from '../../api/client';
import { executionPath, type LogLine, type LogRange } from '../../api/executions';
import { BlockLoader } from './block-loader';
import { BLOCK_LINES, LogLineStore } from './line-store';

export type StreamState = 'off' | 'connecting' | 'live' | 'lost';

/** Block requests started before the view exists, by `executionId:firstLine`; taken once. */
const earlyBlocks = new Map<string, Promise<LogLine[]>>();
/** An early block nobody took (the reader left) is forgotten after this long. */
const EARLY_BLOCK_TTL_MS = 10_000;

const fetchBlock = async (executionId: number, from: number, limit: number, signal?: AbortSignal) =>
  (await get<LogRange>(`${executionPath(executionId)}/log`, { from, limit }, signal)).lines;

/**
 * Starts fetching the blocks that hold lines [from, to) of a log before its view is drawn: the
 * page asks for them as soon as it knows where the log opens, so the first lines do not wait
 * for the whole page to render first.
 */
export function prefetchLogLines(executionId: number, from: number, to: number): void {
  for (let block = Math.floor(from / BLOCK_LINES); block * BLOCK_LINES < to; block++) {
    const key = `${executionId}:${block * BLOCK_LINES}`;
    if (earlyBlocks.has(key)) continue;
    const request = fetchBlock(executionId, block * BLOCK_LINES, BLOCK_LINES);
    // A failure is the view's to report when it asks for the block itself.
    request.catch(() => undefined);
    earlyBlocks.set(key, request);
    setTimeout(() => earlyBlocks.delete(key), EARLY_BLOCK_TTL_MS);
  }
}

/** Calls listeners at most once per animation frame after `schedule()`, or at once with `now()`. */
class FrameNotifier {
  version = 0;
  private frame: number | undefined;
  private readonly listeners = new Set<() => void>();

  schedule = (): void => {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.version++;
      for (const listener of this.listeners) listener();
    });
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Tells listeners now: a range the view waits for is drawn without waiting for a frame. */
  now = (): void => {
    this.cancel();
    this.version++;
    for (const listener of this.listeners) listener();
  };

  getVersion = (): number => this.version;

  cancel(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
  }
}

export interface LogSource {
  store: LogLineStore;
  loader: BlockLoader;
  /** Changes whenever lines arrived or the loader's error changed. */
  version: number;
  stream: StreamState;
  /** Opens the live stream again after it was lost. */
  reconnect(): void;
}

/**
 * The lines of one execution's log. `lines` is the count the execution reports; `live` opens the
 * stream (from the start of the last block known, so that block fills from the stream alone);
 * `onEnd` is called when the stream says the execution finished. Give the component using this
 * a `key` per execution: the store belongs to one log.
 */
export function useLogSource(
  executionId: number,
  lines: number,
  live: boolean,
  onEnd: () => void,
): LogSource {
  const [parts] = useState(() => {
    const notifier = new FrameNotifier();
    const store = new LogLineStore();
    const fetchLines = (from: number, limit: number, signal: AbortSignal): Promise<LogLine[]> => {
      const key = `${executionId}:${from}`;
      const early = limit === BLOCK_LINES ? earlyBlocks.get(key) : undefined;
      earlyBlocks.delete(key);
      return early ?? fetchBlock(executionId, from, limit, signal);
    };
    const loader = new BlockLoader(store, fetchLines, notifier.now);
    return { notifier, store, loader };
  });
  const { notifier, store, loader } = parts;
  const version = useSyncExternalStore(notifier.subscribe, notifier.getVersion);
  const [stream, setStream] = useState<StreamState>('off');
  const [attempt, setAttempt] = useState(0);
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  });

  // The count only grows; a count from a slower poll never shrinks what the stream reported.
  store.growTo(lines);

  // A layout effect, so that it runs before the view's own layout effects ask for lines.
  useLayoutEffect(() => {
    loader.open();
    return () => {
      loader.close();
      notifier.cancel();
    };
  }, [loader, notifier]);

  useEffect(() => {
    if (!live) {
      setStream('off');
      return;
    }
    // Lines before this block come from range requests when they are on screen.
    const from = Math.floor(store.total / BLOCK_LINES) * BLOCK_LINES;
    const events = new EventSource(`${executionPath(executionId)}/log/stream?from=${from}`);
    setStream('connecting');
    events.onopen = () => setStream('live');
    events.addEventListener('lines', (event) => {
      store.add(JSON.parse((event as MessageEvent<string>).data) as LogLine[]);
      loader.trim();
      notifier.schedule();
    });
    events.addEventListener('end', () => {
      events.close();
      setStream('off');
      notifier.schedule();
      onEndRef.current();
    });
    // The browser reconnects by itself (CONNECTING); CLOSED means it gave up (the page was
    // refused, or the server answered something other than a stream).
    events.onerror = () => setStream(events.readyState === EventSource.CLOSED ? 'lost' : 'connecting');
    return () => events.close();
  }, [executionId, live, attempt, store, loader, notifier]);

  return { store, loader, version, stream, reconnect: () => setAttempt((value) => value + 1) };
}
