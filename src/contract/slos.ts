/**
 * SLOs, error budgets and the budget gate on the wire: `GET /api/v1/slos`, `GET
 * /api/v1/slos/:service/:name`, `GET /api/v1/services/health`, `POST /api/v1/budget/check`,
 * corrections, pushed counts, and the Prometheus rules Baton writes. The evaluation duty stores
 * `SloStatus` as it is here, so the gate, the pages, the CLI and /metrics read one shape.
 */
import { z } from 'zod';

export const BUDGETING_METHODS = ['Occurrences', 'Timeslices', 'RatioTimeslices'] as const;
export const SLO_FORMATS = ['baton/v1', 'openslo/v1', 'prometheus/v1'] as const;
export const BURN_RATE_WINDOW_NAMES = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export const ALERT_SEVERITIES = ['page', 'ticket', 'no-data'] as const;
/** ok: within budget; burning: a burn alert is open; exhausted: no budget left; no-data: nothing measured. */
export const SLO_HEALTH = ['ok', 'burning', 'exhausted', 'no-data'] as const;
export const GATE_STATES = ['open', 'approval', 'frozen'] as const;
export const JOB_PURPOSE_NAMES = ['change', 'remediation', 'diagnostic', 'maintenance', 'routine'] as const;

export const serviceOwnerView = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('team'),
    team: z.string(),
    from: z.enum(['baton-service', 'annotation', 'sloth-label']),
  }),
  z.object({ kind: z.literal('none') }),
]);
export type ServiceOwnerView = z.infer<typeof serviceOwnerView>;

export const burnRateView = z.object({
  window: z.enum(BURN_RATE_WINDOW_NAMES),
  /** Error ratio over the window divided by the error budget; null without data in it. */
  rate: z.number().nullable(),
});
export type BurnRateView = z.infer<typeof burnRateView>;

export const budgetView = z.object({
  /** Events for Occurrences, minutes for Timeslices and RatioTimeslices. */
  unit: z.enum(['events', 'minutes']),
  /** Bad units the period may hold (natural unit). */
  allowed: z.number(),
  consumed: z.number(),
  remaining: z.number(),
  /** remaining / allowed; below 0 when overspent. */
  remainingRatio: z.number(),
});
export type BudgetView = z.infer<typeof budgetView>;

export const objectiveStatusView = z.object({
  displayName: z.string().nullable(),
  /** 0.999 for 99.9%. */
  target: z.number(),
  /** The SLI over the period so far; null without data. */
  sli: z.number().nullable(),
  budget: budgetView.nullable(),
  burnRates: z.array(burnRateView),
  /** At the 1h burn rate; null when not burning or without data. */
  timeToExhaustionMs: z.number().nullable(),
});
export type ObjectiveStatusView = z.infer<typeof objectiveStatusView>;

export const sloAlertView = z.object({
  id: z.number(),
  severity: z.enum(ALERT_SEVERITIES),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  /** "burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)". */
  summary: z.string(),
});
export type SloAlertView = z.infer<typeof sloAlertView>;

/** The latest evaluation of one SLO, as the evaluation duty stores it. */
export const sloStatus = z.object({
  /** `service/name`. */
  slo: z.string(),
  service: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
  description: z.string().nullable(),
  format: z.enum(SLO_FORMATS),
  project: z.string().nullable(),
  /** "30d rolling", "1M calendar from 2026-01-01 (Europe/Paris)". */
  window: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  budgetingMethod: z.enum(BUDGETING_METHODS),
  /** Where the SLI comes from: `prometheus`, `executions`, `pushed`. */
  source: z.enum(['prometheus', 'executions', 'pushed']),
  objectives: z.array(objectiveStatusView),
  /** The composite (or only) objective's SLI, budget left and burn rates: what lists show. */
  sli: z.number().nullable(),
  budgetRemainingRatio: z.number().nullable(),
  burnRates: z.array(burnRateView),
  timeToExhaustionMs: z.number().nullable(),
  health: z.enum(SLO_HEALTH),
  openAlerts: z.array(sloAlertView),
  /** Since when no data came (Prometheus down, nothing ran); null while data flows. */
  noDataSince: z.string().nullable(),
  /** The last error reading the SLI (an unreachable Prometheus), for people. */
  lastError: z.string().nullable(),
  evaluatedAt: z.string(),
});
export type SloStatus = z.infer<typeof sloStatus>;

