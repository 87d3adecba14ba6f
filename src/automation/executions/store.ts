/**
 * SQL for executions and their steps, including the queue: claiming work, leases, completion.
 * The claim is one statement on both databases; see `claimExecutions`.
 */
import { sql, type Selectable } from 'kysely';
import { readJson, type DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { ExecutionStepsTable, ExecutionsTable } from '../../platform/db/schema.js';
import type { JobSpec } from '../jobs/model.js';
import { MASK } from '../logs/masking.js';
import type { OptionValues } from '../jobs/options.js';
import type { AdmissionNote } from './admission.js';
import type { Execution, ExecutionCause, ExecutionState, ExecutionStep, StepState } from './model.js';

type ExecutionRow = Selectable<ExecutionsTable>;
type StepRow = Selectable<ExecutionStepsTable>;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** `options` with the values of `masked` replaced by MASK: what is shown of an execution. */
export function shownOptions(options: OptionValues, masked: readonly string[]): OptionValues {
  if (masked.length === 0) return options;
  const shown = { ...options };
  for (const name of masked) if (name in shown) shown[name] = MASK;
  return shown;
}

/** The one conversion from a stored row to an Execution. */
export function toExecution(row: ExecutionRow): Execution {
  // Masked here, in the one conversion, so that every reader shows the same; see NewExecution.
  const runOptions = readJson<OptionValues>(row.options);
  const maskedOptions = row.masked_options === null ? [] : readJson<string[]>(row.masked_options);
  return {
    id: row.id,
    jobId: row.job_id,
    project: row.project,
    job: row.job_name,
    jobRevision: row.job_revision,
    spec: readJson<JobSpec>(row.spec),
    options: shownOptions(runOptions, maskedOptions),
    runOptions,
    maskedOptions,
    requestedBy: row.requested_by,
    state: row.state as ExecutionState,
    attempt: row.attempt,
    retryOf: row.retry_of,
    parentId: row.parent_id,
    depth: row.depth,
    concurrencyKey: row.concurrency_key,
    workerGroup: row.worker_group,
    queuedAt: new Date(row.queued_at),
    runAfter: new Date(row.run_after),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    exitCode: row.exit_code,
    reason: row.reason,
    leaseOwner: row.lease_owner,
    cancelRequestedAt: date(row.cancel_requested_at),
    cancelRequestedBy: row.cancel_requested_by,
    approvalExpiresAt: date(row.approval_expires_at),
    log: { lines: row.log_lines, bytes: row.log_bytes, discardedBytes: row.log_discarded_bytes },
    cause: row.cause_event_id === null ? null : { eventId: row.cause_event_id, rule: row.cause_rule ?? '' },
    output: row.output === null ? null : readJson<Record<string, unknown>>(row.output),
    outputError: row.output_error,
    node: row.node,
    nodes: row.nodes === null ? null : readJson<string[]>(row.nodes),
    admission: row.admission === null ? null : readJson<AdmissionNote[]>(row.admission),
  };
}

export function toStep(row: StepRow): ExecutionStep {
  return {
    index: row.idx,
    name: row.name,
    state: row.state as StepState,
    exitCode: row.exit_code,
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    reason: row.reason,
    handlerState: row.handler_state as StepState | null,
    handlerExitCode: row.handler_exit_code,
    childExecutionId: row.child_execution_id,
    logFirstLine: row.log_first_line,
  };
}

export interface NewExecution {
  jobId: number | null;
  project: string;
  job: string;
  jobRevision: number;
  spec: JobSpec;
  options: OptionValues;
  /**
   * Options whose value shows a secret the execution receives (see optionsShowingSecrets). The
   * row keeps the value as given, since the steps must run with it, and only its readers mask:
   * the alternative, storing `*****` and the value apart, would give the worker a second place
   * to read options from and every copy (retry, fan-out child) a second column to carry.
   */
  maskedOptions?: readonly string[];
  requestedBy: string;
  attempt?: number;
  retryOf?: number | null;
  parentId?: number | null;
  depth?: number;
  concurrencyKey: string | null;
  concurrencyLimit: number | null;
  now: number;
  runAfter?: number;
  /** Insert already claimed by this lease owner (a nested job runs inside its parent's slot). */
  claimedBy?: { owner: string; leaseExpiresAt: number };
  /** Insert awaiting approval until this deadline instead of queued. */
  approvalExpiresAt?: number;
  /** The event and rule that fired it. */
  cause?: ExecutionCause;
  /** A fan-out child: the node its steps run on. */
  node?: string;
  /** A fan-out parent: the node names matched at request time. */
  nodes?: string[];
  /** What the admission gates said (kept on the execution, shown with it). */
  admission?: readonly AdmissionNote[];
}

function initialState(execution: NewExecution): ExecutionState {
  if (execution.claimedBy) return 'running';
  return execution.approvalExpiresAt === undefined ? 'queued' : 'awaiting_approval';
}

/** The row of a new execution. */
function executionRow(execution: NewExecution) {
  const claimed = execution.claimedBy;
  return {
    job_id: execution.jobId,
    project: execution.project,
    job_name: execution.job,
    job_revision: execution.jobRevision,
    spec: JSON.stringify(execution.spec),
    options: JSON.stringify(execution.options),
    masked_options: execution.maskedOptions?.length ? JSON.stringify(execution.maskedOptions) : null,
    requested_by: execution.requestedBy,
    state: initialState(execution),
    attempt: execution.attempt ?? 1,
    retry_of: execution.retryOf ?? null,
    parent_id: execution.parentId ?? null,
    depth: execution.depth ?? 0,
    concurrency_key: execution.concurrencyKey,
    concurrency_limit: execution.concurrencyLimit,
    worker_group: execution.spec.workerGroup ?? null,
    retry_on_worker_loss: execution.spec.retryOnWorkerLoss ? 1 : 0,
    queued_at: execution.now,
    run_after: execution.runAfter ?? execution.now,
    started_at: claimed ? execution.now : null,
    lease_owner: claimed?.owner ?? null,
    lease_expires_at: claimed?.leaseExpiresAt ?? null,
    approval_expires_at: execution.approvalExpiresAt ?? null,
    cause_event_id: execution.cause?.eventId ?? null,
    cause_rule: execution.cause?.rule ?? null,
    node: execution.node ?? null,
    nodes: execution.nodes === undefined ? null : JSON.stringify(execution.nodes),
    admission: execution.admission?.length ? JSON.stringify(execution.admission) : null,
  };
}

/** Inserts an execution and its pending steps; returns the new id. */
export async function insertExecution(db: Db, execution: NewExecution): Promise<number> {
  return (await insertExecutions(db, [execution]))[0]!;
}

/** Rows per INSERT statement: well under SQLite's 32,766 parameters (executions have 24 columns, steps 4). */
const EXECUTIONS_PER_INSERT = 200;
const STEPS_PER_INSERT = 2000;

/**
 * Inserts executions and their pending steps, a few statements for the lot (the scheduler queues
 * hundreds at once); returns the new ids in the order given.
 */
export async function insertExecutions(db: Db, executions: readonly NewExecution[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < executions.length; start += EXECUTIONS_PER_INSERT) {
    const chunk = executions.slice(start, start + EXECUTIONS_PER_INSERT);
    const rows = await db.insertInto('executions').values(chunk.map(executionRow)).returning('id').execute();
    // One statement takes ids in the order of its rows on both databases, but RETURNING does
    // not promise that order: sorting the ids recovers which row got which.
    ids.push(...rows.map((row) => row.id).sort((a, b) => a - b));
  }
  const steps = executions.flatMap((execution, index) =>
    execution.spec.steps.map((step, idx) => ({
      execution_id: ids[index]!,
      idx,
      name: step.name,
      state: 'pending',
    })),
  );
  for (let start = 0; start < steps.length; start += STEPS_PER_INSERT) {
    await db
      .insertInto('execution_steps')
      .values(steps.slice(start, start + STEPS_PER_INSERT))
      .execute();
  }
  return ids;
}

export async function getExecution(db: Db, id: number): Promise<Execution | undefined> {
  const row = await db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toExecution(row);
}

export async function getExecutionState(db: Db, id: number): Promise<ExecutionState | undefined> {
  const row = await db.selectFrom('executions').select('state').where('id', '=', id).executeTakeFirst();
  return row?.state as ExecutionState | undefined;
}

export async function listSteps(db: Db, executionId: number): Promise<ExecutionStep[]> {
  const rows = await db
    .selectFrom('execution_steps')
    .selectAll()
    .where('execution_id', '=', executionId)
    .orderBy('idx')
    .execute();
  return rows.map(toStep);
}

/** Every attempt of the retry chain an execution belongs to, first attempt first. */
export async function listAttempts(db: Db, execution: Execution): Promise<Execution[]> {
  const root = execution.retryOf ?? execution.id;
  const rows = await db
    .selectFrom('executions')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', root), eb('retry_of', '=', root)]))
    .orderBy('id')
    .execute();
  return rows.map(toExecution);
}

export interface ExecutionFilter {
  project?: string | undefined;
  job?: string | undefined;
  /** Any of these states (none or empty: every state). */
  states?: readonly ExecutionState[] | undefined;
  /** Who requested them. */
  requestedBy?: string | undefined;
  /** Queued at or after this time (epoch ms). */
  queuedSince?: number | undefined;
  /** Queued before this time (epoch ms). */
  queuedUntil?: number | undefined;
  /** Only executions with a smaller id (pagination, newest first). */
  beforeId?: number | undefined;
  /** Also the per-node children of runs on nodes (otherwise each run is listed once, as its parent). */
  nodeRuns?: boolean | undefined;
  limit: number;
}

/** Newest first. */
export async function listExecutions(db: Db, filter: ExecutionFilter): Promise<Execution[]> {
  let query = db.selectFrom('executions').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.project) query = query.where('project', '=', filter.project);
  if (filter.job) query = query.where('job_name', '=', filter.job);
  if (filter.states?.length) query = query.where('state', 'in', filter.states);
  if (filter.requestedBy) query = query.where('requested_by', '=', filter.requestedBy);
  if (filter.queuedSince !== undefined) query = query.where('queued_at', '>=', filter.queuedSince);
  if (filter.queuedUntil !== undefined) query = query.where('queued_at', '<', filter.queuedUntil);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  if (!filter.nodeRuns) query = query.where('node', 'is', null);
  return (await query.execute()).map(toExecution);
}

