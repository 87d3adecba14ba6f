/**
 * The few error types Baton raises on purpose. Each maps to one HTTP status in
 * `http/errors.ts` and to one CLI exit code; anything else is a bug (500).
 */

/** One thing wrong with a user's input, located as precisely as we can. */
export interface Problem {
  /** Field path such as `spec.steps[1].timeout`, or `options.depth`. */
  path?: string;
  message: string;
  expected?: string;
  found?: string;
  /** Where the problem is in a source document, when it came from one. */
  file?: string;
  line?: number;
  column?: number;
}

export abstract class BatonError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

/** The caller sent something invalid; `problems` says what and where. */
export class InputError extends BatonError {
  readonly status = 400;
  readonly code = 'invalid_input';
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends BatonError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class ConflictError extends BatonError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class UnauthenticatedError extends BatonError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}

export class ForbiddenError extends BatonError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** Refused for now; the answer carries `Retry-After` with the seconds to wait. */
export class TooManyRequestsError extends BatonError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Turns whatever was thrown into an Error, so callers can rely on `.message`. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  return new Error(`non-error thrown: ${JSON.stringify(value)}`);
}

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

/**
 * Why a `fetch` to another service failed, in words: fetch's own message is only "fetch failed",
 * its cause says what happened and where (`connect ECONNREFUSED 10.0.0.5:443`).
 */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return err.cause?.message ?? err.cause?.code ?? err.message;
}
