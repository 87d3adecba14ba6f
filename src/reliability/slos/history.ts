/**
 * What the Service page and `baton slo` show beside an SLO's status: the SLI and budget series
 * over the current period (at most 300 points), its alerts, the corrections that apply to it, and
 * what each change execution on the service cost in budget in the hours after it started.
 * The arithmetic is history-math.ts; this reads the stores.
 */
import { listExecutionSpans } from '../../automation/executions/store.js';
import { listJobSpecs } from '../../automation/jobs/store.js';
import {
  ALERT_SEVERITIES,
  type ChangeCostView,
  type CorrectionView,
  type SloAlertView,
  type SloPointView,
  type SloStatus,
} from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { computeBudget } from './budget.js';
import { budgetSeries, changeCost, downsample } from './history-math.js';
import { listCorrections, listSlices, listSloAlerts, type Correction } from './measurements-store.js';
import { sloKey, type SloModel } from './model.js';
import { sliceMsOf } from './sources.js';
import { samplesOf } from './status.js';
import { periodAt } from './window.js';

export interface SloHistory {
  series: SloPointView[];
  alerts: SloAlertView[];
  corrections: CorrectionView[];
  changes: ChangeCostView[];
}

/** Points on a chart: enough for a month of hours' shape, few enough to send every time. */
export const MAX_SERIES_POINTS = 300;
/** A change's cost is the budget spent in this many hours after it started. */
export const CHANGE_COST_HOURS = 4;
const MAX_CHANGES = 100;
const MAX_ALERTS = 100;

const iso = (ms: number) => new Date(ms).toISOString();

/** A stored correction as the API shows it. */
export function correctionView(correction: Correction): CorrectionView {
  return {
    id: correction.id,
    service: correction.service,
    slo: correction.slo,
    startsAt: iso(correction.startsAt),
    endsAt: correction.endsAt === null ? null : iso(correction.endsAt),
    reason: correction.reason,
    executionId: correction.executionId,
    createdBy: correction.createdBy,
    createdAt: iso(correction.createdAt),
  };
}

/**
 * The history of one SLO over its period at `now`. The series and change costs follow the first
 * objective (the only one but for composites, whose parts' units do not add up).
 */
export async function sloHistory(
  db: Db,
  slo: SloModel,
  _status: SloStatus | undefined,
  now: number,
): Promise<SloHistory> {
  const key = sloKey(slo);
  const period = periodAt(slo.math.window, now);
  const [slices, corrections, alerts] = await Promise.all([
    listSlices(db, key, period.startMs, now + 1),
    listCorrections(db, { services: [slo.service], from: period.startMs, until: now + 1 }),
    listSloAlerts(db, key, period.startMs, MAX_ALERTS),
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
  const series = downsample(
    budgetSeries({ method: slo.math.method, objective, period, sliceMs, samples }),
    MAX_SERIES_POINTS,
  ).map((point) => ({
    at: iso(point.atMs),
    sli: point.sli,
    budgetRemainingRatio: point.budgetRemainingRatio,
  }));
  const budget = computeBudget({
    method: slo.math.method,
    objective,
    period,
    samples,
    missingSlices: 'skip',
  });

  return {
    series,
    alerts: alerts.map((alert) => ({
      id: alert.id,
      severity: (ALERT_SEVERITIES as readonly string[]).includes(alert.severity)
        ? (alert.severity as SloAlertView['severity'])
        : 'page',
      openedAt: iso(alert.openedAt),
      resolvedAt: alert.resolvedAt === null ? null : iso(alert.resolvedAt),
      summary: summaryOf(alert.detail),
    })),
    corrections: applicable.map(correctionView),
    changes: await changeCosts(db, slo, period.startMs, now, (startMs) =>
      changeCost({
        method: slo.math.method,
        objective,
        sliceMs,
        samples,
        allowed: budget.allowed,
        startMs,
        hoursAfter: CHANGE_COST_HOURS,
      }),
    ),
  };
}

function summaryOf(detail: unknown): string {
  const summary = (detail as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' ? summary : '';
}

/**
 * The executions of `purpose: change` jobs on the SLO's service that started in the period,
 * newest first, with their cost. The jobs declared as change now are asked for, and each
 * execution's spec snapshot confirms it was one when it ran.
 */
async function changeCosts(
  db: Db,
  slo: SloModel,
  periodStartMs: number,
  now: number,
  cost: (startMs: number) => number | null,
): Promise<ChangeCostView[]> {
  const jobs = (await listJobSpecs(db))
    .filter(({ spec }) => {
      const fields = spec as unknown as Record<string, unknown>;
      return fields.service === slo.service && fields.purpose === 'change';
    })
    .map(({ project, name }) => ({ project, name }));
  const spans = await listExecutionSpans(db, jobs, { activeSince: periodStartMs, startedBefore: now + 1 });
  return spans
    .filter(
      (span) =>
        span.startedAt >= periodStartMs &&
        span.spec.purpose === 'change' &&
        span.spec.service === slo.service,
    )
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, MAX_CHANGES)
    .map((span) => ({
      executionId: span.id,
      job: `${span.project}/${span.name}`,
      requestedBy: span.requestedBy,
      state: span.state,
      at: iso(span.startedAt),
      budgetConsumedRatio: cost(span.startedAt),
      hours: CHANGE_COST_HOURS,
    }));
}