/** A job by project and name, as executions record it. */
export interface JobKey {
  project: string;
  name: string;
}

/**
 * The runs of these jobs, for their statistics: `(project, job_name) IN ((…), …)`, served by the
 * executions_job index on both databases. A run on nodes counts once, as its fan-out parent:
 * its per-node children are parts of that run, and counting them would multiply a job's runs
 * (and weigh its success rate) by the number of nodes.
 */
function ofJobs(jobs: readonly JobKey[]) {
  return sql<boolean>`(project, job_name) in (${sql.join(jobs.map((job) => sql`(${job.project}, ${job.name})`))}) and node is null`;
}

export interface LastExecution extends JobKey {
  id: number;
  state: ExecutionState;
  finishedAt: Date | null;
}

/** The newest execution of each of the jobs that has any, in one statement. */
export async function listLastExecutions(db: Db, jobs: readonly JobKey[]): Promise<LastExecution[]> {
  if (jobs.length === 0) return [];
  const rows = await db
    .selectFrom('executions')
    .select(['id', 'project', 'job_name', 'state', 'finished_at'])
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('executions')
        .select((inner) => inner.fn.max('id').as('id'))
        .where(ofJobs(jobs))
        .groupBy(['project', 'job_name']),
    )
    .execute();
  return rows.map((row) => ({
    id: row.id,
    project: row.project,
    name: row.job_name,
    state: row.state as ExecutionState,
    finishedAt: date(row.finished_at === null ? null : Number(row.finished_at)),
  }));
}

