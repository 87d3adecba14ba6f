/**
 * The UI talks only to the public HTTP API, as any other client does. A browser signs in with a
 * session cookie; every request that changes something carries the session's CSRF token.
 */

import type { ErrorBody, Problem } from '../../../src/contract/errors.js';

export type { Problem } from '../../../src/contract/errors.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
    /** Seconds to wait before asking again (429). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Held in memory only: a page reload asks GET /api/v1/session for it again. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone, so the app can show the sign-in page. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(callback: () => void): void {
  onUnauthenticated = callback;
}

type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

/** A path with its query; empty values are left out, arrays repeat the key. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: { signal?: AbortSignal; quietUnauthenticated?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
    signal: options.signal ?? null,
  });
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (payload as Partial<ErrorBody> | undefined)?.error;
    const retryAfter = Number(response.headers.get('retry-after')) || undefined;
    if (response.status === 401 && !options.quietUnauthenticated) onUnauthenticated();
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `${response.status} ${response.statusText}`,
      error?.problems ?? [],
      retryAfter,
    );
  }
  return payload as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  api<T>('GET', withQuery(path, query), undefined, signal ? { signal } : {});
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);
