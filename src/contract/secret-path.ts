/**
 * The secret path grammar, with no dependencies: the server, the CLI and the web UI's run form
 * check paths with this one function.
 */

/** Segments of letters, digits, `_`, `.`, `-`, separated by `/`. */
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
export const MAX_PATH_LENGTH = 200;
/** Secrets are passwords, keys and certificates, not files. */
export const MAX_VALUE_BYTES = 64 * 1024;

/** What is wrong with a secret path, or undefined when it is valid. */
export function secretPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith('/') || path.endsWith('/')) return 'must not start or end with /';
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not contain empty segments (//)';
    if (segment === '.' || segment === '..') return 'must not contain . or .. segments';
    if (!SEGMENT.test(segment)) return 'segments may hold only letters, digits, _, . and -';
  }
  return undefined;
}
