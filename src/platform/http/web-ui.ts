/**
 * Serves the web UI (built by Vite into dist/web) at `/`. Hashed assets are cached for a year;
 * index.html is never cached, so a new version reaches browsers on the next load. Any other GET
 * outside /api answers with index.html, so every page of the app can be linked to directly.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from '../errors.js';
import type { HttpApp } from './app.js';

/**
 * The page may load only what this server serves; nothing may frame it. Styles set from script
 * (React's style prop, uPlot) are allowed by `style-src 'self'` because they are not markup.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

export async function registerWebUi(app: HttpApp, webRoot: string): Promise<void> {
  // Asked per request, not once at start: a server started before (or during) a build serves
  // the UI as soon as the build is there.
  const built = () => existsSync(path.join(webRoot, 'index.html'));
  try {
    // The plugin warns about a root that does not exist yet; an empty one is quiet.
    mkdirSync(webRoot, { recursive: true });
  } catch {
    // A read-only installation without a build: the pages say how to build it.
  }
  // The build writes .br and .gz beside each asset; a browser that accepts them gets those.
  await app.register(fastifyStatic, { root: webRoot, serve: false, preCompressed: true });

  const sendPage = (reply: FastifyReply) => {
    securityHeaders(reply);
    if (!built()) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built. Run `npm run build` (or `npm start`), then reload.\n');
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  };

  app.get('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (!built()) throw new NotFoundError(`no asset ${request.url}`);
    const file = (request.params as { '*': string })['*'];
    securityHeaders(reply);
    // A shared cache must not hand the brotli copy to a browser that asked for none.
    reply.header('vary', 'accept-encoding');
    // File names carry a content hash: a changed file is a new name.
    return reply.sendFile(path.posix.join('assets', file), { immutable: true, maxAge: '365d' });
  });

  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    sendPage(reply),
  );

  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const url = request.url.split('?')[0]!;
    // An API path that matched nothing is an API error, never a page.
    if (url === '/api' || url.startsWith('/api/')) {
      throw new NotFoundError(`no route ${request.method} ${url}`);
    }
    return sendPage(reply);
  });
}
