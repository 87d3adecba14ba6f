import { describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError } from './prometheus-client.js';

/** A fetch that answers with `body` and records what it was asked. */
function fakeFetch(status: number, body: string) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

async function errorOf(run: () => Promise<unknown>): Promise<PrometheusError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PrometheusError) return error;
    throw error;
  }
  throw new Error('expected a PrometheusError');
}

describe('the Prometheus client', () => {
  it('asks query_range with the step in seconds and a bearer token, and reads the matrix', async () => {
    const { fetch, calls } = fakeFetch(
      200,
      JSON.stringify({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values: [[1700000300, '0.5']] }] },
      }),
    );
    const client = new PrometheusClient({ url: 'http://prom:9090/', bearerToken: 's3cret', fetch });
    const series = await client.queryRange('up', 1_700_000_000_000, 1_700_000_300_000, 300_000);
    expect(series).toEqual([{ metric: { job: 'web' }, values: [[1700000300, 0.5]] }]);
    expect(calls[0]!.url).toBe('http://prom:9090/api/v1/query_range');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer s3cret');
    expect(new URLSearchParams(calls[0]!.init.body as string).get('step')).toBe('300.000');
  });

  it("turns Prometheus's errors into one line naming the server", async () => {
    const { fetch } = fakeFetch(
      400,
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unexpected "}"' }),
    );
    const client = new PrometheusClient({ url: 'http://prom:9090', fetch });
    expect((await errorOf(() => client.query('up{', 0))).message).toBe(
      'Prometheus at http://prom:9090 answered 400 bad_data: parse error: unexpected "}"',
    );
    const html = new PrometheusClient({
      url: 'http://prom:9090',
      fetch: fakeFetch(502, '<html>\nBad gateway</html>').fetch,
    });
    expect((await errorOf(() => html.query('up', 0))).message).toBe(
      'Prometheus at http://prom:9090 answered 502 with something other than JSON: <html> Bad gateway</html>',
    );
  });

  it('refuses an answer larger than its bound instead of reading it', async () => {
    const { fetch } = fakeFetch(
      200,
      JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [] },
        pad: 'x'.repeat(2000),
      }),
    );
    const client = new PrometheusClient({ url: 'http://prom:9090', fetch, maxResponseBytes: 1000 });
    expect((await errorOf(() => client.query('up', 0))).message).toMatch(/answered more than 1000 bytes/);
  });

  it('says a server that does not answer is unreachable', async () => {
    const fetch = (async () => {
      throw Object.assign(new TypeError('fetch failed'), {
        cause: { message: 'connect ECONNREFUSED 127.0.0.1:1' },
      });
    }) as unknown as typeof globalThis.fetch;
    const client = new PrometheusClient({ url: 'http://127.0.0.1:1', fetch });
    expect((await errorOf(() => client.query('up', 0))).message).toBe(
      'Prometheus at http://127.0.0.1:1 unreachable: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});
