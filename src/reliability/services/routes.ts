/** The service catalog over HTTP. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import { resources } from '../../access/model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { LIFECYCLES } from './model.js';
import { listServices } from './store.js';

export function registerServiceRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'access'>): void {
  app.get(
    '/api/v1/services',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Catalog services the caller may view.',
        querystring: z.object({ owner: z.string().optional(), lifecycle: z.enum(LIFECYCLES).optional() }),
        response: {
          200: z.object({
            services: z.array(
              z.object({
                name: z.string(),
                description: z.string().nullable(),
                owner: z.string(),
                lifecycle: z.enum(LIFECYCLES),
                links: z.array(z.object({ title: z.string(), url: z.string() })),
                updatedAt: z.string(),
                updatedBy: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const { owner, lifecycle } = request.query;
      const services = await listServices(baton.db);
      return {
        services: services
          .filter(
            (service) =>
              (owner === undefined || service.owner === owner) &&
              (lifecycle === undefined || service.lifecycle === lifecycle),
          )
          .filter(
            (service) => baton.access.authorize(caller, 'view', resources.service(service.name)).allowed,
          )
          .map(({ digest: _digest, updatedAt, ...service }) => ({
            ...service,
            updatedAt: new Date(updatedAt).toISOString(),
          })),
      };
    },
  );
}
