/**
 * How the baton command fails: one line on stderr and an exit code a script can branch on.
 * Each kind of failure has its own code, so `baton run … || case $? in …` works.
 */

/** Exit codes of the baton command (execution outcomes of `run --follow` are in follow.ts). */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  /** Bad input: a usage error, an invalid document or option (HTTP 400). */
  usage: 2,
  /** No token, a wrong token, or a token without the permission (HTTP 401, 403). */
  auth: 3,
  /** The job or execution does not exist (HTTP 404). */
  notFound: 4,
  /** The server could not be reached. */
  unreachable: 5,
  /** The error-budget gate refused to start the change (HTTP 409 `admission_refused`). */
  refused: 6,
} as const;

/** A failure the CLI reports itself: `message` after `baton: `, then `details` lines as they are. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A mistake in how the command was called. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_CODES.usage);
}
