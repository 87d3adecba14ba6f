/**
 * PromQL checked at apply against a real Prometheus (Debian's /usr/bin/prometheus on loopback):
 * its parser's verdict refuses a query; anything that says nothing about the query is a reason
 * it was not checked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPrometheus, type PrometheusServer } from '../../../test/prometheus-server.js';
import { checkableQuery, checkPromql, checkPromqlAll, queryEndpoint } from './promql-check.js';

describe('PromQL checked against Prometheus', () => {
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    prometheus = await startPrometheus();
  }, 90_000);
  afterAll(async () => prometheus?.stop());

  it('accepts a query Prometheus parses', async () => {
    const verdict = await checkPromql({
      url: prometheus.url,
      query: 'sum(rate(http_requests_total{code=~"5.."}[5m]))',
      template: 'none',
    });
    expect(verdict).toEqual({ kind: 'valid' });
  });

  it("refuses a query Prometheus cannot parse, in the parser's words", async () => {
    const verdict = await checkPromql({
      url: prometheus.url,
      query: 'sum(rate(http_requests_total[5m])',
      template: 'none',
    });
    expect(verdict).toEqual({ kind: 'invalid', message: expect.stringMatching(/^1:\d+: parse error: /) });
  });

  it('checks a Sloth query with {{.window}} as the 5m window, and sees a broken one through it', async () => {
    expect(
      await checkPromql({
        url: prometheus.url,
        query: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
        template: 'sloth-window',
      }),
    ).toEqual({ kind: 'valid' });
    expect(
      await checkPromql({
        url: prometheus.url,
        query: 'sum(rate(http_requests_total[{{.window}}]) by',
        template: 'sloth-window',
      }),
    ).toMatchObject({ kind: 'invalid' });
  });

  it('checks each distinct query once and answers index for index', async () => {
    const good = { url: prometheus.url, query: 'up', template: 'none' as const };
    const bad = { url: prometheus.url, query: 'up{', template: 'none' as const };
    const verdicts = await checkPromqlAll([good, bad, good]);
    expect(verdicts.map((verdict) => verdict.kind)).toEqual(['valid', 'invalid', 'valid']);
  });

  it('says a Prometheus nobody listens for was not checked, and why', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const verdict = await checkPromql({ url, query: 'up', template: 'none' });
    expect(verdict).toEqual({
      kind: 'not-checked',
      reason: expect.stringContaining(`Prometheus at ${url} unreachable: `),
    });
  });
});

describe('what is sent, and answers that are not Prometheus', () => {
  const seen: { url: string; authorization: string | undefined }[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '' };
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it('sends the bearer token and keeps the path prefix of the data source URL', async () => {
    answer = { status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[]}}' };
    seen.length = 0;
    await checkPromql({ url, query: 'up == 1', template: 'none', bearerToken: 'tok-123' });
    expect(seen).toEqual([
      { url: '/prometheus/api/v1/query?query=up+%3D%3D+1', authorization: 'Bearer tok-123' },
    ]);
  });

  it('does not call a refused token or an HTML page a syntax error', async () => {
    answer = { status: 401, body: 'unauthorized' };
    expect(await checkPromql({ url, query: 'up', template: 'none' })).toEqual({
      kind: 'not-checked',
      reason: `Prometheus at ${url} answered HTTP 401 without a Prometheus API body`,
    });
    answer = { status: 422, body: '{"status":"error","errorType":"execution","error":"too many samples"}' };
    expect(await checkPromql({ url, query: 'up', template: 'none' })).toEqual({
      kind: 'not-checked',
      reason: `Prometheus at ${url} answered HTTP 422: too many samples`,
    });
  });
});

describe('the query as sent', () => {
  it('replaces every {{.window}} of a Sloth query, and nothing in an OpenSLO one', () => {
    expect(checkableQuery('a[{{.window}}] / b[{{ .window }}]', 'sloth-window')).toBe('a[5m] / b[5m]');
    expect(checkableQuery('a[{{.window}}]', 'none')).toBe('a[{{.window}}]');
  });

  it('goes to /api/v1/query under the URL, with or without a trailing slash', () => {
    expect(queryEndpoint('http://prom:9090', 'up')).toBe('http://prom:9090/api/v1/query?query=up');
    expect(queryEndpoint('http://prom:9090/base/', 'up')).toBe('http://prom:9090/base/api/v1/query?query=up');
  });
});
