/**
 * The error body every API route answers with, and how one problem reads as a line. The server
 * builds it (`platform/http/errors.ts`), the CLI prints it, the web shows it at the field.
 */
import { z } from 'zod';

/** One thing wrong with a caller's input, located as precisely as the server could. */
export const problem = z.object({
  path: z.string().optional().describe('field path such as `spec.steps[1].timeout` or `options.depth`'),
  message: z.string(),
  expected: z.string().optional(),
  found: z.string().optional(),
  file: z.string().optional().describe('the source document the problem is in, when it came from one'),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});
export type Problem = z.infer<typeof problem>;

/** `{ "error": { code, message, problems? } }`: the body of every 4xx and 5xx answer. */
export const errorBody = z.object({
  error: z.object({
    code: z.string().describe('stable, for programs: `invalid_input`, `not_found`, `forbidden`, …'),
    message: z.string().describe('for people'),
    problems: z.array(problem).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/** Renders a problem as one line: `file:3:7: spec.timeout: expected a duration, found "5 minutes"`. */
export function formatProblem(problem: Problem): string {
  const where = problem.file
    ? `${problem.file}${problem.line ? `:${problem.line}:${problem.column ?? 1}` : ''}: `
    : '';
  const path = problem.path ? `${problem.path}: ` : '';
  const detail = [
    problem.expected ? `expected ${problem.expected}` : '',
    problem.found !== undefined ? `found ${problem.found}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${where}${path}${problem.message}${detail && !problem.message.includes(detail) ? ` (${detail})` : ''}`;
}

/** A 204 answer: no body at all. */
export const noContent = z.null().describe('no content');
