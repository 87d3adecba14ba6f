/**
 * What people and programs feed the SLO evaluation over HTTP: counts pushed for an SLO whose
 * indicator is `type: Pushed`, and manual corrections of a service's SLIs.
 *
 * Who may:
 * - Push counts: `edit` on `service/<service>` (the owning team has it; a token scoped to
 *   `edit:service/<service>` is the way for a CI job or an exporter). Pushes are measurements, not
 *   changes of configuration, so they are not audited one by one: the row keeps who pushed last.
 * - Read corrections: `view` on the service. Add one: `edit` on the service; audited.
 * A service or SLO the caller may not view answers 404, like one that does not exist.
 */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { appendAudit, auditActor } from '../../access/audit/trail.js';
import { resources } from '../../access/model.js';
import {
  correctionRequest,
  correctionResponse,
  correctionsResponse,
  pushCountsRequest,
  pushCountsResponse,
} from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { InputError, NotFoundError } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { listServiceNames } from '../services/store.js';
import { correctionView } from './history.js';
import {
  insertCorrection,
  listCorrections,
  upsertPushedCounts,
  type PushedCount,
} from './measurements-store.js';
import { horizonOf, sliceMsOf, sliceStartOf } from './sources.js';
import { loadSloReading } from './store.js';
import { periodAt } from './window.js';

export interface MeasureRoutesDeps {
  db: Db;
  access: AccessControl;
}

const sloParams = z.object({ service: z.string().min(1).max(200), name: z.string().min(1).max(200) });
const serviceParams = z.object({ service: z.string().min(1).max(200) });
/** A correction longer than this is a mistake more often than a plan (and would blank an SLO). */
const MAX_CORRECTION_MS = 31 * 86_400_000;

