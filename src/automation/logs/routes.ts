/**
 * Execution logs over HTTP: ranges as JSON, searches by the page, the whole log as text for
 * download, and a live follow as Server-Sent Events (each event carries the last line number as
 * its id, so a client that reconnects with Last-Event-ID resumes without gaps or repeats).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import {
  logRangeResponse,
  logSearchResponse,
  type LogStreamEnd,
  type LogStreamError,
} from '../../contract/logs.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Metrics } from '../../platform/metrics.js';
import { InputError } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { TERMINAL_STATES } from '../executions/model.js';
import type { ExecutionService } from '../executions/service.js';
import { getExecutionState } from '../executions/store.js';
import type { LogLine } from './model.js';
import { LogFollowers } from './follow.js';
import { readLog } from './reader.js';
import type { LogRegistry } from './registry.js';
import { MAX_QUERY_LENGTH, MAX_SCAN_LINES, searchLog } from './search.js';
import { idParams } from '../../platform/http/params.js';

/** SSE comments keep proxies from closing an idle follow. */
const HEARTBEAT_MS = 15_000;

/** What the log routes use of a running Baton. */
export interface LogRoutesDeps {
  db: Db;
  logs: LogRegistry;
  events: EventBus;
  executions: ExecutionService;
  access: AccessControl;
  metrics: Metrics;
  config: Pick<Config, 'logStreamsPerUser' | 'logStreams'>;
}

export function registerLogRoutes(app: HttpApp, baton: LogRoutesDeps): void {
  const context = { db: baton.db, registry: baton.logs, events: baton.events };
  const isFinished = async (id: number) => {
    const state = await getExecutionState(baton.db, id);
    return state === undefined || TERMINAL_STATES.has(state);
  };
  const followers = new LogFollowers({
    ...context,
    metrics: baton.metrics,
    isFinished,
    limits: { perUser: baton.config.logStreamsPerUser, total: baton.config.logStreams },
  });
  const authorizeLog = async (caller: Principal, id: number) => {
    const execution = await baton.executions.get(caller, id);
    baton.access.require(caller, 'read-logs', resources.job(execution.project, execution.job));
    return execution;
  };

  app.get(
    '/api/v1/executions/:id/log',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Log lines by range. ANSI escapes are kept as printed.',
        params: idParams,
        querystring: z.object({
          from: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
        response: { 200: logRangeResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { from, limit } = request.query;
      await authorizeLog(principalOf(request), id);
      const finished = await isFinished(id);
      const lines = await readLog(context, id, from, limit);
      const next = lines.length ? lines[lines.length - 1]!.n + 1 : from;
      return { lines, next, complete: finished && lines.length < limit };
    },
  );

  app.get(
    '/api/v1/executions/:id/log/search',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          "Finds the lines that show `q` (ignoring case; escape sequences such as colours are not part of a line's text). Each request scans at most `scan` lines from `from`; ask again from `next` until `done`.",
        params: idParams,
        querystring: z.object({
          q: z.string().max(MAX_QUERY_LENGTH).default('').describe('the text to find, taken literally'),
          from: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('most matches to return'),
          scan: z.coerce.number().int().min(1).max(MAX_SCAN_LINES).default(MAX_SCAN_LINES),
        }),
        response: { 200: logSearchResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { q, from, limit, scan } = request.query;
      // Who may read the log is decided before what was asked is looked at.
      await authorizeLog(principalOf(request), id);
      if (q === '') {
        throw new InputError('invalid request: querystring.q: is required', [
          { path: 'querystring.q', message: 'is required', expected: 'the text to find' },
        ]);
      }
      return searchLog(context, id, { query: q, from, limit, scan });
    },
  );

  app.get(
    '/api/v1/executions/:id/log/download',
    {
      config: { access: 'authenticated' },
      schema: { description: 'The whole log as plain text, one printed line per line.', params: idParams },
    },
    async (request, reply) => {
      const { id } = request.params;
      await authorizeLog(principalOf(request), id);
      reply.header('content-type', 'text/plain; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="execution-${id}.log"`);
      return reply.send(Readable.from(textLines(context, id, 0)));
    },
  );

  app.get(
    '/api/v1/executions/:id/log/stream',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Follows the log live as Server-Sent Events: `lines` events (data: JSON array of lines, id: last line number) and a final `end` event with the execution state. Open streams are limited per user (BATON_LOG_STREAMS_PER_USER, default 20) and per server (BATON_LOG_STREAMS, default 200); past a limit the answer is 429 with Retry-After, naming the limit.',
        params: idParams,
        querystring: z.object({ from: z.coerce.number().int().min(0).optional() }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const caller = principalOf(request);
      await authorizeLog(caller, id);
      const lastEventId = Number(request.headers['last-event-id']);
      const from =
        Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId + 1 : (request.query.from ?? 0);
      // Refused with 429 here, before the stream starts, so the client sees a plain error answer.
      const slot = followers.admit(caller);

      const abort = new AbortController();
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The status goes out now, not with the first line: a client learns it was let in at once.
      response.flushHeaders();
      response.on('close', () => abort.abort());
      const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
      try {
        for await (const batch of followers.follow(id, from, { signal: abort.signal })) {
          // The event is encoded once per batch and the same bytes go to every follower.
          const ok = response.write(batch.event());
          // A slow client gets lines as fast as it reads them, not faster: wait for the socket to drain.
          if (!ok && !abort.signal.aborted) await drained(response, abort.signal);
        }
        if (!abort.signal.aborted) {
          const execution = await baton.executions.get(caller, id);
          const end: LogStreamEnd = {
            state: execution.state,
            exitCode: execution.exitCode,
            reason: execution.reason,
          };
          response.write(`event: end\ndata: ${JSON.stringify(end)}\n\n`);
        }
      } catch (error) {
        request.log.error({ err: error }, 'log stream failed');
        const failure: LogStreamError = { message: 'log stream failed' };
        response.write(`event: error\ndata: ${JSON.stringify(failure)}\n\n`);
      } finally {
        clearInterval(heartbeat);
        slot.release();
        response.end();
      }
    },
  );
}

/**
 * Resolves when the socket drained or the stream was closed. Both listeners go away after
 * either: one left per wait would pile up on a long follow (a leak Node warns about at 11).
 */
function drained(response: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

async function* textLines(
  context: Parameters<typeof readLog>[0],
  id: number,
  from: number,
): AsyncGenerator<string> {
  let next = from;
  for (;;) {
    const lines: LogLine[] = await readLog(context, id, next, 5000);
    if (lines.length === 0) return;
    yield lines.map((line) => `${line.text}\n`).join('');
    next = lines[lines.length - 1]!.n + 1;
  }
}