export interface FinishedCount extends JobKey {
  finished: number;
  succeeded: number;
  /** Succeeded, failed or timed out: the outcomes that say whether the job works. */
  judged: number;
}

/** Per job, the executions that finished at or after `since`, how many succeeded, and how many were judged. */
export async function countFinishedByJob(
  db: Db,
  jobs: readonly JobKey[],
  since: number,
): Promise<FinishedCount[]> {
  if (jobs.length === 0) return [];
  const rows = await db
    .selectFrom('executions')
    .select((eb) => [
      'project',
      'job_name',
      eb.fn.countAll<number>().as('finished'),
      eb.fn.sum<number>(eb.case().when('state', '=', 'succeeded').then(1).else(0).end()).as('succeeded'),
      eb.fn
        .sum<number>(
          eb.case().when('state', 'in', ['succeeded', 'failed', 'timed_out']).then(1).else(0).end(),
        )
        .as('judged'),
    ])
    .where(ofJobs(jobs))
    .where('finished_at', '>=', since)
    .groupBy(['project', 'job_name'])
    .execute();
  return rows.map((row) => ({
    project: row.project,
    name: row.job_name,
    finished: Number(row.finished),
    succeeded: Number(row.succeeded),
    judged: Number(row.judged),
  }));
}

export interface FinishedDuration extends JobKey {
  ms: number;
}

/**
 * How long each execution of the jobs that finished at or after `since` ran (started to
 * finished; one that never started, like a rejected one, has no duration), newest first and
 * at most `limit` rows.
 */
