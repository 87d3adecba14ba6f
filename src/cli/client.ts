/**
 * The CLI's HTTP client: JSON requests with the Bearer token, and every failure turned into a
 * CliError with the exit code for its kind (see errors.ts), so commands never handle statuses.
 */
import { formatProblem } from '../contract/errors.js';
import { VERSION } from '../platform/version.js';
import type { ErrorBody } from '../contract/errors.js';
import type { ClientSettings } from './config.js';
import { CliError, EXIT_CODES } from './errors.js';

export const NOT_AUTHENTICATED = 'not authenticated: set BATON_TOKEN or run baton login';

/** Ordinary requests answer in milliseconds; a hung server should not hang a script forever. */
const REQUEST_TIMEOUT_MS = 120_000;

/** Query parameters; an array repeats the parameter once per value. */
type Query = Record<string, string | number | readonly string[] | undefined>;

/** A client of one Baton server, as one caller. */
export class BatonClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly savedLoginUrl: string | undefined;

  constructor(settings: ClientSettings) {
    this.url = settings.url;
    this.token = settings.token;
    this.savedLoginUrl = settings.savedLoginUrl;
  }

  /** GET a JSON resource. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.json<T>('GET', withQuery(path, query));
  }

  /** POST a JSON body (or none) and read the JSON answer. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  /** PUT a JSON body and read the JSON answer. */
  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, body);
  }

  /** DELETE a resource and read the JSON answer. */
  delete<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path);
  }

  /** PATCH a JSON body and read the JSON answer. */
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }

  /**
   * Opens a long-lived response (the log stream) and returns it once the status is OK; reading
   * the body is the caller's, and `signal` ends it.
   */
  async open(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const response = await this.fetch('GET', path, { headers, signal });
    if (!response.ok) throw await httpError(response);
    return response;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw await httpError(response);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new CliError(
        `unexpected answer from ${this.url}: not JSON (is this a Baton server?)`,
        EXIT_CODES.failure,
        [],
        { cause: error },
      );
    }
  }

  private async fetch(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal: AbortSignal },
  ): Promise<Response> {
    // Every API route needs a token; saying so beats a round trip that ends in a 401.
    if (!this.token) {
      throw new CliError(
        this.savedLoginUrl
          ? `not authenticated: the saved login is for ${this.savedLoginUrl}, not ${this.url}; set BATON_TOKEN or run baton login`
          : NOT_AUTHENTICATED,
        EXIT_CODES.auth,
      );
    }
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        body: init.body,
        signal: init.signal,
        headers: {
          accept: 'application/json',
          'user-agent': `baton-cli/${VERSION}`,
          authorization: `Bearer ${this.token}`,
          ...init.headers,
        },
      });
    } catch (error) {
      // A caller's own abort (Ctrl-C) is not a connection problem; let the caller see it.
      if (init.signal.aborted && (init.signal.reason as Error | undefined)?.name !== 'TimeoutError')
        throw error;
      throw unreachable(this.url, error);
    }
  }
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(name, item);
    else if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** `cannot reach Baton at URL: connection refused`, from whatever fetch threw. */
export function unreachable(url: string, error: unknown): CliError {
  return new CliError(`cannot reach Baton at ${url}: ${networkReason(error)}`, EXIT_CODES.unreachable, [], {
    cause: error,
  });
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no answer in time',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate is for another host',
};

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer in ${REQUEST_TIMEOUT_MS / 1000}s`;
  }
  // fetch throws "fetch failed" with the socket error as its cause; connecting to a name with
  // several addresses gives an AggregateError of one error per address.
  let cause: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  return cause instanceof Error ? cause.message : String(cause);
}

/** Maps an HTTP error answer to the CLI's exit codes, with the server's message and problems. */
async function httpError(response: Response): Promise<CliError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ErrorBody>;
  } catch {
    // not JSON (a proxy's error page, say): the status line is all we have
  }
  const found = body.error?.problems ?? [];
  const problems = found.map(formatProblem);
  let message = body.error?.message ?? `HTTP ${response.status} ${response.statusText}`.trim();
  // A request validation message ("invalid request: querystring.limit: …") repeats the
  // problems; they get lines of their own below, so keep only the words before them.
  const first = found[0];
  if (first?.path && message.includes(`: ${first.path}: `)) message = message.slice(0, message.indexOf(': '));
  switch (response.status) {
    case 400:
    case 413:
    case 415:
      return new CliError(message, EXIT_CODES.usage, problems);
    case 401:
      return new CliError(
        `not authenticated: ${message} (set BATON_TOKEN or run baton login)`,
        EXIT_CODES.auth,
      );
    case 403:
      return new CliError(
        message.startsWith('forbidden') ? message : `forbidden: ${message}`,
        EXIT_CODES.auth,
      );
    case 404:
      return new CliError(message, EXIT_CODES.notFound);
    case 409:
      // A gate's refusal has its own code, so a pipeline can tell "the budget said no" from a conflict.
      return new CliError(
        message,
        body.error?.code === 'admission_refused' ? EXIT_CODES.refused : EXIT_CODES.failure,
        problems,
      );
    default:
      return new CliError(
        response.status >= 500 ? `server error: ${message}` : message,
        EXIT_CODES.failure,
        problems,
      );
  }
}
