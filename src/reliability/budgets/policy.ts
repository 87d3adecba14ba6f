/**
 * The error-budget decision, pure: a policy, the service's SLO statuses, the job and any override
 * in; admit, approve or refuse out, with a reason a person can act on. No I/O: the gate
 * (gate.ts), `baton budget check` and the Services pages all ask this one function.
 *
 * What is gated: only jobs whose `spec.purpose` is `change` and that name a `spec.service`
 * covered by a policy; a job with one of the policy's exception labels is let through (with a
 * note when a rule would have stopped it).
 *
 * Missing data: an SLO without data (never measured, or its source down) matches no budget or
 * burn-rate condition, so it neither approves nor refuses by itself; a `noData` rule, when the
 * policy has one, decides for it. A service whose SLOs have not been evaluated yet has no
 * statuses and is judged as within budget.
 *
 * Rules: in order, first match wins. A rule matches when one of the service's SLOs meets every
 * condition of its `when`; the SLOs are tried worst first (least budget left), so the reason
 * names the SLO that matters most.
 */
import type { SloStatus } from '../../contract/slos.js';
import type { JobPurpose } from '../../automation/executions/admission.js';
import { formatBudgetAmount } from '../../contract/slo-format.js';
import { parseDuration } from '../../contract/time.js';
import { burnRateFactor } from '../slos/alert-windows.js';
import {
  selectorMatches,
  type BudgetAction,
  type BudgetCondition,
  type BudgetRule,
  type ErrorBudgetPolicy,
} from './document.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The windows of the burn rates SloStatus keeps, by name. */
const WINDOW_MS: Record<string, number> = {
  '5m': 5 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '2h': 2 * HOUR_MS,
  '6h': 6 * HOUR_MS,
  '1d': 24 * HOUR_MS,
  '3d': 72 * HOUR_MS,
};

/** `page` and `ticket` thresholds: the quick alert of each severity (SRE Workbook; see alert-windows.ts). */
const NAMED_THRESHOLDS = {
  page: { window: '1h', budgetPercent: 2 },
  ticket: { window: '1d', budgetPercent: 10 },
} as const;

/** The policy action that lets a person override the gate on a service. */
export const OVERRIDE_ACTION = 'override-budget';

export interface BudgetJob {
  /** `project/name`. */
  name: string;
  service: string | undefined;
  purpose: JobPurpose;
  labels: Readonly<Record<string, string>>;
}

/** An override that holds for this person on this service (given earlier, within `holdsFor`). */
export interface HeldOverride {
  by: string;
  reason: string;
  until: number;
}

export interface BudgetInput {
  /** The policy covering the job's service (see `policyFor`), if any. */
  policy: ErrorBudgetPolicy | undefined;
  /** The latest status of each of the service's SLOs. */
  statuses: readonly SloStatus[];
  job: BudgetJob;
  /** The service's owning team (what `approvers: [owner]` means). */
  owner: string | undefined;
  /** An override asked for with this request, and whether the requester may give it. */
  overrideRequest?: { by: string; reason: string; allowed: boolean } | undefined;
  held?: HeldOverride | undefined;
  now: number;
}

/** What the budget says about a change now. */
export interface BudgetDecision {
  decision: BudgetAction;
  /** False when the budget does not matter to this job (not a change, no policy, an exception). */
  gated: boolean;
  reason: string;
  /**
   * The rule and the SLO's numbers that asked for an approval or a refusal, without the verdict,
   * the job or how to override: what pages show beside the gate's state. Null when no rule did.
   */
  because: string | null;
  policy: string | null;
  /** `POLICY#N` or `POLICY#NAME`. */
  rule: string | null;
  /** `service/name` of the SLO the rule matched on. */
  slo: string | null;
  approvers: string[];
  /** What the rule said before an override (approve or refuse), when an override let the job through. */
  overridden?: { from: BudgetAction; by: string; reason: string; until: number | null; given: boolean };
  /** An override was asked for by someone who may not give it: the gate answers 403. */
  forbidden?: string;
  /** Facts shown to people: SLO, remaining budget, burn rate, rule. */
  details: Record<string, unknown>;
}

