/**
 * Following an execution's log live (`run --follow`, `logs --follow`) over the Server-Sent
 * Events stream, and the exit code its outcome maps to. A dropped connection is resumed with
 * Last-Event-ID, so no line is printed twice or lost.
 */
import type { LogLineView, LogStreamEnd } from '../contract/logs.js';
import { unreachable, type BatonClient } from './client.js';
import { CliError, EXIT_CODES } from './errors.js';
import { dim } from './output.js';

/** Exit codes for the outcome of a followed execution; the shell conventions for timeout and Ctrl-C. */
export const OUTCOME_EXIT_CODES: Readonly<Record<string, number>> = {
  succeeded: 0,
  failed: 1,
  /** Not approved: an approver said no, or nobody approved in time. It never ran. */
  rejected: 1,
  timed_out: 124,
  cancelled: 130,
};

/** The help text that documents those codes, for every command that follows. */
export const OUTCOME_HELP = `
Exit codes when following:
  0    the execution succeeded
  1    it failed, or was rejected (an approver said no, or its approval expired)
  124  it timed out
  130  it was cancelled, or you pressed Ctrl-C (the execution keeps running then;
       stop it with baton cancel ID)
  2, 3, 4, 5  bad input, not authenticated, not found, server unreachable`;

/** The exit code for an outcome; an unknown state (a newer server) counts as a failure. */
export function outcomeExitCode(state: string): number {
  return OUTCOME_EXIT_CODES[state] ?? EXIT_CODES.failure;
}

/** Consecutive failed reconnects before giving up: with the backoff below, about half a minute. */
const MAX_RECONNECTS = 10;
const backoffMs = (attempt: number) => Math.min(250 * 2 ** (attempt - 1), 5000);

/** Prints log lines: stdout to stdout, stderr and Baton's own lines to stderr (dimmed on a terminal). */
export function printLogLines(lines: readonly LogLineView[]): void {
  // Consecutive lines of one stream go out in one write; the order between streams is kept.
  let stream: NodeJS.WriteStream | undefined;
  let text = '';
  const flush = () => {
    if (stream && text) stream.write(text);
    text = '';
  };
  for (const line of lines) {
    const target = line.s === 'stdout' ? process.stdout : process.stderr;
    if (target !== stream) {
      flush();
      stream = target;
    }
    text += `${line.s === 'system' ? dim(line.text, target) : line.text}\n`;
  }
  flush();
}

/**
 * Prints the log of an execution from line `from` as it is written, until the execution ends;
 * returns its outcome, or 'interrupted' when `signal` aborts first.
 */
export async function followExecution(
  client: BatonClient,
  id: number,
  from: number,
  signal: AbortSignal,
): Promise<LogStreamEnd | 'interrupted'> {
  let next = from;
  let failures = 0;
  let connected = false;
  let lastFailure: unknown;
  for (;;) {
    if (signal.aborted) return 'interrupted';
    if (failures > 0) {
      if (failures > MAX_RECONNECTS) {
        throw lastFailure instanceof CliError
          ? lastFailure
          : new CliError(
              `lost the log stream of execution ${id} and could not resume it`,
              EXIT_CODES.failure,
            );
      }
      await sleep(backoffMs(failures), signal);
      if (signal.aborted) return 'interrupted';
    }
    // Once a line has arrived, a reconnect says which one it saw last (the SSE way to resume).
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (next > from) headers['last-event-id'] = String(next - 1);
    let response: Response;
    try {
      response = await client.open(
        `/api/v1/executions/${id}/log/stream${next > from ? '' : `?from=${from}`}`,
        headers,
        signal,
      );
    } catch (error) {
      if (signal.aborted) return 'interrupted';
      // Only a lost connection is worth retrying; a 404 or 401 will not change. And a server
      // that never answered is reported at once, not after half a minute of retries.
      if (!(error instanceof CliError) || error.exitCode !== EXIT_CODES.unreachable || !connected)
        throw error;
      failures++;
      lastFailure = error;
      continue;
    }
    connected = true;
    try {
      for await (const event of serverSentEvents(response, signal)) {
        if (event.type === 'lines') {
          const lines = (JSON.parse(event.data) as LogLineView[]).filter((line) => line.n >= next);
          printLogLines(lines);
          const last = lines.at(-1);
          if (last) next = last.n + 1;
          failures = 0;
        } else if (event.type === 'end') {
          return JSON.parse(event.data) as LogStreamEnd;
        } else if (event.type === 'error') {
          // The server could not read the log (its database hiccupped, say); it ends the
          // stream after this event, and a new connection may well succeed.
          break;
        }
      }
      // The stream ended without `end`: the server went away mid-follow.
      lastFailure = new CliError(
        `lost the log stream of execution ${id}; the server closed it`,
        EXIT_CODES.unreachable,
      );
    } catch (error) {
      if (signal.aborted) return 'interrupted';
      lastFailure = unreachable(client.url, error);
    }
    failures++;
  }
}

interface ServerSentEvent {
  type: string;
  data: string;
  id: string | undefined;
}

/**
 * The events of an `text/event-stream` body (the WHATWG format: `field: value` lines, a blank
 * line ends an event, `:` starts a comment). Scans each chunk once, so a batch of thousands of
 * lines in one `data:` field costs linear time.
 */
export async function* serverSentEvents(
  response: Response,
  signal: AbortSignal,
): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  let pending = '';
  let type = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const text = decoder.decode(value, { stream: true });
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        let line = pending + text.slice(start, newline);
        pending = '';
        start = newline + 1;
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length > 0) yield { type: type || 'message', data: data.join('\n'), id };
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const fieldValue = colon === -1 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
        if (field === 'event') type = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id' && !fieldValue.includes('\0')) id = fieldValue;
      }
      pending += text.slice(start);
    }
  } finally {
    signal.removeEventListener('abort', abort);
    // Also closes the connection when the consumer stops early (after `end`).
    await reader.cancel().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follows until the execution ends and sets the exit code from its outcome. Ctrl-C only stops
 * following: the execution is the server's, and keeps running.
 */
export async function followToExitCode(client: BatonClient, id: number, from: number): Promise<void> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const outcome = await followExecution(client, id, from, controller.signal);
    if (outcome === 'interrupted') {
      process.stderr.write(
        `baton: stopped following; execution ${id} keeps running (stop it with: baton cancel ${id})\n`,
      );
      process.exitCode = OUTCOME_EXIT_CODES.cancelled!;
      return;
    }
    process.exitCode = outcomeExitCode(outcome.state);
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
