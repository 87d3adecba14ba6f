/** The service catalog over HTTP. */
import type { AccessControl } from '../../access/authorize.js';
import { resources } from '../../access/model.js';
import { servicesQuery, servicesResponse } from '../../contract/services.js';
import { servicesHealthResponse } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { SloReadService } from '../slos/service.js';
import { listServices } from './store.js';

/** What the service catalog routes use of the server. */
export interface ServiceRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerServiceRoutes(app: HttpApp, baton: ServiceRoutesDeps): void {
  app.get(
    '/api/v1/services',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Catalog services the caller may view.',
        querystring: servicesQuery,
        response: { 200: servicesResponse },
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
          .map(({ digest: _digest, hasLabels: _hasLabels, updatedAt, ...service }) => ({
            ...service,
            updatedAt: new Date(updatedAt).toISOString(),
          })),
      };
    },
  );

  const slos = new SloReadService(baton.db, baton.access);
  app.get(
    '/api/v1/services/health',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Every service the caller may view, from the catalog and from SLO documents alone, with its SLOs, ' +
          'attainment (lowest SLI ÷ target), lowest remaining budget and what the budget gate does now.',
        response: { 200: servicesHealthResponse },
      },
    },
    async (request) => ({ services: await slos.health(principalOf(request), Date.now()) }),
  );
}