export const slosQuery = z.object({
  service: z.string().optional(),
  health: z.enum(SLO_HEALTH).optional(),
});
export type SlosQuery = z.infer<typeof slosQuery>;

/** An SLO applied but not yet evaluated has no status yet. */
export const sloSummaryView = z.object({
  slo: z.string(),
  service: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
  format: z.enum(SLO_FORMATS),
  owner: serviceOwnerView,
  target: z.number(),
  status: sloStatus.nullable(),
});
export type SloSummaryView = z.infer<typeof sloSummaryView>;

export const slosResponse = z.object({ slos: z.array(sloSummaryView) });
export type SlosResponse = z.infer<typeof slosResponse>;

export const correctionView = z.object({
  id: z.number(),
  service: z.string(),
  /** Null: every SLO of the service. */
  slo: z.string().nullable(),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  reason: z.string(),
  /** The maintenance execution that declared it; null for a manual correction. */
  executionId: z.number().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type CorrectionView = z.infer<typeof correctionView>;

/** `GET /api/v1/services/:service/corrections`, newest first. */
export const correctionsResponse = z.object({ corrections: z.array(correctionView) });
export type CorrectionsResponse = z.infer<typeof correctionsResponse>;

/** `POST /api/v1/services/:service/corrections`: the correction as stored. */
export const correctionResponse = z.object({ correction: correctionView });
export type CorrectionResponse = z.infer<typeof correctionResponse>;

export const correctionRequest = z.strictObject({
  /** `name` of one SLO of the service; absent: all of them. */
  slo: z.string().max(200).optional(),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  reason: z.string().min(1).max(2000),
});
export type CorrectionRequest = z.infer<typeof correctionRequest>;

/** A change execution on the service and the budget it consumed in the hours after it. */
export const changeCostView = z.object({
  executionId: z.number(),
  job: z.string(),
  requestedBy: z.string(),
  state: z.string(),
  at: z.string(),
  /** Share of the period's budget consumed in the hours after the change; null without data. */
  budgetConsumedRatio: z.number().nullable(),
  /** Over how many hours after the change the cost is counted. */
  hours: z.number(),
});
export type ChangeCostView = z.infer<typeof changeCostView>;

/**
 * What one change execution cost one SLO of its service: the share of the SLO's period budget
 * consumed in the hours after the execution started, as the service page's `changes` counts it.
 */
export const executionBudgetCostView = z.object({
  /** `service/name`. */
  slo: z.string(),
  displayName: z.string().nullable(),
  /** The SLO's window as written: `30d`, `1M`. */
  window: z.string(),
  /** Share of the period's budget consumed in the hours after the change; null without data. */
  budgetConsumedRatio: z.number().nullable(),
  /** Over how many hours after the change the cost is counted. */
  hours: z.number(),
  /** How many of those hours have passed (fewer than `hours` for a recent change). */
  hoursMeasured: z.number(),
});
export type ExecutionBudgetCostView = z.infer<typeof executionBudgetCostView>;

/** Empty for an execution that is not a change, never started, or whose service has no SLOs. */
export const executionBudgetCostResponse = z.object({
  executionId: z.number(),
  costs: z.array(executionBudgetCostView),
});
export type ExecutionBudgetCostResponse = z.infer<typeof executionBudgetCostResponse>;

export const sloPointView = z.object({
  at: z.string(),
  /** SLI of the slice; null when the slice had no data. */
  sli: z.number().nullable(),
  /** Budget remaining (ratio) at the end of the slice, over the period so far. */
  budgetRemainingRatio: z.number().nullable(),
});
export type SloPointView = z.infer<typeof sloPointView>;

export const sloDetailView = sloSummaryView.extend({
  description: z.string().nullable(),
  /** The SLI and the budget burn-down over the current period, downsampled for a chart. */
  series: z.array(sloPointView),
  alerts: z.array(sloAlertView),
  corrections: z.array(correctionView),
  changes: z.array(changeCostView),
  /** The document as applied (YAML), for people to read. */
  source: z.string(),
});
export type SloDetailView = z.infer<typeof sloDetailView>;

export const gateStateView = z.object({
  state: z.enum(GATE_STATES),
  /** Why, in one line; null when open. */
  reason: z.string().nullable(),
  policy: z.string().nullable(),
  rule: z.string().nullable(),
});
export type GateStateView = z.infer<typeof gateStateView>;

/** One service with its SLOs' health and what the budget gate does now. */
export const serviceHealthView = z.object({
  name: z.string(),
  description: z.string().nullable(),
  owner: serviceOwnerView,
  /** Null for a service only OpenSLO or Sloth documents name. */
  lifecycle: z.string().nullable(),
  slos: z.array(sloSummaryView),
  /** The lowest SLI ÷ target over its SLOs (1 = on target); null without data. */
  attainment: z.number().nullable(),
  /** The lowest remaining budget over its SLOs; null without data. */
  budgetRemainingRatio: z.number().nullable(),
  gate: gateStateView,
});
export type ServiceHealthView = z.infer<typeof serviceHealthView>;

export const servicesHealthResponse = z.object({ services: z.array(serviceHealthView) });
export type ServicesHealthResponse = z.infer<typeof servicesHealthResponse>;

export const budgetCheckRequest = z
  .strictObject({
    /** `project/name` of the job. */
    job: z.string().min(3).max(400).optional(),
    /** Or a service: what a change job on it (without exception labels) would meet. */
    service: z.string().min(1).max(200).optional(),
    /** Admins only: answer for this user. */
    as: z.string().max(200).optional(),
  })
  .refine((request) => (request.job === undefined) !== (request.service === undefined), {
    message: 'give exactly one of job (PROJECT/NAME) or service',
  });
export type BudgetCheckRequest = z.infer<typeof budgetCheckRequest>;

/** What starting the job would meet now, like `baton policy test`. */
export const budgetCheckView = z.object({
  /** Null when a service was asked about rather than a job. */
  job: z.string().nullable(),
  service: z.string().nullable(),
  purpose: z.enum(JOB_PURPOSE_NAMES),
  /** False for jobs the gate lets through whatever the budget (not a change, an exception label). */
  gated: z.boolean(),
  decision: z.enum(['admit', 'approve', 'refuse']),
  reason: z.string(),
  /** The rule and the SLO's numbers behind an approval or a refusal, for pages; null otherwise. */
  because: z.string().nullable(),
  approvers: z.array(z.string()),
  policy: z.string().nullable(),
  rule: z.string().nullable(),
  slos: z.array(sloSummaryView),
  override: z.object({
    /** Whether the caller (or `as`) may override a refusal or an approval. */
    allowed: z.boolean(),
    /** The policy action that allows it, e.g. `override-budget` on `service/checkout`. */
    permission: z.string(),
    /** How long an override holds once given, as written in the policy. */
    holdsFor: z.string().nullable(),
  }),
});
export type BudgetCheckView = z.infer<typeof budgetCheckView>;

export const MAX_PUSHED_SLICES = 1_000;

export const pushCountsRequest = z.strictObject({
  counts: z
    .array(
      z.strictObject({
        /** Start of the slice the counts are for (rounded down to the slice). */
        at: z.iso.datetime({ offset: true }),
        good: z.number().min(0).max(1e15),
        total: z.number().min(0).max(1e15),
      }),
    )
    .min(1)
    .max(MAX_PUSHED_SLICES),
});
export type PushCountsRequest = z.infer<typeof pushCountsRequest>;

export const pushCountsResponse = z.object({ accepted: z.number() });
export type PushCountsResponse = z.infer<typeof pushCountsResponse>;
