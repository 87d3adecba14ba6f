/**
 * PromQL in SLO documents, checked at apply against the Prometheus that will run it: a syntax
 * error is an apply error at the query, not an SLO that shows "no data" a minute later. Only the
 * parser's verdict (`errorType: bad_data`) refuses a document; a Prometheus that cannot be
 * reached, refuses the token or fails while evaluating says nothing about the query's syntax,
 * so those are warnings ("not checked: …") and the apply goes on.
 *
 * The query is sent as Prometheus's own API takes it (`GET /api/v1/query?query=…`), evaluated
 * at the current time: Prometheus parses before it evaluates, and an instant query of an SLI is
 * cheap. Sloth's `{{.window}}` placeholder becomes `5m`, the shortest rate window Baton uses.
 */
import type { PrometheusQuery } from './model.js';

/** How long one query may take before its Prometheus counts as unreachable. */
export const PROMQL_CHECK_TIMEOUT_MS = 2000;

/** How many queries are in flight at once, so a large apply does not flood one Prometheus. */
const CONCURRENCY = 8;

const SLOTH_WINDOW = /\{\{\s*\.window\s*\}\}/g;

export type PromqlVerdict =
  | { readonly kind: 'valid' }
  /** Prometheus's parser refused it; `message` is its explanation (`1:9: parse error: …`). */
  | { readonly kind: 'invalid'; readonly message: string }
  /** Nothing was learnt about the query; `reason` says why, for a warning. */
  | { readonly kind: 'not-checked'; readonly reason: string };

export interface PromqlCheck {
  readonly url: string;
  readonly query: string;
  readonly template: PrometheusQuery['template'];
  readonly bearerToken?: string;
}

export interface PromqlCheckOptions {
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** The query as Prometheus will receive it: Sloth's window placeholder replaced by `5m`. */
export function checkableQuery(query: string, template: PrometheusQuery['template']): string {
  return template === 'sloth-window' ? query.replace(SLOTH_WINDOW, '5m') : query;
}

/** `http://prom:9090/base/` + `api/v1/query`, keeping a path prefix (Prometheus behind a proxy). */
export function queryEndpoint(url: string, query: string): string {
  const endpoint = new URL(url.endsWith('/') ? url : `${url}/`);
  endpoint.pathname = `${endpoint.pathname}api/v1/query`;
  endpoint.search = new URLSearchParams({ query }).toString();
  return endpoint.toString();
}

/** Asks one Prometheus to parse (and run) one query. Never throws. */
export async function checkPromql(
  check: PromqlCheck,
  options: PromqlCheckOptions = {},
): Promise<PromqlVerdict> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const query = checkableQuery(check.query, check.template);
  let response: Response;
  try {
    response = await fetchImpl(queryEndpoint(check.url, query), {
      headers: {
        accept: 'application/json',
        ...(check.bearerToken !== undefined ? { authorization: `Bearer ${check.bearerToken}` } : {}),
      },
      signal: AbortSignal.timeout(options.timeoutMs ?? PROMQL_CHECK_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    return { kind: 'not-checked', reason: `Prometheus at ${check.url} unreachable: ${reasonOf(error)}` };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return {
      kind: 'not-checked',
      reason: `Prometheus at ${check.url} answered HTTP ${response.status} without a Prometheus API body`,
    };
  }
  const answer = (typeof body === 'object' && body !== null ? body : {}) as {
    status?: unknown;
    errorType?: unknown;
    error?: unknown;
  };
  if (answer.status === 'success') return { kind: 'valid' };
  if (answer.status === 'error' && answer.errorType === 'bad_data') {
    return { kind: 'invalid', message: parseErrorOf(typeof answer.error === 'string' ? answer.error : '') };
  }
  const detail = typeof answer.error === 'string' ? `: ${answer.error}` : '';
  return {
    kind: 'not-checked',
    reason: `Prometheus at ${check.url} answered HTTP ${response.status}${detail}`,
  };
}

/**
 * Checks many queries, each distinct one once, a few at a time. The answer is index for index
 * with `checks`.
 */
export async function checkPromqlAll(
  checks: readonly PromqlCheck[],
  options: PromqlCheckOptions = {},
): Promise<PromqlVerdict[]> {
  const keyOf = (check: PromqlCheck) =>
    JSON.stringify([check.url, checkableQuery(check.query, check.template), check.bearerToken ?? null]);
  const distinct = new Map<string, PromqlCheck>();
  for (const check of checks) if (!distinct.has(keyOf(check))) distinct.set(keyOf(check), check);
  const verdicts = new Map<string, PromqlVerdict>();
  const queue = [...distinct];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      verdicts.set(next[0], await checkPromql(next[1], options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return checks.map((check) => verdicts.get(keyOf(check))!);
}

/** `invalid parameter "query": 1:9: parse error: …` → `1:9: parse error: …`: the parser's words only. */
function parseErrorOf(error: string): string {
  const text = error.replace(/^invalid parameter "query":\s*/, '');
  return text || 'Prometheus refused the query (bad_data)';
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}
