/** Health, Prometheus metrics and the OpenAPI document: public, for probes and scrapers. */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Baton } from '../../app.js';
import type { HttpApp } from './app.js';

export function registerSystemRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'metrics'>): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        description: 'Liveness and database reachability.',
        response: {
          200: z.object({ status: z.literal('ok') }),
          503: z.object({ status: z.literal('unavailable'), reason: z.string() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(baton.db);
        return { status: 'ok' as const };
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, reason: 'database unreachable' });
      }
    },
  );

  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', baton.metrics.registry.contentType);
    return baton.metrics.registry.metrics();
  });

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