export async function listFinishedDurations(
  db: Db,
  jobs: readonly JobKey[],
  since: number,
  limit: number,
): Promise<FinishedDuration[]> {
  if (jobs.length === 0) return [];
  const rows = await db
    .selectFrom('executions')
    .select(['project', 'job_name', sql<number>`finished_at - started_at`.as('ms')])
    .where(ofJobs(jobs))
    .where('finished_at', '>=', since)
    .where('started_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ project: row.project, name: row.job_name, ms: Number(row.ms) }));
}

export interface ClaimRequest {
  owner: string;
  /** The worker's groups: it claims executions of these groups and of no group. */
  groups: readonly string[];
  now: number;
  leaseExpiresAt: number;
  limit: number;
}

/**
 * Claims up to `limit` queued executions for a worker, oldest first, in one statement.
 *
 * A queued execution with a concurrency limit is claimable only while the running executions
 * of its key plus the *earlier* queued ones stay under the limit. Counting earlier queued rows
 * keeps the queue in order, makes a batch claim respect the limit, and keeps two claimers on
 * PostgreSQL from both taking the last slot: the row the first one locked still counts as
 * queued for the second.
 */
export async function claimExecutions(
  db: Db,
  caps: DialectCapabilities,
  request: ClaimRequest,
): Promise<Execution[]> {
  const groups =
    request.groups.length > 0
      ? sql`(e.worker_group IS NULL OR e.worker_group IN (${sql.join(request.groups)}))`
      : sql`e.worker_group IS NULL`;
  const eligible = sql`
    e.state = 'queued' AND e.run_after <= ${request.now} AND ${groups}
    AND (e.concurrency_limit IS NULL OR (
      SELECT count(*) FROM executions r
      WHERE r.job_id = e.job_id AND r.concurrency_key = e.concurrency_key
        AND (r.state = 'running' OR (r.state = 'queued' AND r.id < e.id))
    ) < e.concurrency_limit)`;
  const claim = sql`state = 'running', lease_owner = ${request.owner},
    lease_expires_at = ${request.leaseExpiresAt}, started_at = ${request.now}`;
  const statement = caps.skipLocked
    ? sql<ExecutionRow>`
        WITH next AS (
          SELECT e.id FROM executions e WHERE ${eligible}
          ORDER BY e.id LIMIT ${request.limit} FOR UPDATE SKIP LOCKED
        )
        UPDATE executions SET ${claim} FROM next WHERE executions.id = next.id RETURNING executions.*`
    : sql<ExecutionRow>`
        UPDATE executions SET ${claim}
        WHERE id IN (SELECT e.id FROM executions e WHERE ${eligible} ORDER BY e.id LIMIT ${request.limit})
        RETURNING *`;
  const { rows } = await statement.execute(db);
  return rows.map(toExecution).sort((a, b) => a.id - b.id);
}

/**
 * One claim of an execution by a worker: its name and the time of the claim. The claim time is
 * the fencing token: a re-queued execution claimed again (even by the same worker) has a new one,
 * so a worker that lost its lease while frozen cannot write over the run that replaced it.
 */
export interface Lease {
  owner: string;
  claimedAt: number;
}

/** The lease a running execution is held under (the claim sets started_at). */
export function leaseOf(execution: Execution, owner: string): Lease {
  return { owner, claimedAt: execution.startedAt?.getTime() ?? -1 };
}

/** Extends the leases a worker holds; returns the ids whose cancellation was requested meanwhile. */
export async function renewLeases(
  db: Db,
  owner: string,
  ids: readonly number[],
  leaseExpiresAt: number,
): Promise<{ renewed: number[]; cancelRequested: number[] }> {
  if (ids.length === 0) return { renewed: [], cancelRequested: [] };
  const rows = await db
    .updateTable('executions')
    .set({ lease_expires_at: leaseExpiresAt })
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .returning(['id', 'cancel_requested_at'])
    .execute();
  return {
    renewed: rows.map((row) => row.id),
    cancelRequested: rows.filter((row) => row.cancel_requested_at !== null).map((row) => row.id),
  };
}

export interface StepUpdate {
  state?: StepState;
  exitCode?: number | null;
  startedAt?: number;
  finishedAt?: number;
  reason?: string | null;
  handlerState?: StepState | null;
  handlerExitCode?: number | null;
  childExecutionId?: number;
  logFirstLine?: number;
  /** The step's process while it runs; null once it ended. */
  process?: { host: string; pid: number; startTime: string } | null;
}

/**
 * Updates a step of an execution this worker still holds under the same claim: a worker that lost
 * its lease (and whose execution was re-queued, even to itself) must not overwrite the new run's steps.
 */
export async function updateStep(
  db: Db,
  lease: Lease,
  executionId: number,
  index: number,
  update: StepUpdate,
): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({
      ...(update.state !== undefined && { state: update.state }),
      ...(update.exitCode !== undefined && { exit_code: update.exitCode }),
      ...(update.startedAt !== undefined && { started_at: update.startedAt }),
      ...(update.finishedAt !== undefined && { finished_at: update.finishedAt }),
      ...(update.reason !== undefined && { reason: update.reason }),
      ...(update.handlerState !== undefined && { handler_state: update.handlerState }),
      ...(update.handlerExitCode !== undefined && { handler_exit_code: update.handlerExitCode }),
      ...(update.childExecutionId !== undefined && { child_execution_id: update.childExecutionId }),
      ...(update.logFirstLine !== undefined && { log_first_line: update.logFirstLine }),
      ...(update.process !== undefined && {
        host: update.process?.host ?? null,
        pid: update.process?.pid ?? null,
        pid_start_time: update.process?.startTime ?? null,
      }),
    })
    .where('execution_id', '=', executionId)
    .where('idx', '=', index)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('executions')
          .select('id')
          .where('id', '=', executionId)
          .where('lease_owner', '=', lease.owner)
          .where('started_at', '=', lease.claimedAt)
          .where('state', '=', 'running'),
      ),
    )
    .execute();
}