/**
 * The policy that judges `service`: one naming it, else one whose selector matches its labels,
 * else a `'*'` policy. Apply refuses two policies naming one service, two selectors matching one
 * service and two `'*'` policies, so at each step there is at most one candidate.
 */
export function policyFor(
  policies: readonly ErrorBudgetPolicy[],
  service: string,
  labels: Readonly<Record<string, string>>,
): ErrorBudgetPolicy | undefined {
  return (
    policies.find((policy) => policy.spec.services?.includes(service)) ??
    policies.find((policy) => policy.spec.selector && selectorMatches(policy.spec.selector, labels)) ??
    policies.find((policy) => policy.spec.services?.includes('*'))
  );
}

/** `25%` or `0.25` as a ratio. */
export function shareOf(share: number | string): number {
  return typeof share === 'number' ? share : Number.parseFloat(share) / 100;
}

/** How a command line runs this job with an override, for messages. */
function overrideHint(job: BudgetJob): string {
  return `to override, run: baton run ${job.name} --override-budget "REASON" (needs ${OVERRIDE_ACTION} on service/${job.service ?? '?'})`;
}

/**
 * The verdict in words without the job: `refused by …`, `approval by team/payments required by …`;
 * an admission's own reason (which names no job when the job is a change on a covered service).
 */
export function verdictOf(
  decision: Pick<BudgetDecision, 'decision' | 'because' | 'approvers' | 'reason'>,
): string {
  if (decision.because === null || decision.decision === 'admit') return decision.reason;
  return decision.decision === 'refuse'
    ? `refused by ${decision.because}`
    : `approval by ${decision.approvers.join(' or ')} required by ${decision.because}`;
}

/** Decides what the error budget does to a run of `job` now. */
export function decideBudget(input: BudgetInput): BudgetDecision {
  const { job, policy } = input;
  const open = (reason: string, gated = false): BudgetDecision => ({
    decision: 'admit',
    gated,
    reason,
    because: null,
    policy: policy?.name ?? null,
    rule: null,
    slo: null,
    approvers: [],
    details: {},
  });
  if (job.purpose !== 'change') {
    return open(`${job.name} is a ${job.purpose} job: only change jobs are gated by the error budget`);
  }
  if (job.service === undefined)
    return open(`${job.name} names no service (spec.service): nothing to gate on`);
  if (!policy) return open(`no error budget policy covers service ${job.service}`);

  const matched = firstMatchingRule(policy, input.statuses, job.service);
  const exception = (policy.spec.exceptions?.jobLabels ?? []).find(
    (label) => job.labels[label] !== undefined && job.labels[label] !== 'false',
  );
  if (!matched || matched.rule.then === 'admit') {
    const decision = open(
      matched
        ? `admitted by ${describeRule(policy, matched)}: ${describeSlo(matched.status, matched.rule.when)}`
        : withinBudget(policy, input.statuses, job.service),
      exception === undefined,
    );
    return matched ? { ...decision, ...ruleFields(policy, matched) } : decision;
  }
  const base = describeVerdict(input, policy, matched);
  if (exception !== undefined) {
    return {
      ...open(
        `not gated: ${job.name} has label ${exception}, an exception of error budget policy ${policy.name} (otherwise: ${verdictOf(base)})`,
      ),
      ...ruleFields(policy, matched),
    };
  }
  const holdsFor = policy.spec.override?.holdsFor;
  const request = input.overrideRequest;
  if (request && !request.allowed) {
    return {
      ...base,
      forbidden: `${request.by} may not override the error budget of service ${job.service}: that needs ${OVERRIDE_ACTION} on service/${job.service}`,
    };
  }
  if (request) {
    const until = holdsFor ? input.now + parseHoldsFor(holdsFor) : null;
    const holds =
      until === null
        ? ''
        : `; it holds for ${request.by}'s change runs on ${job.service} until ${new Date(until).toISOString()}`;
    return {
      ...base,
      decision: 'admit',
      approvers: [],
      reason: `error budget overridden by ${request.by}: "${request.reason}" (otherwise: ${verdictOf(base)})${holds}`,
      overridden: { from: matched.rule.then, by: request.by, reason: request.reason, until, given: true },
    };
  }
  if (input.held && input.held.until > input.now) {
    const held = input.held;
    return {
      ...base,
      decision: 'admit',
      approvers: [],
      reason: `error budget override by ${held.by} holds until ${new Date(held.until).toISOString()}: "${held.reason}" (otherwise: ${verdictOf(base)})`,
      overridden: {
        from: matched.rule.then,
        by: held.by,
        reason: held.reason,
        until: held.until,
        given: false,
      },
    };
  }
  return base;
}

