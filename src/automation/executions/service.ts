/**
 * Requesting, cancelling and reading executions. Every entry point takes the caller and asks
 * the one authorization check before it touches anything.
 */
import { listDecisions } from '../approvals/store.js';
import {
  approvalRequirement,
  describeWaiting,
  type ApprovalDecision,
  type ApprovalRequirement,
} from '../approvals/model.js';
import { appendAudit, auditActor } from '../../access/audit/trail.js';
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import type { Db } from '../../platform/db/database.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { didYouMean } from '../../platform/suggest.js';
import type { Job } from '../jobs/model.js';
import { resolveOptions, type OptionValues } from '../jobs/options.js';
import { authorizeSecretOptions } from '../secrets/references.js';
import { optionsShowingSecrets } from '../secrets/delivery.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import { getJob, listJobs } from '../jobs/store.js';
import { TERMINAL_STATES, type Execution, type ExecutionCause, type ExecutionStep } from './model.js';
import { isAlive } from '../worker/registry.js';
import { listWorkers } from '../worker/store.js';
import { enqueueForExecution } from '../notifications/store.js';
import { resolveNodes, type NodeOverride } from '../nodes/resolve.js';
import { listNodeRuns, type NodeRun } from '../nodes/store.js';
import {
  AdmissionGates,
  NO_ADMISSION,
  purposeOf,
  withGateApprovers,
  type Admission,
  type AdmissionNote,
  type AdmissionTrigger,
} from './admission.js';
import {
  countAhead,
  getExecution,
  insertExecution,
  listAttempts,
  listExecutions,
  listSteps,
  requestCancel,
  shownOptions,
  type ExecutionFilter,
  type NewExecution,
} from './store.js';

export interface ExecutionDetail extends Execution {
  /** Why a queued execution has not started yet, in words. */
  waitingFor: string | null;
  steps: ExecutionStep[];
  /** Every attempt of the retry chain, when there is more than one. */
  attempts: Pick<Execution, 'id' | 'attempt' | 'state' | 'exitCode' | 'reason'>[];
  /** When the job required approval: who must approve, and who decided (for a retry, on its first attempt). */
  approval: ExecutionApproval | null;
  /** A fan-out parent's child execution on each node that started. */
  nodeRuns: NodeRun[];
}

export interface ExecutionApproval {
  required: ApprovalRequirement & { expiresAt: Date | null };
  decisions: ApprovalDecision[];
}

/** An execution checked for its requester and ready to insert (see ExecutionService.prepare). */
export interface PreparedExecution {
  execution: Omit<NewExecution, 'now' | 'approvalExpiresAt'>;
  /** How long it may wait for approval; null when the job needs none. */
  approvalExpiresMs: number | null;
  /** What the admission gates said, and what they write once the execution is stored. */
  admission: Admission;
}

/** How a run is asked for, besides its options. */
export interface RunRequestExtras {
  /** Nodes instead of the job's own `spec.nodes`. */
  nodes?: NodeOverride | undefined;
  /** An override of the error-budget gate, with the requester's reason. */
  overrideBudget?: { reason: string } | undefined;
  /** How the execution is created, for the admission gates (default `run`). */
  trigger?: AdmissionTrigger | undefined;
}

/** The admission notes as the `execution.run` audit record shows them. */
export function auditedAdmission(notes: readonly AdmissionNote[]): { admission?: unknown } {
  if (notes.length === 0) return {};
  return {
    admission: notes.map((note) => ({
      gate: note.gate,
      decision: note.decision,
      reason: note.reason,
      ...(note.override && { override: note.override }),
    })),
  };
}

/** The concurrency key of a run: the value of the job's key option, or '' for a job-wide limit. */
export function concurrencyOf(
  job: Pick<Job, 'spec'>,
  options: OptionValues,
): Pick<NewExecution, 'concurrencyKey' | 'concurrencyLimit'> {
  const concurrency = job.spec.concurrency;
  if (!concurrency) return { concurrencyKey: null, concurrencyLimit: null };
  const value = concurrency.key === undefined ? '' : options[concurrency.key];
  return {
    concurrencyKey: value === undefined ? '' : JSON.stringify(value),
    concurrencyLimit: concurrency.limit,
  };
}