/** Marks the steps that never started as skipped. */
export async function skipPendingSteps(db: Db, executionId: number, reason: string): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({ state: 'skipped', reason })
    .where('execution_id', '=', executionId)
    .where('state', '=', 'pending')
    .execute();
}

export interface Completion {
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
  now: number;
  log: { lines: number; bytes: number; discardedBytes: number };
  /** What the steps wrote to $BATON_OUTPUT (masked JSON text), or why it was not kept. */
  output?: { json: string | null; error: string | null };
  /** Rules on finished executions look at this one (set with the finish, in the same statement). */
  chain?: boolean;
}

/**
 * Records the outcome, once: only the lease owner of a running execution can finish it, so a
 * worker that lost its lease (and whose execution was recovered elsewhere) records nothing.
 */
export async function finishExecution(
  db: Db,
  id: number,
  lease: Lease,
  completion: Completion,
): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({
      state: completion.state,
      exit_code: completion.exitCode,
      reason: completion.reason,
      finished_at: completion.now,
      lease_owner: null,
      lease_expires_at: null,
      log_lines: completion.log.lines,
      log_bytes: completion.log.bytes,
      log_discarded_bytes: completion.log.discardedBytes,
      ...(completion.output && { output: completion.output.json, output_error: completion.output.error }),
      ...(completion.chain && { chain_pending: 1 }),
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', lease.owner)
    .where('started_at', '=', lease.claimedAt)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return true;
  // When a lost connection made us send the update twice, the first one may have landed.
  const row = await db
    .selectFrom('executions')
    .select(['state', 'finished_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.state === completion.state && row.finished_at === completion.now;
}

/**
 * Gives an execution back to the queue (its worker was lost or drained and the job allows
 * running it again): steps return to pending, the log goes on after what was already stored.
 */
export async function requeueExecution(
  db: Db,
  id: number,
  lease: Lease,
  reason: string,
  now: number,
  options: { onlyIfExpired?: boolean } = {},
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('executions')
      .set({
        state: 'queued',
        lease_owner: null,
        lease_expires_at: null,
        started_at: null,
        run_after: now,
        reason,
      })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', lease.owner)
      .where('started_at', '=', lease.claimedAt)
      // Recovery read the lease as expired; a renewal since then (same owner, same claim) moved its
      // expiry, and the worker keeps its execution instead of having it run a second time.
      .$if(options.onlyIfExpired === true, (query) => query.where('lease_expires_at', '<', now))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await trx
      .updateTable('execution_steps')
      .set({
        state: 'pending',
        exit_code: null,
        started_at: null,
        finished_at: null,
        reason: null,
        handler_state: null,
        handler_exit_code: null,
      })
      .where('execution_id', '=', id)
      .execute();
    return true;
  });
}

/**
 * Cancels a queued (or awaiting approval) execution at once, or flags a running one for its
 * worker to end. Returns the state after the request. Runs in the given transaction, if any.
 */
export async function requestCancel(
  db: Db,
  id: number,
  actor: string,
  now: number,
): Promise<ExecutionState | undefined> {
  if (db.isTransaction) return cancelIn(db, id, actor, now);
  return db.transaction().execute((trx) => cancelIn(trx, id, actor, now));
}

async function cancelIn(
  trx: Db,
  id: number,
  actor: string,
  now: number,
): Promise<ExecutionState | undefined> {
  const cancelledQueued = await trx
    .updateTable('executions')
    .set({ state: 'cancelled', finished_at: now, reason: `cancelled by ${actor} before it started` })
    .set({ cancel_requested_at: now, cancel_requested_by: actor })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'awaiting_approval'])
    .executeTakeFirst();
  if (Number(cancelledQueued.numUpdatedRows) === 1) {
    await skipPendingSteps(trx, id, 'execution was cancelled');
    return 'cancelled';
  }
  await trx
    .updateTable('executions')
    .set({ cancel_requested_at: now, cancel_requested_by: actor })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('cancel_requested_at', 'is', null)
    .execute();
  return getExecutionState(trx, id);
}

/**
 * Fails running executions whose lease has expired: their worker is gone. Returns them, so the
 * caller can record why and schedule retries.
 */