export function registerMeasureRoutes(
  app: HttpApp,
  baton: MeasureRoutesDeps,
  clock: () => number = Date.now,
): void {
  app.post(
    '/api/v1/slos/:service/:name/counts',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Push good and total counts per time slice for an SLO whose indicator is `type: Pushed`. Each count is for the slice its `at` falls in; pushing a slice again replaces it. Needs `edit` on the service.',
        params: sloParams,
        body: pushCountsRequest,
        response: { 200: pushCountsResponse },
      },
    },
    async (request) => {
      const { service, name } = request.params;
      const notFound = `no SLO ${service}/${name}`;
      baton.access.requireVisible(principalOf(request), 'edit', resources.service(service), notFound);
      const slo = (await loadSloReading(baton.db)).slos.find((s) => s.service === service && s.name === name);
      if (!slo) throw new NotFoundError(notFound);
      const objective = slo.objectives.findIndex((o) => o.indicator.measure.kind === 'pushed');
      if (objective < 0) {
        throw new InputError(`SLO ${service}/${name} does not take pushed counts`, [
          {
            path: 'service/name',
            message: 'its indicator is not `type: Pushed`; Baton measures it itself',
            expected: 'an SLO whose ratioMetric uses metricSource type Pushed',
          },
        ]);
      }
      const now = clock();
      const sliceMs = sliceMsOf(slo, objective);
      const earliest = horizonOf(periodAt(slo.math.window, now));
      const bySlice = new Map<number, PushedCount>();
      request.body.counts.forEach((count, index) => {
        const at = Date.parse(count.at);
        const path = `counts[${index}]`;
        if (count.good > count.total) {
          throw new InputError('good is more than total', [
            {
              path: `${path}.good`,
              message: 'good counts some of total',
              expected: `at most ${count.total}`,
              found: String(count.good),
            },
          ]);
        }
        if (at > now || at < earliest) {
          throw new InputError('a count is outside the time the SLO reads', [
            {
              path: `${path}.at`,
              message: 'the slice must have started, within the SLO period and the 3 days before it',
              expected: `a time from ${new Date(earliest).toISOString()} to now`,
              found: count.at,
            },
          ]);
        }
        const sliceStart = sliceStartOf(at, sliceMs, periodAt(slo.math.window, at).sliceAnchorMs);
        const known = bySlice.get(sliceStart);
        // Two counts for one slice in one push are parts of it.
        bySlice.set(sliceStart, {
          sliceStart,
          good: (known?.good ?? 0) + count.good,
          total: (known?.total ?? 0) + count.total,
        });
      });
      await upsertPushedCounts(baton.db, `${service}/${name}`, [...bySlice.values()], {
        by: principalOf(request).name,
        at: now,
      });
      return { accepted: request.body.counts.length };
    },
  );

  app.get(
    '/api/v1/services/:service/corrections',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          "Corrections of the service's SLIs (manual, and by maintenance executions), newest first.",
        params: serviceParams,
        response: { 200: correctionsResponse },
      },
    },
    async (request) => {
      const { service } = request.params;
      await requireService(baton, principalOf(request), service, 'view');
      const corrections = await listCorrections(baton.db, {
        services: [service],
        from: 0,
        until: Number.MAX_SAFE_INTEGER,
      });
      return { corrections: corrections.reverse().map(correctionView) };
    },
  );

  app.post(
    '/api/v1/services/:service/corrections',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          "Take a time span out of the service's SLIs (one SLO, or all), with a reason: a maintenance window after the fact, a false alarm of the monitoring. Needs `edit` on the service; audited.",
        params: serviceParams,
        body: correctionRequest,
        response: { 201: correctionResponse },
      },
    },
    async (request, reply) => {
      const { service } = request.params;
      const caller = principalOf(request);
      const slos = await requireService(baton, caller, service, 'edit');
      const body = request.body;
      if (body.slo !== undefined && !slos.includes(body.slo)) {
        throw new InputError(`service ${service} has no SLO named "${body.slo}"`, [
          {
            path: 'slo',
            message: `no SLO named "${body.slo}" on service ${service}`,
            expected:
              slos.length > 0
                ? `one of ${slos.join(', ')}, or no slo for all of them`
                : 'no slo (the service has no SLOs yet)',
          },
        ]);
      }
      const startsAt = Date.parse(body.startsAt);
      const endsAt = Date.parse(body.endsAt);
      if (!(endsAt > startsAt) || endsAt - startsAt > MAX_CORRECTION_MS) {
        throw new InputError('the correction span is not usable', [
          {
            path: 'endsAt',
            message: 'the end comes after the start, at most 31 days later',
            expected: `a time after ${body.startsAt}`,
            found: body.endsAt,
          },
        ]);
      }
      const now = clock();
      const correction = {
        service,
        slo: body.slo ?? null,
        startsAt,
        endsAt,
        reason: body.reason,
        executionId: null,
        createdBy: caller.name,
        createdAt: now,
      };
      const id = await baton.db.transaction().execute(async (trx) => {
        const inserted = await insertCorrection(trx, correction);
        await appendAudit(
          trx,
          {
            ...auditActor(caller),
            action: 'slo.correction',
            target: `service/${service}`,
            summary: {
              correction: inserted,
              slo: correction.slo ?? '(all)',
              startsAt: body.startsAt,
              endsAt: body.endsAt,
              reason: body.reason,
            },
          },
          now,
        );
        return inserted;
      });
      reply.code(201);
      return { correction: correctionView({ id, ...correction }) };
    },
  );
}

/**
 * The names of the service's SLOs, once the caller may act on it; a 404 for a service that
 * neither the catalog nor an SLO document names, or that the caller may not view.
 */
async function requireService(
  baton: MeasureRoutesDeps,
  caller: ReturnType<typeof principalOf>,
  service: string,
  action: 'view' | 'edit',
): Promise<string[]> {
  const notFound = `no service named "${service}"`;
  baton.access.requireVisible(caller, action, resources.service(service), notFound);
  const [reading, catalog] = await Promise.all([loadSloReading(baton.db), listServiceNames(baton.db)]);
  const known = catalog.includes(service) || reading.services.some((s) => s.name === service);
  if (!known) throw new NotFoundError(notFound);
  return reading.slos.filter((slo) => slo.service === service).map((slo) => slo.name);
}