/** Rows one listing request reads at most while filtering by permission. */
const MAX_LIST_SCAN = 5_000;

export class ExecutionService {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly access: AccessControl,
    private readonly keyring: Keyring,
    /** Asked before any execution is stored (see admission.ts); none registered: all admitted. */
    private readonly gates: AdmissionGates = new AdmissionGates(),
  ) {}

  /**
   * Looks a job up for a caller, with "did you mean" when it does not exist. A job the caller may
   * not view is not found either, and suggestions name only jobs they may view.
   */
  async findJob(caller: Principal, project: string, name: string): Promise<Job> {
    const job = await getJob(this.db, project, name);
    if (!job || !this.access.authorize(caller, 'view', resources.job(project, name)).allowed) {
      const known = (await listJobs(this.db))
        .filter(
          (candidate) =>
            this.access.authorize(caller, 'view', resources.job(candidate.project, candidate.name)).allowed,
        )
        .map((candidate) => `${candidate.project}/${candidate.name}`);
      throw new NotFoundError(`job ${project}/${name} not found${didYouMean(`${project}/${name}`, known)}`);
    }
    return job;
  }

  /** Validates the options and queues an execution; nothing is stored when an option is wrong. */
  async run(
    caller: Principal,
    project: string,
    name: string,
    options: Record<string, unknown>,
    extras: RunRequestExtras = {},
  ): Promise<Execution> {
    const prepared = await this.prepare(caller, project, name, options, extras);
    const id = await this.db.transaction().execute((trx) => this.insertPrepared(trx, caller, prepared));
    this.announce(id, prepared);
    return (await getExecution(this.db, id))!;
  }

  /**
   * Every check `run` makes for a caller, storing nothing: the job exists and the caller may run
   * it, the options fit, secrets and nodes are allowed. Rules fire through this too, as their
   * owner, so their executions pass exactly the checks a person's would. The admission gates
   * come last, once the run is known to be allowed: a refusal (AdmissionRefusedError, 409)
   * explains the budget only to someone who may run the job.
   */
  async prepare(
    caller: Principal,
    project: string,
    name: string,
    options: Record<string, unknown>,
    extras: RunRequestExtras = {},
  ): Promise<PreparedExecution> {
    const job = await this.findJob(caller, project, name);
    this.access.require(caller, 'run', resources.job(project, name));
    const values = resolveOptions(job.spec.options ?? [], options);
    await authorizeSecretOptions(this.db, this.access, caller, job.spec, options);
    // Matched and authorized now, and the names kept: the run goes where its requester was allowed.
    const onNodes = await resolveNodes(this.db, this.access, caller, job.spec, extras.nodes);
    const admission = await this.admit(caller, job, extras);
    // The gates' approvers join the stored spec's approval: approvals read the execution's spec.
    const spec = withGateApprovers(onNodes?.spec ?? job.spec, admission.approvers);
    const approval = approvalRequirement(spec);
    // Known here, once, for every place the execution is shown (the audit record below too).
    const maskedOptions = await optionsShowingSecrets(this.db, this.keyring, { spec, options: values });
    return {
      execution: {
        jobId: job.id,
        project,
        job: name,
        jobRevision: job.revision,
        spec,
        options: values,
        maskedOptions,
        requestedBy: caller.name,
        ...concurrencyOf(job, values),
        ...(onNodes && { nodes: onNodes.names }),
        ...(admission.notes.length > 0 && { admission: admission.notes }),
      },
      approvalExpiresMs: approval ? approval.expiresMs : null,
      admission,
    };
  }

  /** Asks the admission gates about a run of `job` by `caller`. */
  private async admit(caller: Principal, job: Job, extras: RunRequestExtras): Promise<Admission> {
    if (this.gates.isEmpty) return NO_ADMISSION;
    return this.gates.admit(
      {
        job: {
          project: job.project,
          name: job.name,
          labels: job.labels,
          service: job.spec.service,
          purpose: purposeOf(job.spec),
        },
        actor: caller,
        trigger: extras.trigger ?? 'run',
        override: extras.overrideBudget,
        now: Date.now(),
      },
      this.db,
    );
  }

  /**
   * Inserts a prepared execution with its audit record (and its approval notice) in the caller's
   * transaction; `cause` records the event and rule that fired it. Call `announce` after commit.
   */
  async insertPrepared(
    trx: Db,
    caller: Principal,
    prepared: PreparedExecution,
    cause?: ExecutionCause,
  ): Promise<number> {
    const now = Date.now();
    const { execution } = prepared;
    const inserted = await insertExecution(trx, {
      ...execution,
      now,
      ...(prepared.approvalExpiresMs !== null && { approvalExpiresAt: now + prepared.approvalExpiresMs }),
      ...(cause && { cause }),
    });
    await appendAudit(
      trx,
      {
        ...auditActor(caller),
        action: 'execution.run',
        target: `execution/${inserted}`,
        summary: {
          job: `${execution.project}/${execution.job}`,
          options: shownOptions(execution.options, execution.maskedOptions ?? []),
          ...(execution.nodes && { nodes: execution.nodes }),
          ...(cause && { cause: { event: cause.eventId, rule: cause.rule } }),
          ...auditedAdmission(prepared.admission.notes),
        },
      },
      now,
    );
    // An override is written with the execution it let through, or not at all.
    for (const record of prepared.admission.records) await record(trx, inserted);
    // In the same transaction: an execution awaiting approval is never without its notice.
    if (prepared.approvalExpiresMs !== null) {
      await enqueueForExecution(trx, inserted, 'approval_needed', { now });
    }
    return inserted;
  }

  /** Wakes workers and followers for an inserted execution (after its transaction committed). */
  announce(id: number, prepared: PreparedExecution): void {
    // An execution awaiting approval is not claimable yet; approving it wakes the workers.
    if (prepared.approvalExpiresMs === null) this.events.publish('queue');
    this.events.publish('execution', id);
  }

  /** An execution the caller may view, or NotFoundError. */
  async get(caller: Principal, id: number): Promise<Execution> {
    const execution = await getExecution(this.db, id);
    const notFound = `execution ${id} not found`;
    if (!execution) throw new NotFoundError(notFound);
    this.access.requireVisible(caller, 'view', resources.job(execution.project, execution.job), notFound);
    return execution;
  }

  /** An execution with its steps and its retry chain. */
  async detail(caller: Principal, id: number): Promise<ExecutionDetail> {
    const execution = await this.get(caller, id);
    const [steps, attempts, approval, nodeRuns] = await Promise.all([
      listSteps(this.db, id),
      listAttempts(this.db, execution),
      this.approvalOf(execution),
      execution.nodes === null ? [] : listNodeRuns(this.db, id),
    ]);
    return {
      ...execution,
      waitingFor: await this.waitingReason(execution, approval),
      approval,
      nodeRuns,
      steps,
      attempts: attempts.map(({ id, attempt, state, exitCode, reason }) => ({
        id,
        attempt,
        state,
        exitCode,
        reason,
      })),
    };
  }

  /** The approval an execution needed; a retry shows the decisions on its first attempt. */
  private async approvalOf(execution: Execution): Promise<ExecutionApproval | null> {
    const requirement = approvalRequirement(execution.spec);
    if (!requirement) return null;
    const approved = execution.retryOf === null ? execution : await getExecution(this.db, execution.retryOf);
    return {
      required: { ...requirement, expiresAt: approved?.approvalExpiresAt ?? null },
      decisions: await listDecisions(this.db, [approved?.id ?? execution.id]),
    };
  }

  /**
   * Why an execution has not started: approvals it lacks, backoff, no worker of its group, its
   * concurrency limit, or busy workers.
   */
  private async waitingReason(
    execution: Execution,
    approval: ExecutionApproval | null,
  ): Promise<string | null> {
    const now = Date.now();
    if (execution.state === 'awaiting_approval' && approval) {
      const approvals = approval.decisions.filter((decision) => decision.decision === 'approved').length;
      return describeWaiting(approval.required, approvals, execution.approvalExpiresAt, now);
    }
    if (execution.state !== 'queued') return null;
    if (execution.runAfter.getTime() > now) return `retry backoff until ${execution.runAfter.toISOString()}`;
    const group = execution.workerGroup;
    const serving = (await listWorkers(this.db)).filter(
      (worker) => isAlive(worker, now) && (group === null || worker.groups.includes(group)),
    );
    if (serving.length === 0) {
      return group
        ? `no live worker serves group "${group}" (start one with: baton worker --group ${group})`
        : 'no live worker (start baton server, or baton worker)';
    }
    const limit = execution.spec.concurrency?.limit;
    if (limit !== undefined && execution.concurrencyKey !== null) {
      const ahead = await countAhead(this.db, execution);
      if (ahead >= limit) {
        const key = execution.spec.concurrency?.key;
        const scope = key ? `${key}=${String(execution.options[key])}` : 'this job';
        return `concurrency limit of ${limit} for ${scope}: ${ahead} running or queued ahead`;
      }
    }
    return 'waiting for a free worker slot';
  }

  /**
   * Executions the caller may view, newest first, and the cursor of the next page (null at the
   * end). Permission depends on policies with globs and label selectors, which SQL cannot
   * evaluate, so rows are read in batches and filtered until the page is full. The scan is
   * bounded: a caller who may see few of many executions gets a short page with a cursor
   * rather than a request that reads the whole table.
   */
  async list(
    caller: Principal,
    filter: ExecutionFilter,
  ): Promise<{ executions: Execution[]; next: number | null }> {
    const visible: Execution[] = [];
    // Rows of one job share a decision; a page usually covers few jobs.
    const decisions = new Map<string, boolean>();
    const mayView = (execution: Execution): boolean => {
      const key = `${execution.project}/${execution.job}`;
      let allowed = decisions.get(key);
      if (allowed === undefined) {
        allowed = this.access.authorize(
          caller,
          'view',
          resources.job(execution.project, execution.job),
        ).allowed;
        decisions.set(key, allowed);
      }
      return allowed;
    };
    const batch = Math.max(filter.limit, 100);
    let before = filter.beforeId;
    for (let scanned = 0; scanned < MAX_LIST_SCAN; scanned += batch) {
      const rows = await listExecutions(this.db, { ...filter, beforeId: before, limit: batch });
      for (const execution of rows) {
        before = execution.id;
        if (!mayView(execution)) continue;
        visible.push(execution);
        if (visible.length === filter.limit) return { executions: visible, next: execution.id };
      }
      if (rows.length < batch) return { executions: visible, next: null };
    }
    return { executions: visible, next: before ?? null };
  }

  /**
   * Cancels a queued or awaiting execution at once; a running one is ended by its worker, whole
   * process tree.
   */
  async cancel(caller: Principal, id: number): Promise<Execution> {
    const execution = await this.get(caller, id);
    this.access.require(caller, 'run', resources.job(execution.project, execution.job));
    if (TERMINAL_STATES.has(execution.state)) {
      throw new ConflictError(`execution ${id} has already finished (${execution.state})`);
    }
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const state = await requestCancel(trx, id, caller.name, now);
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'execution.cancel',
          target: `execution/${id}`,
          summary: { job: `${execution.project}/${execution.job}`, was: execution.state, now: state },
        },
        now,
      );
    });
    this.events.publish('cancel', id);
    this.events.publish('execution', id);
    return (await getExecution(this.db, id))!;
  }
}