export async function recoverExpiredLeases(
  db: Db,
  now: number,
  reason: string,
): Promise<{ failed: Execution[]; requeued: number[] }> {
  const expired = await db
    .selectFrom('executions')
    .select(['id', 'lease_owner', 'started_at'])
    .where('state', '=', 'running')
    .where('retry_on_worker_loss', '=', 1)
    .where('lease_expires_at', '<', now)
    .execute();
  const requeued: number[] = [];
  for (const row of expired) {
    // The lease read here: a worker that renewed it meanwhile keeps its execution.
    const lease = { owner: row.lease_owner ?? '', claimedAt: Number(row.started_at) };
    const requeue = await requeueExecution(db, row.id, lease, `re-queued: ${reason}`, now, {
      onlyIfExpired: true,
    });
    if (requeue) requeued.push(row.id);
  }
  const rows = await db
    .updateTable('executions')
    .set({
      state: 'failed',
      reason,
      finished_at: now,
      lease_owner: null,
      lease_expires_at: null,
      // A lost worker's run is final: rules on finished executions see it like any failure.
      chain_pending: sql<number>`CASE WHEN parent_id IS NULL THEN 1 ELSE 0 END`,
      // The worker never wrote its log's totals: they are what it stored before it was lost.
      log_lines: sql<number>`COALESCE((SELECT MAX(c.first_line + c.line_count) FROM log_chunks c
        WHERE c.execution_id = executions.id), 0)`,
      log_bytes: sql<number>`COALESCE((SELECT SUM(c.raw_bytes) FROM log_chunks c
        WHERE c.execution_id = executions.id), 0)`,
    })
    .where('state', '=', 'running')
    .where('retry_on_worker_loss', '=', 0)
    .where('lease_expires_at', '<', now)
    .returningAll()
    .execute();
  for (const row of rows) {
    await db
      .updateTable('execution_steps')
      .set({ state: 'failed', reason, finished_at: now })
      .where('execution_id', '=', row.id)
      .where('state', '=', 'running')
      .execute();
    await skipPendingSteps(db, row.id, reason);
  }
  return { failed: rows.map(toExecution), requeued };
}

