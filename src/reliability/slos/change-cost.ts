/**
 * What one change execution cost in error budget, for the execution's page and `baton execution
 * ID`: per SLO of the execution's service, the share of the period's budget consumed in the
 * CHANGE_COST_HOURS after it started. The numbers are the ones the service page lists under
 * its recent changes (history.ts): the same slices, corrections and arithmetic (history-math.ts).
 *
 * The execution view cannot carry this (automation must not import reliability), so it is a
 * route of its own; it answers 404 exactly when GET /api/v1/executions/:id does.
 */
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import { getExecution } from '../../automation/executions/store.js';
import type { ExecutionBudgetCostView } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { NotFoundError } from '../../platform/errors.js';
import { computeBudget } from './budget.js';
import { CHANGE_COST_HOURS } from './history.js';
import { changeCost } from './history-math.js';
import { listCorrections, listSlices } from './measurements-store.js';
import { sloKey, type SloModel } from './model.js';
import { formatOpensloDuration } from './openslo-duration.js';
import { sliceMsOf } from './sources.js';
import { samplesOf } from './status.js';
import { loadSloReading } from './store.js';
import { periodAt } from './window.js';

const HOUR_MS = 3_600_000;

/** How many of the counted hours after `startMs` have passed at `now`, within [0, hours]. */
export function hoursMeasured(startMs: number, now: number, hours: number): number {
  return Math.min(hours, Math.max(0, (now - startMs) / HOUR_MS));
}

/**
 * The caller's view of an execution's budget cost: NotFoundError when the execution does not
 * exist or the caller may not view its job; an empty list when it is not a change that started
 * on a service, or when the caller may not view that service (its SLOs are hidden then).
 */
export async function executionBudgetCosts(
  db: Db,
  access: AccessControl,
  caller: Principal,
  id: number,
  now: number,
): Promise<ExecutionBudgetCostView[]> {
  const execution = await getExecution(db, id);
  const notFound = `execution ${id} not found`;
  if (!execution) throw new NotFoundError(notFound);
  access.requireVisible(caller, 'view', resources.job(execution.project, execution.job), notFound);
  // The spec snapshot says what the job was when it ran, as the service page's list reads it.
  const { purpose, service } = execution.spec;
  if (purpose !== 'change' || !service || execution.startedAt === null) return [];
  if (!access.authorize(caller, 'view', resources.service(service)).allowed) return [];
  const reading = await loadSloReading(db);
  const slos = reading.slos
    .filter((slo) => slo.service === service)
    .sort((a, b) => sloKey(a).localeCompare(sloKey(b)));
  const startMs = execution.startedAt.getTime();
  return Promise.all(slos.map((slo) => costOf(db, slo, startMs, now)));
}

/**
 * The cost for one SLO, over its first objective as the history counts it. A change in the
 * current period is measured against the current period's budget, so the number is the one the
 * service page shows; an older one against the period its counted hours ended in.
 */
async function costOf(db: Db, slo: SloModel, startMs: number, now: number): Promise<ExecutionBudgetCostView> {
  const current = periodAt(slo.math.window, now);
  const at = startMs >= current.startMs ? now : Math.min(now, startMs + CHANGE_COST_HOURS * HOUR_MS);
  const period = at === now ? current : periodAt(slo.math.window, at);
  const [slices, corrections] = await Promise.all([
    listSlices(db, sloKey(slo), period.startMs, at + 1),
    listCorrections(db, { services: [slo.service], from: period.startMs, until: at + 1 }),
  ]);
  const applicable = corrections.filter((c) => c.slo === null || c.slo === slo.name);
  const sliceMs = sliceMsOf(slo, 0);
  const objective = slo.math.objectives[0]!;
  const samples = samplesOf(
    slo.objectives.length,
    slices,
    (index) => sliceMsOf(slo, index),
    applicable,
  )[0]!.flatMap((sample) => ('good' in sample ? [sample] : []));
  const budget = computeBudget({
    method: slo.math.method,
    objective,
    period,
    samples,
    missingSlices: 'skip',
  });
  return {
    slo: sloKey(slo),
    displayName: slo.displayName ?? null,
    window: formatOpensloDuration(slo.math.window.duration),
    budgetConsumedRatio: changeCost({
      method: slo.math.method,
      objective,
      sliceMs,
      samples,
      allowed: budget.allowed,
      startMs,
      hoursAfter: CHANGE_COST_HOURS,
    }),
    hours: CHANGE_COST_HOURS,
    hoursMeasured: hoursMeasured(startMs, now, CHANGE_COST_HOURS),
  };
}
