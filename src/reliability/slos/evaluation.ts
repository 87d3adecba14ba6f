/**
 * The SLO evaluation duty: once per interval across all servers, measure every SLO's new slices,
 * take corrections out, compute each SLO's status with the pure math, store it, and hand the
 * alert states to the alert sink.
 *
 * Once per interval: the duty runs under its own lease (`slo-evaluation`, servers only, so a
 * standalone worker holding the maintenance lease never evaluates), and each round is claimed
 * in the database by its interval's start, so a lease that changes hands mid-interval still runs
 * the round once.
 *
 * Incremental: the evaluating process keeps each SLO's slices in memory between rounds
 * (slice-cache.ts), and each SLO has a mark (slo_measure_marks) saying up to where its slices are final
 * and for which definition. A round re-measures only from the mark on (the slice in progress and
 * the one before, for late arrivals), and from scratch when the definition changes. The first
 * round of an SLO reads its whole period plus the 3 days the longest burn window looks back.
 */
import { createHash } from 'node:crypto';
import {
  listFinishedExecutionFacts,
  listExecutionSpans,
  type FinishedExecutionFact,
  type JobKey,
} from '../../automation/executions/store.js';
import { listJobSpecs } from '../../automation/jobs/store.js';
import type { SloStatus } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { Duties } from '../../platform/duties.js';
import { claimDutyRound } from '../../platform/duties/store.js';
import { coerceError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import type { AlertState } from './alert-windows.js';
import { evaluateSlo } from './evaluate.js';
import {
  deleteMeasurements,
  deleteSlices,
  endExecutionCorrection,
  insertCorrection,
  listCorrections,
  listExecutionCorrections,
  listMeasureMarks,
  listPushedCounts,
  listSlices,
  prunePushedCounts,
  putMeasureMarks,
  upsertSlices,
  type Correction,
  type MeasureMark,
  type SliceCounts,
} from './measurements-store.js';
import { sloKey, type SloModel } from './model.js';
import { PrometheusClient } from './prometheus-client.js';
import {
  countExecutionSlices,
  horizonOf,
  measurePrometheusSlices,
  sliceMsOf,
  sliceStartOf,
  sourceOf,
} from './sources.js';
import { applySlices, cachedSlo, type CachedSlo } from './slice-cache.js';
import { buildStatus, mergedAlerts } from './status.js';
import type { SloAlertSink } from './alerts.js';
export type { SloAlertSink } from './alerts.js';
import { deleteSloStatusesExcept, listSloStatuses, loadSloReading, putSloStatus } from './store.js';
import { periodAt, type Period } from './window.js';

/** Until an alert sink is wired (tests of the measuring alone): alerts are computed and dropped. */
export const NO_ALERT_SINK: SloAlertSink = { update: async () => [], retire: async () => 0 };

export interface SloEvaluationOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  alerts?: SloAlertSink;
  /** This process's name, for the lease. */
  owner?: string;
  /** One round per this many ms across all servers (default 1 minute). */
  intervalMs?: number;
  /** Reads a Baton secret by path, for a DataSource's bearer token. */
  readSecret?: (path: string) => Promise<string | undefined>;
  /** BATON_PROMETHEUS_URL: where queries go whose data source has no URL (Sloth files, bare OpenSLO metric sources). */
  defaultPrometheusUrl?: string;
  prometheusTimeoutMs?: number;
  /** For tests: the fetch Prometheus is reached with. */
  fetch?: typeof fetch;
}

/** What one round did. */
export interface RoundReport {
  evaluated: number;
  /** `service/name: error` for each SLO whose source failed. */
  errors: string[];
}

export interface SloEvaluationDuty {
  start(): void;
  stop(): Promise<void>;
  /** Evaluates every SLO at `now`, whatever the interval (tests, `baton slo` refresh). */
  evaluateNow(now: number): Promise<RoundReport>;
  /** Evaluates at `now` if this process is the first to claim now's interval; the report, or undefined. */
  runRound(now: number): Promise<RoundReport | undefined>;
}

export const DEFAULT_SLO_INTERVAL_MS = 60_000;
/** Late arrivals (a commit after the round read, a scrape after the slice) are re-measured for this long. */
const SETTLE_MS = 60_000;
const PROMETHEUS_CONCURRENCY = 8;
const HOUR_MS = 3_600_000;