interface Match {
  rule: BudgetRule;
  index: number;
  status: SloStatus;
}

function firstMatchingRule(
  policy: ErrorBudgetPolicy,
  statuses: readonly SloStatus[],
  service: string,
): Match | undefined {
  const worstFirst = statuses
    .filter((status) => status.service === service)
    .sort(
      (a, b) =>
        (a.budgetRemainingRatio ?? Number.POSITIVE_INFINITY) -
          (b.budgetRemainingRatio ?? Number.POSITIVE_INFINITY) || a.slo.localeCompare(b.slo),
    );
  for (const [index, rule] of policy.spec.rules.entries()) {
    const status = worstFirst.find((candidate) => meets(rule.when, candidate));
    if (status) return { rule, index, status };
  }
  return undefined;
}

function hasNoData(status: SloStatus): boolean {
  return status.health === 'no-data' || (status.sli === null && status.budgetRemainingRatio === null);
}

/** Whether one SLO meets every condition of `when`; an SLO without data meets only `noData`. */
export function meets(when: BudgetCondition, status: SloStatus): boolean {
  if (when.noData) return hasNoData(status);
  if (hasNoData(status)) return false;
  const remaining = status.budgetRemainingRatio;
  if (when.budgetRemainingBelow !== undefined) {
    if (remaining === null || !(remaining < shareOf(when.budgetRemainingBelow))) return false;
  }
  if (when.budgetExhausted) {
    if (remaining === null || remaining > 0) return false;
  }
  if (when.burnRateAbove !== undefined) {
    const { window, threshold } = burnThreshold(when, status);
    const rate = status.burnRates.find((burn) => burn.window === window)?.rate ?? null;
    if (rate === null || threshold === null || !(rate > threshold)) return false;
  }
  return true;
}

/** The window and the number a `burnRateAbove` compares with for this SLO's period. */
export function burnThreshold(
  when: Pick<BudgetCondition, 'burnRateAbove' | 'window'>,
  status: Pick<SloStatus, 'periodStart' | 'periodEnd'>,
): { window: string; threshold: number | null } {
  const above = when.burnRateAbove;
  if (typeof above === 'number') return { window: when.window ?? '1h', threshold: above };
  const named = NAMED_THRESHOLDS[above ?? 'page'];
  const window = when.window ?? named.window;
  const periodMs = Date.parse(status.periodEnd) - Date.parse(status.periodStart);
  const windowMs = WINDOW_MS[window];
  if (!(periodMs > 0) || windowMs === undefined) return { window, threshold: null };
  return { window, threshold: burnRateFactor(named.budgetPercent, periodMs, windowMs) };
}

function ruleId(policy: ErrorBudgetPolicy, match: Pick<Match, 'rule' | 'index'>): string {
  return `${policy.name}#${match.rule.name ?? match.index + 1}`;
}

function describeCondition(when: BudgetCondition, status: SloStatus): string {
  const parts: string[] = [];
  if (when.noData) parts.push('no data');
  if (when.budgetRemainingBelow !== undefined)
    parts.push(`budget below ${percent(shareOf(when.budgetRemainingBelow))}`);
  if (when.budgetExhausted) parts.push('budget exhausted');
  if (when.burnRateAbove !== undefined) {
    const { window, threshold } = burnThreshold(when, status);
    const name = typeof when.burnRateAbove === 'string' ? `${when.burnRateAbove} threshold ` : '';
    parts.push(`burn rate over ${window} above ${name}${threshold === null ? '?' : rate(threshold)}`);
  }
  return parts.join(' and ');
}

