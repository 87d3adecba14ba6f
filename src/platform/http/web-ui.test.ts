/**
 * Serving the web UI: pages answer with index.html under a strict Content-Security-Policy, hashed
 * assets are cached for good, API paths never fall back to the page, and a missing build says
 * how to build it. Runs on a bare Fastify with a hand-made build, so it does not depend on Vite.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp } from './app.js';
import { sendError } from './errors.js';
import { registerWebUi } from './web-ui.js';

async function appServing(webRoot: string): Promise<HttpApp> {
  const app = fastify() as unknown as HttpApp;
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  await registerWebUi(app, webRoot);
  app.get('/api/v1/known', { config: { access: 'public' } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('web UI serving', () => {
  let app: HttpApp;
  const root = mkdtempSync(path.join(tmpdir(), 'baton-web-'));

  beforeAll(async () => {
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Baton</title><div id="root"></div>');
    writeFileSync(path.join(root, 'assets', 'index-abc123.js'), 'console.log("app")');
    writeFileSync(path.join(root, 'assets', 'index-abc123.js.br'), brotliCompressSync('console.log("app")'));
    writeFileSync(path.join(root, 'assets', 'index-abc123.js.gz'), gzipSync('console.log("app")'));
    writeFileSync(path.join(root, 'assets', 'plain-1.css'), 'body{}');
    writeFileSync(path.join(root, 'secret.txt'), 'outside assets');
    app = await appServing(root);
  });
  afterAll(() => app.close());

  it('answers the page at / with a strict content security policy and no caching', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<div id="root">');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('answers every page path with the app, so deep links and reloads work', async () => {
    for (const url of [
      '/jobs',
      '/executions/42',
      '/executions?state=failed&job=ops%2Frestart',
      '/usage?since=7d',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain('<div id="root">');
    }
  });

  it('never answers an API path with the page', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/no-such-thing?x=1' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /api/v1/no-such-thing' },
    });
    expect((await app.inject({ method: 'GET', url: '/api' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/known' })).json()).toEqual({ ok: true });
  });

  it('caches hashed assets for a year and serves nothing outside the build', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log("app")');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    for (const url of [
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2f..%2fetc/passwd',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('outside assets');
      expect(response.body, url).not.toContain('root:');
    }
  });

  it('sends the compressed asset the build wrote to a browser that accepts it, the plain one otherwise', async () => {
    const brotli = await app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(brotli.statusCode).toBe(200);
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers.vary).toBe('accept-encoding');
    expect(brotli.headers['content-type']).toMatch(/javascript/);
    expect(brotliDecompressSync(brotli.rawPayload).toString()).toBe('console.log("app")');
    const gzip = await app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    // Without a compressed copy, the file itself.
    const css = await app.inject({
      method: 'GET',
      url: '/assets/plain-1.css',
      headers: { 'accept-encoding': 'br' },
    });
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.body).toBe('body{}');
  });

  it('says how to build the UI until it is built, then serves it without a restart', async () => {
    const later = path.join(mkdtempSync(path.join(tmpdir(), 'baton-web-later-')), 'web');
    const server = await appServing(later);
    const response = await server.inject({ method: 'GET', url: '/jobs' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
    expect((await server.inject({ method: 'GET', url: '/assets/index.js' })).statusCode).toBe(404);

    mkdirSync(path.join(later, 'assets'), { recursive: true });
    writeFileSync(path.join(later, 'index.html'), '<div id="root"></div>');
    writeFileSync(path.join(later, 'assets', 'index.js'), 'built later');
    expect((await server.inject({ method: 'GET', url: '/jobs' })).body).toContain('<div id="root">');
    expect((await server.inject({ method: 'GET', url: '/assets/index.js' })).body).toBe('built later');
    await server.close();
  });
});