/** The definition an SLO's slices depend on: when it changes, they are measured again. */
export function measureFingerprint(slo: SloModel): string {
  const parts = {
    window: slo.math.window,
    slices: slo.math.objectives.map((_, index) => sliceMsOf(slo, index)),
    objectives: slo.objectives.map((o) => ({ measure: o.indicator.measure, threshold: o.threshold ?? null })),
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

interface Plan {
  slo: SloModel;
  key: string;
  period: Period;
  horizon: number;
  /** Re-measure slices from here. */
  from: number;
  fingerprint: string;
  mark: MeasureMark | undefined;
  error: string | null;
  slices: SliceCounts[];
  measuredUntil: number;
}

export function createSloEvaluation(options: SloEvaluationOptions): SloEvaluationDuty {
  const { db, logger } = options;
  const alerts = options.alerts ?? NO_ALERT_SINK;
  const intervalMs = options.intervalMs ?? DEFAULT_SLO_INTERVAL_MS;
  let duties: Duties | undefined;
  let lastPruneHour = -1;
  const cache = new Map<string, CachedSlo>();

  async function evaluateNow(now: number): Promise<RoundReport> {
    const reading = await loadSloReading(db);
    const [marks, previous] = await Promise.all([listMeasureMarks(db), listSloStatuses(db)]);
    const previousByKey = new Map(previous.map((status) => [status.slo, status]));
    const plans: Plan[] = [];
    for (const slo of reading.slos) {
      const key = sloKey(slo);
      const period = periodAt(slo.math.window, now);
      const horizon = horizonOf(period);
      const fingerprint = measureFingerprint(slo);
      let mark = marks.get(key);
      if (mark && mark.fingerprint !== fingerprint) {
        await deleteSlices(db, key);
        mark = undefined;
      }
      // Trusted only if the database still holds the mark this process wrote after its last round.
      const cached = cache.get(key);
      if (cached && (!mark || cached.fingerprint !== fingerprint || cached.markAt !== mark.measuredAt)) {
        cache.delete(key);
      }
      const from = Math.max(horizon, mark ? mark.measuredUntil : horizon);
      plans.push({
        slo,
        key,
        period,
        horizon,
        from,
        fingerprint,
        mark,
        error: null,
        slices: [],
        measuredUntil: now - SETTLE_MS,
      });
    }

    await measureExecutions(plans, now);
    await measurePushed(plans, now);
    await measurePrometheus(plans, now);
    // One transaction for the round's writes: on SQLite a thousand upserts that commit one by one
    // cost a thousand syncs.
    await db.transaction().execute(async (trx) => {
      const marksToWrite: MeasureMark[] = [];
      for (const plan of plans) {
        if (plan.slices.length > 0) await upsertSlices(trx, plan.key, plan.slices);
        const cached = cache.get(plan.key);
        if (cached) applySlices(cached, plan.slices);
        if (plan.error !== null && plan.mark) continue; // measure again from the same mark next round
        if (cached) cached.markAt = now;
        marksToWrite.push({
          slo: plan.key,
          fingerprint: plan.fingerprint,
          measuredUntil: plan.error !== null ? plan.horizon : Math.max(plan.horizon, plan.measuredUntil),
          measuredAt: now,
        });
      }
      await putMeasureMarks(trx, marksToWrite);
    });

    const services = [...new Set(plans.map((plan) => plan.slo.service))];
    await syncMaintenanceCorrections(services, plans, now);
    const horizon = Math.min(now, ...plans.map((plan) => plan.horizon));
    const corrections = await listCorrections(db, { services, from: horizon, until: now + 1 });

    const report: RoundReport = { evaluated: 0, errors: [] };
    const evaluated: { plan: Plan; status: SloStatus; states: AlertState[] }[] = [];
    for (const plan of plans) {
      try {
        evaluated.push({
          plan,
          ...(await evaluatePlan(plan, corrections, previousByKey.get(plan.key), now)),
        });
        report.evaluated++;
      } catch (error) {
        plan.error ??= coerceError(error).message;
        logger.warn({ slo: plan.key, err: coerceError(error) }, 'could not evaluate an SLO');
      }
      if (plan.error !== null) report.errors.push(`${plan.key}: ${plan.error}`);
    }
    // Alerts first, so that each status carries the alerts this round opened or resolved.
    for (const entry of evaluated) {
      try {
        const open = await alerts.update(entry.plan.slo, entry.status, entry.states, now);
        entry.status = { ...entry.status, openAlerts: open };
      } catch (error) {
        logger.warn(
          { slo: entry.plan.key, err: coerceError(error) },
          'the alert sink failed; will retry next round',
        );
      }
    }
    await db.transaction().execute(async (trx) => {
      for (const { status } of evaluated) await putSloStatus(trx, status, now);
    });

    const keys = plans.map((plan) => plan.key);
    const current = new Set(keys);
    for (const key of cache.keys()) if (!current.has(key)) cache.delete(key);
    // Only SLOs known before and gone now: a NOT IN over every key would scan every slice.
    const gone = [...new Set([...marks.keys(), ...previousByKey.keys()])].filter((key) => !current.has(key));
    if (gone.length > 0) {
      await alerts.retire(keys, now);
      await deleteSloStatusesExcept(db, keys);
      await deleteMeasurements(db, gone);
    }
    const hour = Math.floor(now / HOUR_MS);
    if (hour !== lastPruneHour) {
      lastPruneHour = hour;
      for (const plan of plans) {
        await deleteSlices(db, plan.key, plan.horizon);
        for (const series of cache.get(plan.key)?.objectives ?? []) series.dropBefore(plan.horizon);
        await prunePushedCounts(db, plan.key, plan.horizon);
      }
    }
    options.metrics.sloRounds.inc();
    return report;
  }

  /** One statement for every executions SLO: the executions that finished since the earliest mark. */
  async function measureExecutions(plans: Plan[], now: number): Promise<void> {
    const onExecutions = plans.filter(
      (plan) => sourceOf(plan.slo.objectives[0]!.indicator.measure) === 'executions',
    );
    if (onExecutions.length === 0) return;
    const jobs = new Map<string, JobKey>();
    const services = new Set<string>();
    for (const plan of onExecutions) {
      for (const objective of plan.slo.objectives) {
        const measure = objective.indicator.measure;
        if (measure.kind !== 'executions') continue;
        if (measure.selector.job)
          jobs.set(`${measure.selector.job.project}/${measure.selector.job.name}`, measure.selector.job);
        else services.add(plan.slo.service);
      }
    }
    const from = Math.min(...onExecutions.map((plan) => plan.from));
    const facts = await listFinishedExecutionFacts(db, {
      from,
      until: now + 1,
      jobs: [...jobs.values()],
      services: [...services],
    });
    // Each SLO counts only the executions it selects: scanning every fact for every SLO costs
    // SLOs × executions (1,000 SLOs on a month of executions: over a billion steps, minutes).
    const byJob = new Map<string, FinishedExecutionFact[]>();
    const byService = new Map<string, FinishedExecutionFact[]>();
    const add = (index: Map<string, FinishedExecutionFact[]>, key: string, fact: FinishedExecutionFact) => {
      const list = index.get(key);
      if (list) list.push(fact);
      else index.set(key, [fact]);
    };
    for (const fact of facts) {
      add(byJob, `${fact.project}/${fact.name}`, fact);
      if (fact.service !== null && services.has(fact.service)) add(byService, fact.service, fact);
    }
    for (const plan of onExecutions) {
      plan.slo.objectives.forEach((objective, index) => {
        const measure = objective.indicator.measure;
        if (measure.kind !== 'executions') return;
        const selected =
          (measure.selector.job
            ? byJob.get(`${measure.selector.job.project}/${measure.selector.job.name}`)
            : byService.get(plan.slo.service)) ?? [];
        const sliceMs = sliceMsOf(plan.slo, index);
        // Whole slices only: a re-measured slice is counted again from all its executions.
        const fromMs = sliceStartOf(plan.from, sliceMs, plan.period.sliceAnchorMs);
        plan.slices.push(
          ...countExecutionSlices(plan.slo, index, selected, {
            fromMs,
            untilMs: now + 1,
            anchorMs: plan.period.sliceAnchorMs,
          }),
        );
      });
      plan.measuredUntil = Math.min(
        ...plan.slo.objectives.map((_, index) =>
          sliceStartOf(now - SETTLE_MS, sliceMsOf(plan.slo, index), plan.period.sliceAnchorMs),
        ),
      );
    }
  }

  /** Pushed counts stored since the previous round (or all, the first time), copied into the slices. */
  async function measurePushed(plans: Plan[], now: number): Promise<void> {
    for (const plan of plans) {
      if (sourceOf(plan.slo.objectives[0]!.indicator.measure) !== 'pushed') continue;
      const pushedSince = plan.mark ? plan.mark.measuredAt - SETTLE_MS : 0;
      const counts = await listPushedCounts(db, plan.key, pushedSince, plan.horizon);
      plan.slo.objectives.forEach((objective, index) => {
        if (objective.indicator.measure.kind !== 'pushed') return;
        for (const count of counts) {
          plan.slices.push({
            objective: index,
            sliceStart: count.sliceStart,
            good: count.good,
            total: count.total,
          });
        }
      });
      plan.measuredUntil = now;
    }
  }

  async function measurePrometheus(plans: Plan[], now: number): Promise<void> {
    const queue = plans.filter(
      (plan) => sourceOf(plan.slo.objectives[0]!.indicator.measure) === 'prometheus',
    );
    const clients = new Map<string, PrometheusClient>();
    const clientFor = async (plan: Plan, index: number): Promise<PrometheusClient> => {
      const measure = plan.slo.objectives[index]!.indicator.measure;
      const query =
        measure.kind === 'prometheus-ratio'
          ? measure.total
          : measure.kind === 'prometheus-raw'
            ? measure.ratio
            : measure.kind === 'prometheus-threshold'
              ? measure.metric
              : undefined;
      const source = query?.dataSource ?? {};
      const url = source.url ?? options.defaultPrometheusUrl;
      if (!url) {
        throw new Error(
          source.name
            ? `its Prometheus DataSource ${source.name} has no connectionDetails.url and no default Prometheus is set (BATON_PROMETHEUS_URL)`
            : 'its queries name no Prometheus and no default Prometheus is set (BATON_PROMETHEUS_URL)',
        );
      }
      const cacheKey = `${url}\n${source.bearerTokenSecret ?? ''}`;
      let client = clients.get(cacheKey);
      if (!client) {
        let bearerToken: string | undefined;
        if (source.bearerTokenSecret) {
          bearerToken = await options.readSecret?.(source.bearerTokenSecret);
          if (bearerToken === undefined)
            throw new Error(`the bearer token secret ${source.bearerTokenSecret} cannot be read`);
        }
        client = new PrometheusClient({
          url,
          ...(bearerToken === undefined ? {} : { bearerToken }),
          ...(options.prometheusTimeoutMs === undefined ? {} : { timeoutMs: options.prometheusTimeoutMs }),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
        clients.set(cacheKey, client);
      }
      return client;
    };
    const measureOne = async (plan: Plan): Promise<void> => {
      try {
        let until = now;
        for (let index = 0; index < plan.slo.objectives.length; index++) {
          const sliceMs = sliceMsOf(plan.slo, index);
          const client = await clientFor(plan, index);
          const fromMs = sliceStartOf(plan.from, sliceMs, plan.period.sliceAnchorMs);
          plan.slices.push(
            ...(await measurePrometheusSlices(client, plan.slo, index, {
              fromMs,
              untilMs: now,
              anchorMs: plan.period.sliceAnchorMs,
            })),
          );
          // The last whole slice is measured again next round: a late scrape may still add to it.
          until = Math.min(until, sliceStartOf(now, sliceMs, plan.period.sliceAnchorMs) - sliceMs);
        }
        plan.measuredUntil = until;
      } catch (error) {
        plan.error = coerceError(error).message;
      }
    };
    const workers = Array.from({ length: Math.min(PROMETHEUS_CONCURRENCY, queue.length) }, async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) await measureOne(plan);
    });
    await Promise.all(workers);
  }

  /**
   * Executions of `purpose: maintenance` jobs declared to correct the SLI (`correctsSlo: true`) on
   * a service with SLOs become corrections over their started→finished span, once each. The
   * snapshot of the execution decides, read defensively (older snapshots lack the fields).
   */
  async function syncMaintenanceCorrections(
    services: readonly string[],
    plans: Plan[],
    now: number,
  ): Promise<void> {
    if (services.length === 0) return;
    const wanted = new Set(services);
    const jobs = (await listJobSpecs(db))
      .filter(({ spec }) => {
        const fields = spec as unknown as Record<string, unknown>;
        return (
          typeof fields.service === 'string' && wanted.has(fields.service) && fields.purpose === 'maintenance'
        );
      })
      .map(({ project, name }) => ({ project, name }));
    if (jobs.length === 0) return;
    const since = Math.min(...plans.map((plan) => plan.mark?.measuredAt ?? plan.horizon)) - SETTLE_MS;
    const spans = (await listExecutionSpans(db, jobs, { activeSince: since, startedBefore: now + 1 })).filter(
      (span) =>
        span.spec.purpose === 'maintenance' &&
        span.spec.correctsSlo === true &&
        typeof span.spec.service === 'string' &&
        wanted.has(span.spec.service),
    );
    const existing = await listExecutionCorrections(
      db,
      spans.map((span) => span.id),
    );
    for (const span of spans) {
      const known = existing.get(span.id);
      if (!known) {
        await insertCorrection(db, {
          service: span.spec.service as string,
          slo: null,
          startsAt: span.startedAt,
          endsAt: span.finishedAt,
          reason: `maintenance execution #${span.id} of ${span.project}/${span.name}`,
          executionId: span.id,
          createdBy: span.requestedBy,
          createdAt: now,
        });
      } else if (known.endsAt === null && span.finishedAt !== null) {
        await endExecutionCorrection(db, span.id, span.finishedAt);
      }
    }
  }

  async function evaluatePlan(
    plan: Plan,
    corrections: readonly Correction[],
    previous: SloStatus | undefined,
    now: number,
  ): Promise<{ status: SloStatus; states: AlertState[] }> {
    const { slo } = plan;
    let cached = cache.get(plan.key);
    if (!cached && !plan.mark && plan.error === null) {
      // Measured from scratch this round (no mark: new, or its definition changed and its slices
      // were deleted): the round's slices are all it has, so reading them back is not needed
      // (1,000 new SLOs on a month of 5-minute slices: 1.6 million rows, seconds on SQLite).
      cached = cachedSlo(plan.fingerprint, now, slo.objectives.length, plan.slices);
      cache.set(plan.key, cached);
    } else if (!cached) {
      // Read after this round's writes, so the entry holds them; it agrees with the mark just written.
      const markAt = plan.error !== null && plan.mark ? plan.mark.measuredAt : now;
      cached = cachedSlo(
        plan.fingerprint,
        markAt,
        slo.objectives.length,
        await listSlices(db, plan.key, plan.horizon, Number.MAX_SAFE_INTEGER),
      );
      cache.set(plan.key, cached);
    }
    const applicable = corrections.filter(
      (correction) =>
        correction.service === slo.service && (correction.slo === null || correction.slo === slo.name),
    );
    const entry = cached;
    const samples = slo.objectives.map((_, index) =>
      entry.objectives[index]!.samples(plan.horizon, now + 1, sliceMsOf(slo, index), applicable),
    );
    const evaluation = evaluateSlo(slo.math, { nowMs: now, samples, missingSlices: 'skip' });
    const status = buildStatus({
      slo,
      evaluation,
      previous,
      error: plan.error,
      openAlerts: previous?.openAlerts ?? [],
      nowMs: now,
    });
    return { status, states: mergedAlerts(evaluation) };
  }

  async function runRound(now: number): Promise<RoundReport | undefined> {
    if (!(await claimDutyRound(db, 'slo-evaluation', Math.floor(now / intervalMs) * intervalMs)))
      return undefined;
    return evaluateNow(now);
  }

  return {
    start() {
      if (duties) return;
      duties = new Duties({
        db,
        owner: options.owner ?? `slo-${process.pid}`,
        logger,
        metrics: options.metrics,
        lease: 'slo-evaluation',
      });
      duties.add({
        name: 'slo-evaluation',
        // Offered more often than the interval: the round claim, not this timer, makes it once
        // per interval, and a server that takes the lease over mid-interval is on time.
        everyMs: Math.min(intervalMs, 10_000),
        run: async (now) => {
          const report = await runRound(now);
          if (report && report.errors.length > 0) {
            logger.warn({ errors: report.errors.slice(0, 10) }, 'some SLOs could not be measured');
          }
        },
      });
      duties.start();
    },
    async stop() {
      await duties?.stop();
      duties = undefined;
    },
    evaluateNow,
    runRound,
  };
}
