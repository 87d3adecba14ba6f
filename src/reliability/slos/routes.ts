/**
 * SLOs over HTTP: the list, one SLO with its history, the Prometheus rules for the
 * Prometheus-backed ones, and what one change execution cost. SLO documents are written with
 * POST /api/v1/apply; every answer here holds only the SLOs of services the caller may view.
 */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { executionBudgetCostResponse, sloDetailView, slosQuery, slosResponse } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { idParams } from '../../platform/http/params.js';
import { executionBudgetCosts } from './change-cost.js';
import { SloReadService } from './service.js';

/** What the SLO routes use of the server. */
export interface SloRoutesDeps {
  db: Db;
  access: AccessControl;
}

const name = z.string().min(1).max(200);

export function registerSloRoutes(app: HttpApp, baton: SloRoutesDeps): void {
  const slos = new SloReadService(baton.db, baton.access);

  app.get(
    '/api/v1/slos',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'SLOs of the services the caller may view, with their latest evaluation (null before the first).',
        querystring: slosQuery,
        response: { 200: slosResponse },
      },
    },
    async (request) => ({ slos: await slos.list(principalOf(request), request.query) }),
  );

  app.get(
    '/api/v1/slos/rules',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Prometheus recording and alerting rules (YAML, Sloth-compatible series) for the Prometheus-backed ' +
          'SLOs the caller may view; SLOs the rules cannot express are listed as comments at the end.',
        querystring: z.object({ service: name.optional() }),
      },
    },
    async (request, reply) => {
      const rules = await slos.rules(principalOf(request), request.query.service);
      return reply.type('application/yaml; charset=utf-8').send(rules.yaml);
    },
  );

  app.get(
    '/api/v1/slos/:service/:name',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'One SLO: its latest evaluation, the SLI and budget over the period, alerts, corrections, the ' +
          'cost of recent changes, and the document as applied.',
        params: z.object({ service: name, name }),
        response: { 200: sloDetailView },
      },
    },
    async (request) =>
      slos.detail(principalOf(request), request.params.service, request.params.name, Date.now()),
  );

  app.get(
    '/api/v1/executions/:id/budget-cost',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'What a change execution cost: per SLO of its service, the share of the period budget consumed in ' +
          'the hours after it started (null without data). Empty for an execution that is not a change.',
        params: idParams,
        response: { 200: executionBudgetCostResponse },
      },
    },
    async (request) => ({
      executionId: request.params.id,
      costs: await executionBudgetCosts(
        baton.db,
        baton.access,
        principalOf(request),
        request.params.id,
        Date.now(),
      ),
    }),
  );
}