/** Running or earlier-queued executions sharing this one's concurrency key: what it waits behind. */
export async function countAhead(db: Db, execution: Execution): Promise<number> {
  const row = await db
    .selectFrom('executions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('job_id', '=', execution.jobId)
    .where('concurrency_key', '=', execution.concurrencyKey)
    .where((eb) =>
      eb.or([eb('state', '=', 'running'), eb.and([eb('state', '=', 'queued'), eb('id', '<', execution.id)])]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Step processes recorded on a host whose execution is no longer held by a live lease: their
 * worker died without ending them.
 */
export async function findOrphanedProcesses(
  db: Db,
  host: string,
  now: number,
): Promise<{ executionId: number; index: number; pid: number; startTime: string; requeued: boolean }[]> {
  const rows = await db
    .selectFrom('execution_steps as s')
    .innerJoin('executions as e', 'e.id', 's.execution_id')
    .select(['s.execution_id', 's.idx', 's.pid', 's.pid_start_time', 'e.state'])
    .where('s.host', '=', host)
    .where('s.pid', 'is not', null)
    .where((eb) => eb.or([eb('e.state', '<>', 'running'), eb('e.lease_expires_at', '<', now)]))
    .execute();
  return rows.map((row) => ({
    executionId: row.execution_id,
    index: row.idx,
    pid: row.pid!,
    startTime: row.pid_start_time ?? '',
    requeued: row.state === 'queued',
  }));
}

/** The step processes recorded for an execution (a re-queued one keeps its earlier run's). */
export async function listStepProcesses(
  db: Db,
  executionId: number,
): Promise<{ index: number; name: string; host: string; pid: number; startTime: string }[]> {
  const rows = await db
    .selectFrom('execution_steps')
    .select(['idx', 'name', 'host', 'pid', 'pid_start_time'])
    .where('execution_id', '=', executionId)
    .where('pid', 'is not', null)
    .orderBy('idx')
    .execute();
  return rows.map((row) => ({
    index: row.idx,
    name: row.name,
    host: row.host ?? '',
    pid: row.pid!,
    startTime: row.pid_start_time ?? '',
  }));
}

export async function clearStepProcess(db: Db, executionId: number, index: number): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({ host: null, pid: null, pid_start_time: null })
    .where('execution_id', '=', executionId)
    .where('idx', '=', index)
    .execute();
}

/** Executions per state, for metrics. */
export async function countByState(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('executions')
    .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
}

// Approvals: the state changes of executions that await a decision. Each is conditional on
// `state = 'awaiting_approval'`, so of two servers deciding (or a decision racing the expiry
// duty) exactly one wins.

/**
 * Locks an execution that still awaits approval, for the rest of the transaction (a no-op
 * update takes the row lock on PostgreSQL; SQLite has one writer). Deciders of the same
 * execution then count each other's approvals instead of both counting one. False when it no
 * longer awaits approval.
 */
export async function lockAwaitingExecution(trx: Db, id: number): Promise<boolean> {
  const result = await trx
    .updateTable('executions')
    .set((eb) => ({ approval_expires_at: eb.ref('approval_expires_at') }))
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Approved: the execution joins the queue now. */
export async function releaseToQueue(db: Db, id: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({ state: 'queued', run_after: now })
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Rejected (by a person or the deadline): it ends without running, its steps skipped. */
export async function rejectAwaiting(db: Db, id: number, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({ state: 'rejected', reason, finished_at: now })
    .where('id', '=', id)
    .where('state', '=', 'awaiting_approval')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await skipPendingSteps(db, id, 'execution was not approved');
  return true;
}

/** Executions awaiting approval, oldest first (the partial index holds exactly these). */
export async function listAwaiting(db: Db, limit: number): Promise<Execution[]> {
  const rows = await db
    .selectFrom('executions')
    .selectAll()
    .where('state', '=', 'awaiting_approval')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toExecution);
}

/** Executions whose approval deadline has passed. */
export async function listExpired(db: Db, now: number, limit: number): Promise<Execution[]> {
  const rows = await db
    .selectFrom('executions')
    .selectAll()
    .where('state', '=', 'awaiting_approval')
    .where('approval_expires_at', '<=', now)
    .orderBy('approval_expires_at')
    .limit(limit)
    .execute();
  return rows.map(toExecution);
}

// The chain flag: finished executions waiting for rules to look at them (events/chain.ts).

/** Finished executions whose chain has not been evaluated, oldest first. */
export async function listChainPending(db: Db, limit: number): Promise<{ id: number; job: string }[]> {
  const rows = await db
    .selectFrom('executions')
    .select(['id', 'project', 'job_name'])
    .where('chain_pending', '=', 1)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, job: `${row.project}/${row.job_name}` }));
}

/** Clears the chain flag of finished executions no rule watches, in one statement. */
export async function clearChainFlags(db: Db, executionIds: readonly number[]): Promise<void> {
  if (executionIds.length === 0) return;
  await db
    .updateTable('executions')
    .set({ chain_pending: 0 })
    .where('id', 'in', executionIds)
    .where('chain_pending', '=', 1)
    .execute();
}

/**
 * Takes an execution's chain evaluation, inside the transaction that records what it fired:
 * of two servers, one updates the row and the other (waiting on its lock) then finds nothing.
 */
export async function claimChain(db: Db, executionId: number): Promise<boolean> {
  const result = await db
    .updateTable('executions')
    .set({ chain_pending: 0 })
    .where('id', '=', executionId)
    .where('chain_pending', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Which executions a retention batch looks at: one project's, or those of every project but the listed ones. */
export type RetentionScope = { project: string } | { exceptProjects: string[] };

/**
 * Deletes up to `limit` executions of the scope that finished before the cutoff, in one short
 * transaction; returns how many, and the log chunks and bytes that went with them.
 */
export async function deleteFinishedExecutions(
  db: Db,
  cutoff: number,
  scope: RetentionScope,
  limit: number,
): Promise<{ executions: number; chunks: number; logBytes: number }> {
  return db.transaction().execute(async (trx) => {
    let select = trx
      .selectFrom('executions')
      .select('id')
      .where('finished_at', '<', cutoff)
      .orderBy('id')
      .limit(limit);
    if ('project' in scope) select = select.where('project', '=', scope.project);
    else if (scope.exceptProjects.length > 0)
      select = select.where('project', 'not in', scope.exceptProjects);
    const ids = (await select.execute()).map((row) => row.id);
    if (ids.length === 0) return { executions: 0, chunks: 0, logBytes: 0 };
    const chunks = await trx
      .selectFrom('log_chunks')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('raw_bytes').as('bytes')])
      .where('execution_id', 'in', ids)
      .executeTakeFirstOrThrow();
    // Steps and log chunks go with their execution (ON DELETE CASCADE).
    await trx.deleteFrom('executions').where('id', 'in', ids).execute();
    return { executions: ids.length, chunks: Number(chunks.count), logBytes: Number(chunks.bytes ?? 0) };
  });
}

// Steps on nodes: the private directory a step runs in on its node, for the remote orphan sweep
// (nodes/remote-orphans.ts).

/**
 * Records the private directory of a step that now runs on a node, while this worker still holds
 * the execution (a record landing after recovery would name a step nobody runs any more).
 */
export async function recordRemoteStep(
  db: Db,
  owner: string,
  executionId: number,
  index: number,
  directory: string,
): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({ remote_dir: directory, remote_unreachable_since: null })
    .where('execution_id', '=', executionId)
    .where('idx', '=', index)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('executions')
          .select('id')
          .where('id', '=', executionId)
          .where('lease_owner', '=', owner)
          .where('state', '=', 'running'),
      ),
    )
    .execute();
}

/**
 * Forgets a step's remote directory once nothing runs in it any more. Only that directory's
 * record: whoever clears it (the step's worker, or the sweep) cannot erase a newer one.
 */
export async function clearRemoteStep(
  db: Db,
  executionId: number,
  index: number,
  directory: string,
): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({ remote_dir: null, remote_unreachable_since: null })
    .where('execution_id', '=', executionId)
    .where('idx', '=', index)
    .where('remote_dir', '=', directory)
    .execute();
}

/** A step that a lost worker left running on a node. */
export interface OrphanedRemoteStep {
  executionId: number;
  index: number;
  node: string;
  directory: string;
  unreachableSince: number | null;
}

