/**
 * The error-budget admission gate (`error-budget`): before a change job's execution is stored,
 * it reads the service's policy, its SLO statuses and any override the requester holds, and asks
 * the pure decision (policy.ts). Refuse → 409 with the reason; approve → the owning team's
 * approval; an override asked for by someone with `override-budget` on the service → admitted,
 * recorded in `budget_overrides` and audited (`budget.override`) in the execution's transaction;
 * asked for by someone without it → 403.
 */
import { appendAudit, auditActor } from '../../access/audit/trail.js';
import { resources, type Principal } from '../../access/model.js';
import type {
  AdmissionGate,
  AdmissionNote,
  AdmissionRequest,
  AdmissionVerdict,
} from '../../automation/executions/admission.js';
import type { Db } from '../../platform/db/database.js';
import { ForbiddenError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import { getService } from '../services/store.js';
import { listSloStatuses } from '../slos/store.js';
import { decideBudget, OVERRIDE_ACTION, policyFor, type BudgetDecision, type BudgetJob } from './policy.js';
import type { ErrorBudgetPolicy } from './document.js';
import { findHeldOverride, insertBudgetOverride, listBudgetPolicies } from './store.js';

export const ERROR_BUDGET_GATE = 'error-budget';

/** Whether `principal` may override the budget of `service`; absent (a standalone worker): nobody may. */
export type OverridePermission = (principal: Principal, service: string) => boolean;

/** The policy covering `service` now: by name, by its catalog labels, or `'*'` (see `policyFor`). */
export async function policyCovering(db: Db, service: string): Promise<ErrorBudgetPolicy | undefined> {
  const [policies, catalog] = await Promise.all([listBudgetPolicies(db), getService(db, service)]);
  return policyFor(policies, service, catalog?.labels ?? {});
}

/** Everything the decision needs about one job now, read from the database. */
export async function decideFor(
  db: Db,
  job: BudgetJob,
  actor: Principal,
  options: { override?: { reason: string } | undefined; mayOverride: boolean; now: number },
): Promise<BudgetDecision> {
  // Only change jobs on a service can be gated: the rest are answered without a read.
  if (job.purpose !== 'change' || job.service === undefined) {
    return decideBudget({ policy: undefined, statuses: [], job, owner: undefined, now: options.now });
  }
  const service = job.service;
  // The catalog entry once, for both the policy (by its labels) and the owner.
  const [policies, statuses, catalog, held] = await Promise.all([
    listBudgetPolicies(db),
    listSloStatuses(db, service),
    getService(db, service),
    findHeldOverride(db, service, actor.name, options.now),
  ]);
  return decideBudget({
    policy: policyFor(policies, service, catalog?.labels ?? {}),
    statuses,
    job,
    owner: catalog?.owner,
    overrideRequest: options.override && {
      by: actor.name,
      reason: options.override.reason,
      allowed: options.mayOverride,
    },
    held: held && { by: held.grantedBy, reason: held.reason, until: held.expiresAt },
    now: options.now,
  });
}

export class BudgetGate implements AdmissionGate {
  readonly name = ERROR_BUDGET_GATE;

  constructor(
    private readonly options: {
      mayOverride?: OverridePermission | undefined;
      metrics?: Metrics | undefined;
    } = {},
  ) {}

  async admit(request: AdmissionRequest, db: Db): Promise<AdmissionVerdict> {
    const { job, actor, now } = request;
    const budgetJob: BudgetJob = {
      name: `${job.project}/${job.name}`,
      service: job.service,
      purpose: job.purpose,
      labels: job.labels,
    };
    const mayOverride =
      request.override !== undefined && job.service !== undefined
        ? (this.options.mayOverride?.(actor, job.service) ?? false)
        : false;
    const decision = await decideFor(db, budgetJob, actor, { override: request.override, mayOverride, now });
    // Only change jobs meet the budget; counting every routine run as "admit" would hide the signal.
    if (job.purpose !== 'change') return { verdict: 'admit' };
    if (decision.forbidden) {
      this.count('forbidden');
      throw new ForbiddenError(decision.forbidden);
    }
    const note = (kind: AdmissionNote['decision']): AdmissionNote => ({
      gate: ERROR_BUDGET_GATE,
      decision: kind,
      reason: decision.reason,
      ...(Object.keys(decision.details).length > 0 && { details: decision.details }),
    });
    if (decision.overridden) {
      this.count('overridden');
      const { by, reason, until, given } = decision.overridden;
      const overridden: AdmissionNote = {
        ...note('overridden'),
        override: { by, reason, ...(until !== null && { until: new Date(until).toISOString() }) },
      };
      if (!given) return { verdict: 'admit', note: overridden };
      const service = job.service!;
      return {
        verdict: 'admit',
        note: overridden,
        // Written with the execution, in its transaction: no override without the run it let through.
        record: async (trx, executionId) => {
          await insertBudgetOverride(trx, {
            service,
            grantedBy: by,
            reason,
            grantedAt: now,
            expiresAt: until ?? now,
            executionId,
          });
          await appendAudit(
            trx,
            {
              ...auditActor(actor),
              action: 'budget.override',
              target: `service/${service}`,
              summary: {
                execution: executionId,
                job: budgetJob.name,
                reason,
                overrode: decision.overridden!.from,
                rule: decision.rule,
                slo: decision.slo,
                ...(until !== null && { until: new Date(until).toISOString() }),
              },
            },
            now,
          );
        },
      };
    }
    this.count(decision.decision);
    if (decision.decision === 'refuse') return { verdict: 'refuse', note: note('refused') };
    if (decision.decision === 'approve') {
      return { verdict: 'approve', approvers: decision.approvers, note: note('approval') };
    }
    // Worth keeping only when a rule spoke (an exception label let a stopped change through).
    return decision.rule === null ? { verdict: 'admit' } : { verdict: 'admit', note: note('admitted') };
  }

  private count(decision: string): void {
    // `baton_budget_gate_decisions_total{decision}`: admit, approve, refuse, overridden, forbidden.
    this.options.metrics?.budgetGateDecisions.inc({ decision });
  }
}

/** The permission check the gate asks, from the server's access control. */
export function overridePermission(access: {
  authorize(
    principal: Principal,
    action: typeof OVERRIDE_ACTION,
    resource: ReturnType<typeof resources.service>,
  ): {
    allowed: boolean;
  };
}): OverridePermission {
  return (principal, service) =>
    access.authorize(principal, OVERRIDE_ACTION, resources.service(service)).allowed;
}