function describeRule(policy: ErrorBudgetPolicy, match: Match): string {
  return `error budget policy ${policy.name} rule ${ruleId(policy, match).split('#')[1]} (${describeCondition(match.rule.when, match.status)} → ${match.rule.then})`;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function rate(value: number): string {
  return `${Number(value.toFixed(2))}×`;
}

/** "SLO checkout/availability has 12.0% of its error budget left (52 of 432 bad minutes), burn rate 15.2× over 1h". */
export function describeSlo(status: SloStatus, when?: BudgetCondition): string {
  if (hasNoData(status)) {
    return `SLO ${status.slo} has no data${status.noDataSince ? ` since ${status.noDataSince}` : ''}`;
  }
  const budget = status.objectives.find((objective) => objective.budget !== null)?.budget ?? null;
  const remaining =
    status.budgetRemainingRatio === null
      ? 'an unknown share of its error budget left'
      : `${percent(status.budgetRemainingRatio)} of its error budget left${
          budget
            ? ` (${formatBudgetAmount(budget.remaining)} of ${formatBudgetAmount(budget.allowed)} bad ${budget.unit})`
            : ''
        }`;
  const window = when?.burnRateAbove !== undefined ? burnThreshold(when, status).window : '1h';
  const burn = status.burnRates.find((candidate) => candidate.window === window)?.rate ?? null;
  return `SLO ${status.slo} has ${remaining}, burn rate ${burn === null ? 'unknown' : rate(burn)} over ${window}`;
}

function ruleFields(policy: ErrorBudgetPolicy, match: Match) {
  return {
    rule: ruleId(policy, match),
    slo: match.status.slo,
    details: details(policy, match),
  };
}

function details(policy: ErrorBudgetPolicy, match: Match): Record<string, unknown> {
  const window =
    match.rule.when.burnRateAbove !== undefined ? burnThreshold(match.rule.when, match.status).window : '1h';
  return {
    policy: policy.name,
    rule: ruleId(policy, match),
    when: describeCondition(match.rule.when, match.status),
    slo: match.status.slo,
    budgetRemainingRatio: match.status.budgetRemainingRatio,
    burnRate: match.status.burnRates.find((burn) => burn.window === window)?.rate ?? null,
    burnRateWindow: window,
  };
}

function describeVerdict(input: BudgetInput, policy: ErrorBudgetPolicy, match: Match): BudgetDecision {
  const { job } = input;
  const because = `${describeRule(policy, match)}: ${describeSlo(match.status, match.rule.when)}`;
  const fields = ruleFields(policy, match);
  if (match.rule.then === 'refuse') {
    return {
      decision: 'refuse',
      gated: true,
      reason: `change ${job.name} refused by ${because}; ${overrideHint(job)}`,
      because,
      policy: policy.name,
      approvers: [],
      ...fields,
    };
  }
  const approvers = resolveApprovers(match.rule.approvers ?? ['owner'], input.owner);
  if (approvers.length === 0) {
    return {
      decision: 'refuse',
      gated: true,
      reason: `change ${job.name} refused: ${because} asks the owner to approve, and service ${job.service} has no owner; ${overrideHint(job)}`,
      because: `${because} asks the owner to approve, and service ${job.service} has no owner`,
      policy: policy.name,
      approvers: [],
      ...fields,
    };
  }
  return {
    decision: 'approve',
    gated: true,
    reason: `change ${job.name} needs approval from ${approvers.join(' or ')}: ${because}; ${overrideHint(job)}`,
    because,
    policy: policy.name,
    approvers,
    ...fields,
  };
}

/** `owner` → `team/<owner>`; subjects stay as they are. */
export function resolveApprovers(approvers: readonly string[], owner: string | undefined): string[] {
  const resolved: string[] = [];
  for (const approver of approvers) {
    const subject = approver === 'owner' ? (owner === undefined ? undefined : `team/${owner}`) : approver;
    if (subject !== undefined && !resolved.includes(subject)) resolved.push(subject);
  }
  return resolved;
}

function withinBudget(policy: ErrorBudgetPolicy, statuses: readonly SloStatus[], service: string): string {
  const own = statuses.filter((status) => status.service === service);
  if (own.length === 0) {
    return `no SLO of service ${service} has been evaluated yet: within budget under error budget policy ${policy.name}`;
  }
  return `within budget: no rule of error budget policy ${policy.name} matches (${own.map((status) => describeSlo(status)).join('; ')})`;
}

/** `holdsFor` in milliseconds (the schema checked it is a duration of at most 7 days). */
function parseHoldsFor(holdsFor: string): number {
  return parseDuration(holdsFor) ?? 0;
}