/**
 * Steps recorded as running on a node whose execution is no longer held by a live lease (the
 * condition of local orphans): their worker died without ending them.
 */
export async function findOrphanedRemoteSteps(
  db: Db,
  now: number,
  limit: number,
): Promise<OrphanedRemoteStep[]> {
  const rows = await db
    .selectFrom('execution_steps as s')
    .innerJoin('executions as e', 'e.id', 's.execution_id')
    .select(['s.execution_id', 's.idx', 'e.node', 's.remote_dir', 's.remote_unreachable_since'])
    .where('s.remote_dir', 'is not', null)
    .where((eb) => eb.or([eb('e.state', '<>', 'running'), eb('e.lease_expires_at', '<', now)]))
    .orderBy('s.execution_id')
    .orderBy('s.idx')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    executionId: row.execution_id,
    index: row.idx,
    node: row.node ?? '',
    directory: row.remote_dir!,
    unreachableSince: row.remote_unreachable_since === null ? null : Number(row.remote_unreachable_since),
  }));
}

/** Notes the first time the sweep could not reach a step's node (kept on later failures). */
export async function markRemoteStepUnreachable(
  db: Db,
  executionId: number,
  index: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('execution_steps')
    .set({ remote_unreachable_since: now })
    .where('execution_id', '=', executionId)
    .where('idx', '=', index)
    .where('remote_unreachable_since', 'is', null)
    .execute();
}

/** An execution as the SLO evaluation counts it (read only; no spec, no options). */
export interface FinishedExecutionFact extends JobKey {
  id: number;
  state: ExecutionState;
  startedAt: number | null;
  finishedAt: number;
  /** The catalog service of its job as the job is now (null: none, or the job is gone). */
  service: string | null;
}

/**
 * Executions that finished in [from, until) of these jobs or of any job of these services, one
 * row per run (a fan-out counts once, as its parent). The statement filters by the finish time
 * only, so both databases walk the executions_finished index (a filter on jobs made SQLite
 * prefer the executions_job index and read every run of those jobs ever); the few rows of a
 * round's minutes are then picked here.
 */
export async function listFinishedExecutionFacts(
  db: Db,
  filter: { from: number; until: number; jobs: readonly JobKey[]; services: readonly string[] },
): Promise<FinishedExecutionFact[]> {
  if (filter.jobs.length === 0 && filter.services.length === 0) return [];
  const rows = await db
    .selectFrom('executions as e')
    .leftJoin('jobs as j', 'j.id', 'e.job_id')
    .select(['e.id', 'e.project', 'e.job_name', 'e.state', 'e.started_at', 'e.finished_at', 'j.service'])
    .where('e.finished_at', '>=', filter.from)
    .where('e.finished_at', '<', filter.until)
    .where('e.node', 'is', null)
    .execute();
  const jobs = new Set(filter.jobs.map((job) => `${job.project}/${job.name}`));
  const services = new Set(filter.services);
  return rows
    .filter(
      (row) =>
        jobs.has(`${row.project}/${row.job_name}`) || (row.service !== null && services.has(row.service)),
    )
    .map((row) => ({
      id: row.id,
      project: row.project,
      name: row.job_name,
      state: row.state as ExecutionState,
      startedAt: row.started_at === null ? null : Number(row.started_at),
      finishedAt: Number(row.finished_at),
      service: row.service,
    }));
}

/** A started execution with what its spec snapshot said it was, for corrections and change costs. */
export interface ExecutionSpan extends JobKey {
  id: number;
  state: ExecutionState;
  requestedBy: string;
  startedAt: number;
  finishedAt: number | null;
  /** The snapshot's `spec` fields, unchecked: older snapshots lack them. */
  spec: { service?: unknown; purpose?: unknown; correctsSlo?: unknown };
}

/** Executions of these jobs that started before `startedBefore` and were still running at or after `activeSince`. */
export async function listExecutionSpans(
  db: Db,
  jobs: readonly JobKey[],
  range: { activeSince: number; startedBefore: number },
): Promise<ExecutionSpan[]> {
  if (jobs.length === 0) return [];
  const rows = await db
    .selectFrom('executions')
    .select(['id', 'project', 'job_name', 'state', 'requested_by', 'started_at', 'finished_at', 'spec'])
    .where(ofJobs(jobs))
    .where('started_at', 'is not', null)
    .where('started_at', '<', range.startedBefore)
    .where((eb) => eb.or([eb('finished_at', 'is', null), eb('finished_at', '>=', range.activeSince)]))
    .orderBy('started_at')
    .execute();
  return rows.map((row) => {
    const spec = readJson<unknown>(row.spec);
    return {
      id: row.id,
      project: row.project,
      name: row.job_name,
      state: row.state as ExecutionState,
      requestedBy: row.requested_by,
      startedAt: Number(row.started_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      spec: typeof spec === 'object' && spec !== null ? (spec as ExecutionSpan['spec']) : {},
    };
  });
}
