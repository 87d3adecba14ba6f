/**
 * Execution logs on the wire: a range of lines, a search page, and the Server-Sent Events of a
 * follow (`lines` carries an array of lines, `end` the execution's final state, `error` a message).
 */
import { z } from 'zod';
import { EXECUTION_STATES } from './execution-states.js';

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export const logLineView = z.object({
  n: z.number().describe('line number, from 0'),
  t: z.number().describe('epoch milliseconds'),
  s: z.enum(LOG_STREAMS),
  text: z.string(),
});
export type LogLineView = z.infer<typeof logLineView>;

/** `GET /api/v1/executions/:id/log`. */
export const logRangeResponse = z.object({
  lines: z.array(logLineView),
  next: z.number().describe('the line number to ask for next'),
  complete: z.boolean().describe('the execution has finished and no line follows `next`'),
});
export type LogRangeResponse = z.infer<typeof logRangeResponse>;

/** `GET /api/v1/executions/:id/log/search`. */
export const logSearchResponse = z.object({
  matches: z.array(z.number()).describe('numbers of the matching lines, ascending'),
  next: z.number().describe('the line number to continue from'),
  done: z.boolean().describe('the scan reached the last line written so far'),
  scanned: z.number().describe('lines scanned by this request'),
});
export type LogSearchResponse = z.infer<typeof logSearchResponse>;

/** The data of a follow's final `end` event. */
export const logStreamEnd = z.object({
  state: z.enum(EXECUTION_STATES),
  exitCode: z.number().nullable(),
  reason: z.string().nullable(),
});
export type LogStreamEnd = z.infer<typeof logStreamEnd>;

/** The data of a follow's `error` event, sent when the server could not go on. */
export const logStreamError = z.object({ message: z.string() });
export type LogStreamError = z.infer<typeof logStreamError>;
