/** Health, Prometheus metrics and the OpenAPI document: public, for probes and scrapers. */
import { healthResponse, unhealthyResponse } from '../../contract/system.js';
import { pingDatabase, type Db } from '../db/database.js';
import type { Metrics } from '../metrics.js';
import type { HttpApp } from './app.js';

/** What the system routes use of the server. */
export interface SystemRoutesDeps {
  db: Db;
  metrics: Metrics;
}

export function registerSystemRoutes(app: HttpApp, baton: SystemRoutesDeps): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        description: 'Liveness and database reachability.',
        response: {
          200: healthResponse,
          503: unhealthyResponse,
        },
      },
    },
    async (_request, reply) => {
      try {
        await pingDatabase(baton.db);
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
