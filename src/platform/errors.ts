/**
 * The few error types Baton raises on purpose. Each maps to one HTTP status in
 * `http/errors.ts` and to one CLI exit code; anything else is a bug (500).
 */

import type { Problem } from '../contract/errors.js';

export { formatProblem, type Problem } from '../contract/errors.js';

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

/**
 * Why a `fetch` to another service failed, in words: fetch's own message is only "fetch failed",
 * its cause says what happened and where (`connect ECONNREFUSED 10.0.0.5:443`).
 */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return err.cause?.message ?? err.cause?.code ?? err.message;
}
