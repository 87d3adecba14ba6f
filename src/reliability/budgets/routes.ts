/** `POST /api/v1/budget/check`: what starting a job would meet at the error-budget gate now. */
import type { AccessControl } from '../../access/authorize.js';
import { findInternalPrincipal } from '../../access/store.js';
import { resources, type Principal } from '../../access/model.js';
import { purposeOf } from '../../automation/executions/admission.js';
import { getJob } from '../../automation/jobs/store.js';
import { parseJobReference } from '../../automation/jobs/model.js';
import { budgetCheckRequest, budgetCheckView, type BudgetCheckView } from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { ForbiddenError, InputError, NotFoundError } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { getService } from '../services/store.js';
import { serviceSloSummaries } from '../slos/service.js';
import { loadSloReading } from '../slos/store.js';
import { decideFor, policyCovering } from './gate.js';
import { OVERRIDE_ACTION, verdictOf } from './policy.js';

export interface BudgetRoutesDeps {
  db: Db;
  access: AccessControl;
}

/**
 * What a change job on `service` (without exception labels) run by `who` would meet now; a
 * service `who` may not view is not found.
 */
export async function checkServiceBudget(
  db: Db,
  access: AccessControl,
  who: Principal,
  service: string,
  now: number,
): Promise<BudgetCheckView> {
  // A catalog service, or one only SLO documents name.
  const known =
    (await getService(db, service)) !== undefined ||
    (await loadSloReading(db)).services.some((candidate) => candidate.name === service);
  if (!known || !access.authorize(who, 'view', resources.service(service)).allowed) {
    throw new NotFoundError(`service ${service} not found`);
  }
  const mayOverride = access.authorize(who, OVERRIDE_ACTION, resources.service(service)).allowed;
  const budgetJob = { name: `a change to ${service}`, service, purpose: 'change' as const, labels: {} };
  const decision = await decideFor(db, budgetJob, who, { mayOverride, now });
  const policy = await policyCovering(db, service);
  return {
    job: null,
    service,
    purpose: 'change',
    gated: decision.gated,
    decision: decision.decision,
    reason: verdictOf(decision),
    because: decision.because,
    approvers: decision.approvers,
    policy: decision.policy,
    rule: decision.rule,
    slos: await serviceSloSummaries(db, service),
    override: {
      allowed: mayOverride,
      permission: `${OVERRIDE_ACTION} on service/${service}`,
      holdsFor: policy?.spec.override?.holdsFor ?? null,
    },
  };
}

/** What a run of `job` by `who` would meet now; a job `who` may not view is not found. */
export async function checkBudget(
  db: Db,
  access: AccessControl,
  who: Principal,
  reference: string,
  now: number,
): Promise<BudgetCheckView> {
  const parsed = parseJobReference(reference);
  if (!parsed) {
    throw new InputError('invalid job', [
      { path: 'body.job', message: 'must be PROJECT/NAME', found: reference },
    ]);
  }
  const job = await getJob(db, parsed.project, parsed.name);
  if (!job || !access.authorize(who, 'view', resources.job(parsed.project, parsed.name)).allowed) {
    throw new NotFoundError(`job ${reference} not found`);
  }
  const service = job.spec.service;
  const mayOverride =
    service !== undefined && access.authorize(who, OVERRIDE_ACTION, resources.service(service)).allowed;
  const budgetJob = { name: reference, service, purpose: purposeOf(job.spec), labels: job.labels };
  const decision = await decideFor(db, budgetJob, who, { mayOverride, now });
  const policy = service === undefined ? undefined : await policyCovering(db, service);
  return {
    job: reference,
    service: service ?? null,
    purpose: budgetJob.purpose,
    gated: decision.gated,
    decision: decision.decision,
    reason: decision.reason,
    because: decision.because,
    approvers: decision.approvers,
    policy: decision.policy,
    rule: decision.rule,
    slos: service === undefined ? [] : await serviceSloSummaries(db, service),
    override: {
      allowed: mayOverride,
      permission: `${OVERRIDE_ACTION} on service/${service ?? '…'}`,
      holdsFor: policy?.spec.override?.holdsFor ?? null,
    },
  };
}

export function registerBudgetRoutes(app: HttpApp, baton: BudgetRoutesDeps): void {
  app.post(
    '/api/v1/budget/check',
    {
      // A job the caller may not view answers 404 below; `as` is for admins.
      config: { access: 'authenticated' },
      schema: {
        description:
          'What starting the job (or any change job on the service) would meet at the error-budget gate now (like baton policy test): admit, approve or refuse, why, and whether the caller (or `as`, for admins) may override. Changes nothing.',
        body: budgetCheckRequest,
        response: { 200: budgetCheckView },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      let who = caller;
      if (request.body.as !== undefined && request.body.as !== caller.name) {
        if (!caller.isAdmin)
          throw new ForbiddenError('only administrators may check the budget as someone else (as)');
        const found = await findInternalPrincipal(baton.db, request.body.as);
        if (!found) throw new NotFoundError(`user ${request.body.as} not found`);
        who = found;
      }
      const { job, service } = request.body;
      return job !== undefined
        ? checkBudget(baton.db, baton.access, who, job, Date.now())
        : checkServiceBudget(baton.db, baton.access, who, service!, Date.now());
    },
  );
}
