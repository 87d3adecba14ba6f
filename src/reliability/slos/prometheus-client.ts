/**
 * The Prometheus HTTP API, as much as the SLO evaluation needs: an instant query and a range
 * query (`/api/v1/query`, `/api/v1/query_range`). Every failure becomes one line a person can
 * read on the SLO ("Prometheus at URL answered 400 bad_data: …", "… unreachable: …"): the
 * evaluation keeps the last numbers and shows the line, it never crashes on a Prometheus.
 */
import { describeFetchError } from '../../platform/errors.js';

/** A series of a query's answer: its labels and its [seconds, "value"] points. */
export interface PrometheusSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, number])[];
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://prometheus:9090` (a trailing slash is fine). */
  readonly url: string;
  readonly bearerToken?: string;
  readonly timeoutMs?: number;
  /** Answers longer than this are refused rather than parsed. */
  readonly maxResponseBytes?: number;
  readonly fetch?: typeof fetch;
}

/** A query Prometheus could not answer, in one line. */
export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A 30-day range of 5-minute steps is 8,640 points, about 300 KB per series: 8 MB leaves room. */
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export class PrometheusClient {
  private readonly base: string;

  constructor(private readonly options: PrometheusClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  /** The value of `query` at `timeMs`, one entry per series. */
  async query(query: string, timeMs: number): Promise<PrometheusSeries[]> {
    const data = await this.call('/api/v1/query', { query, time: seconds(timeMs) });
    return seriesOf(data, this.base);
  }

  /** `query` evaluated every `stepMs` from `startMs` to `endMs` (both included). */
  async queryRange(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<PrometheusSeries[]> {
    const data = await this.call('/api/v1/query_range', {
      query,
      start: seconds(startMs),
      end: seconds(endMs),
      step: seconds(stepMs),
    });
    return seriesOf(data, this.base);
  }

  private async call(path: string, params: Record<string, string>): Promise<unknown> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    let response: Response;
    let text: string;
    try {
      // POST keeps long PromQL out of URLs (and out of proxies' access logs).
      response = await (this.options.fetch ?? fetch)(`${this.base}${path}`, {
        method: 'POST',
        headers,
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await readBounded(response, limit, this.base);
    } catch (error) {
      if (error instanceof PrometheusError) throw error;
      throw new PrometheusError(
        `Prometheus at ${this.base} unreachable: ${describeFetchError(error, timeoutMs)}`,
      );
    }
    let body: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PrometheusError(
        `Prometheus at ${this.base} answered ${response.status} with something other than JSON: ${oneLine(text)}`,
      );
    }
    if (!response.ok || body.status !== 'success') {
      const type = typeof body.errorType === 'string' ? body.errorType : 'error';
      const message = typeof body.error === 'string' ? body.error : oneLine(text);
      throw new PrometheusError(
        `Prometheus at ${this.base} answered ${response.status} ${type}: ${oneLine(message)}`,
      );
    }
    return body.data;
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

async function readBounded(response: Response, limit: number, base: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel();
    throw new PrometheusError(`Prometheus at ${base} answered more than ${limit} bytes; narrow the query`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PrometheusError(`Prometheus at ${base} answered more than ${limit} bytes; narrow the query`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Both a vector (instant) and a matrix (range) answer, as series of points. */
function seriesOf(data: unknown, base: string): PrometheusSeries[] {
  const { resultType, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  if (!Array.isArray(result)) throw new PrometheusError(`Prometheus at ${base} answered without a result`);
  if (resultType === 'scalar') return [{ metric: {}, values: [point(result)] }];
  if (resultType !== 'vector' && resultType !== 'matrix') {
    throw new PrometheusError(
      `Prometheus at ${base} answered a ${String(resultType)}, not a vector or matrix`,
    );
  }
  return result.map((entry: { metric?: Record<string, string>; value?: unknown; values?: unknown[] }) => ({
    metric: entry.metric ?? {},
    values: resultType === 'vector' ? [point(entry.value)] : (entry.values ?? []).map(point),
  }));
}

function point(value: unknown): [number, number] {
  const [at, sample] = Array.isArray(value) ? (value as [unknown, unknown]) : [NaN, NaN];
  return [Number(at), Number(sample)];
}
