/**
 * One claimed execution, from its first step to its recorded outcome: steps in order, error
 * handlers, continueOnError, step and execution timeouts, cancel, nested jobs, and the retry
 * that a failed attempt schedules.
 */
import { finishEvent, queueNotifications } from '../notifications/outbox.js';
import { outputFile, readExecutionOutput, type ExecutionOutput } from '../events/output.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import {
  deliveriesOf,
  NO_SECRETS,
  openExecutionSecrets,
  optionsShowingSecrets,
  recordSecretUse,
  withSecretFiles,
  type ExecutionSecrets,
} from '../secrets/delivery.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import type { Config } from '../../platform/config.js';
import type { DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import { coerceError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import { parseDuration, formatDurationAsWritten } from '../../contract/time.js';
import { setLongTimeout } from '../../platform/long-timer.js';
import { parseJobReference, type Job, type StepSpec } from '../jobs/model.js';
import {
  AdmissionRefusedError,
  purposeOf,
  type AdmissionGates,
  type AdmissionNote,
} from '../executions/admission.js';
import { findInternalPrincipal } from '../../access/store.js';
import type { Principal } from '../../access/model.js';
import { optionEnvironment, resolveOptions } from '../jobs/options.js';
import { getJob } from '../jobs/store.js';
import type { Execution, ExecutionState } from '../executions/model.js';
import { concurrencyOf } from '../executions/service.js';
import {
  finishExecution,
  getExecution,
  insertExecution,
  leaseOf,
  listStepProcesses,
  requeueExecution,
  skipPendingSteps,
  updateStep,
  type StepUpdate,
} from '../executions/store.js';
import { withReconnect } from '../../platform/db/reconnect.js';
import { countStoredLines } from '../logs/store.js';
import type { LogRegistry } from '../logs/registry.js';
import { LogWriter } from '../logs/writer.js';
import { isFanOutParent, openChildSession, recordRemoteDirectory, runOnNodes } from '../nodes/fan-out.js';
import type { NodeSession } from '../nodes/ssh-session.js';
import type { StepCommand } from '../runner/command.js';
import { endOrphanedTreeAndWait } from '../runner/orphans.js';
import { createWorkDirectory } from './work-directory.js';
import {
  describeStop,
  runProcessStep,
  stateForStop,
  type StepOutcome,
  type StopReason,
} from './step-process.js';

export interface RunContext {
  db: Db;
  /** Asked before a nested `job:` step starts its child (see admission.ts); absent: none. */
  gates?: AdmissionGates | undefined;
  caps: DialectCapabilities;
  events: EventBus;
  logs: LogRegistry;
  metrics: Metrics;
  logger: Logger;
  config: Pick<Config, 'logCapBytes' | 'maxJobDepth' | 'killGraceMs' | 'leaseMs'>;
  /** How long log lines may wait in memory: short when followers read them from another process. */
  logFlushMs: number;
  /** The lease owner name of the worker running this execution. */
  owner: string;
  /** Opens the secrets that executions hand to their steps. */
  keyring: Keyring;
  /** Registers an execution's stop switch with the worker (for cancel and shutdown); returns the unregister. */
  track(execution: Execution, controller: AbortController): () => void;
  /**
   * Whether this worker's lease on the execution is still unexpired by its own clock. Asked before
   * every write about the execution: a worker resumed after a freeze (SIGSTOP, a paused VM) runs
   * its I/O callbacks before any timer, so it must not trust that the watchdog ran first.
   */
  holdsLease(execution: Execution): boolean;
}

const HOST = os.hostname();

/**
 * Only these variables of the worker's own environment reach a step: the worker may hold
 * credentials (database URL, admin token) that a job must never see.
 */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR'];

function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  return env;
}

/**
 * The environment of a step: safe defaults, the job's and step's env, options and secrets, then
 * Baton's own variables. A `secret` option's variable holds the secret's value, not its path.
 */
function stepEnvironment(
  execution: Execution,
  step: StepSpec,
  secrets: ExecutionSecrets,
  secretsDir: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    // A step on a node keeps the node's own login environment (PATH, HOME…), not the worker's.
    ...(execution.node === null ? baseEnvironment() : {}),
    ...execution.spec.env,
    ...step.env,
    ...extra,
    ...optionEnvironment(execution.runOptions),
    ...secrets.env,
    ...(secretsDir === undefined ? {} : { BATON_SECRETS_DIR: secretsDir }),
    BATON_EXECUTION_ID: String(execution.id),
    BATON_PROJECT: execution.project,
    BATON_JOB: execution.job,
    BATON_USER: execution.requestedBy,
    BATON_STEP: step.name,
    BATON_ATTEMPT: String(execution.attempt),
    ...(execution.node === null ? {} : { BATON_NODE: execution.node }),
  };
}

/** Where a step's process runs: on the worker, or on a node over the child's SSH session. */
interface StepPlacement {
  command: StepCommand;
  env: Record<string, string>;
  secrets: ExecutionSecrets;
  workDir: string;
  fileStem: string;
  writer: LogWriter;
  timeoutMs: number | undefined;
  signal: AbortSignal;
  index: number;
}

function runStepProcess(
  ctx: RunContext,
  execution: Execution,
  session: NodeSession | undefined,
  step: StepPlacement,
): Promise<StepOutcome> {
  if (session) {
    return session.runStep({
      command: step.command,
      env: { ...step.env, BATON_NODE_HOSTNAME: session.node.spec.hostname },
      secretFiles: step.secrets.files,
      writer: step.writer,
      timeoutMs: step.timeoutMs,
      graceMs: ctx.config.killGraceMs,
      signal: step.signal,
      onDirectory: (directory, running) =>
        recordRemoteDirectory(ctx, execution.id, step.index, directory, running),
    });
  }
  return withSecretFiles(step.secrets.files, (secretsDir) =>
    runProcessStep({
      command: step.command,
      // Both are paths on the worker, so only local steps get them (a step on a node has its own secrets dir).
      env: {
        ...step.env,
        ...(secretsDir === undefined ? {} : { BATON_SECRETS_DIR: secretsDir }),
        BATON_OUTPUT: outputFile(step.workDir),
      },
      workDir: step.workDir,
      fileStem: step.fileStem,
      writer: step.writer,
      timeoutMs: step.timeoutMs,
      graceMs: ctx.config.killGraceMs,
      signal: step.signal,
      onProcess: (process) =>
        recordStep(ctx, execution, step.index, { process: process && { host: HOST, ...process } }),
    }),
  );
}

interface Outcome {
  /** Only approvers (or their deadline) reject; a worker never sees an execution before it is queued. */
  state: Exclude<ExecutionState, 'queued' | 'running' | 'awaiting_approval' | 'rejected'>;
  exitCode: number | null;
  reason: string | null;
}

/**
 * Runs a claimed execution to its end and records it. When the database stays unreachable past
 * all retries it throws; the execution is then no longer renewed, and lease recovery ends it.
 */
export async function runExecution(
  ctx: RunContext,
  execution: Execution,
  parentSignal?: AbortSignal,
): Promise<Outcome> {
  const controller = new AbortController();
  const untrack = ctx.track(execution, controller);
  try {
    return await runTracked(ctx, execution, controller, parentSignal);
  } finally {
    untrack();
  }
}

async function runTracked(
  ctx: RunContext,
  execution: Execution,
  controller: AbortController,
  parentSignal: AbortSignal | undefined,
): Promise<Outcome> {
  const forwardParent = () => controller.abort(parentSignal?.reason);
  parentSignal?.addEventListener('abort', forwardParent, { once: true });
  if (parentSignal?.aborted) forwardParent();
  const timeoutMs = execution.spec.timeout ? parseDuration(execution.spec.timeout) : undefined;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setLongTimeout(
          () => controller.abort({ kind: 'timeout', afterMs: timeoutMs } satisfies StopReason),
          timeoutMs,
        );

  // Opened before the log exists, so that the log masks every value from its first line.
  let secrets = NO_SECRETS;
  let secretProblem: string | undefined;
  const given = { spec: execution.spec, options: execution.runOptions };
  if (deliveriesOf(given).length > 0) {
    try {
      secrets = await withReconnect(() => openExecutionSecrets(ctx.db, ctx.keyring, given));
    } catch (error) {
      secretProblem = `cannot hand the job its secrets: ${coerceError(error).message}`;
    }
  }
  const writer = new LogWriter({
    db: ctx.db,
    events: ctx.events,
    executionId: execution.id,
    secrets: secrets.values,
    capBytes: ctx.config.logCapBytes,
    flushIntervalMs: ctx.logFlushMs,
    mayStore: () => ctx.holdsLease(execution),
    // A re-queued execution's log goes on after the lines its lost run already stored; a fresh
    // one starts at line 0 without asking the database.
    firstLine: execution.reason?.startsWith('re-queued')
      ? await withReconnect(() => countStoredLines(ctx.db, execution.id))
      : 0,
  });
  ctx.logs.register(execution.id, writer);
  let workDir: string | undefined;
  let outcome: Outcome;
  try {
    ctx.metrics.queueLatency.observe((Date.now() - execution.runAfter.getTime()) / 1000);
    workDir = await createWorkDirectory(execution.id);
    if (secrets.paths.length > 0)
      await withReconnect(() => recordSecretUse(ctx.db, execution, secrets.paths));
    outcome = isFanOutParent(execution)
      ? await runOnNodes(ctx, execution, writer, controller.signal, (child, signal) =>
          runExecution(ctx, child, signal),
        )
      : await runOnWorkerOrNode(ctx, execution, writer, workDir, controller.signal, secrets, secretProblem);
  } catch (error) {
    const message = coerceError(error).message;
    ctx.logger.error({ err: error, execution: execution.id }, 'execution failed inside Baton');
    writer.system(`[baton] internal error: ${message}`);
    outcome = { state: 'failed', exitCode: null, reason: `internal error: ${message}` };
  } finally {
    timer?.clear();
    parentSignal?.removeEventListener('abort', forwardParent);
  }
  // Read before the work dir goes, masked with the same secrets as the log.
  const output = workDir ? await readExecutionOutput(outputFile(workDir), secrets.values) : undefined;
  await complete(ctx, execution, writer, outcome, controller.signal, output);
  if (workDir) await fs.rm(workDir, { recursive: true, force: true }).catch(() => {});
  return outcome;
}

/** Runs the steps on the worker, or on a node child's node over one SSH connection. */
async function runOnWorkerOrNode(
  ctx: RunContext,
  execution: Execution,
  writer: LogWriter,
  workDir: string,
  signal: AbortSignal,
  secrets: ExecutionSecrets,
  secretProblem: string | undefined,
): Promise<Outcome> {
  if (execution.node === null) {
    return runSteps(ctx, execution, writer, workDir, signal, secrets, secretProblem, undefined);
  }
  let session: NodeSession;
  try {
    session = await openChildSession(ctx, execution);
  } catch (error) {
    const reason = coerceError(error).message;
    writer.system(`[baton] ${reason}`);
    return { state: 'failed', exitCode: null, reason };
  }
  writer.system(
    `[baton] connected to ${execution.node} (${session.node.spec.user}@${session.node.spec.hostname}:${session.node.spec.port})`,
  );
  try {
    return await runSteps(ctx, execution, writer, workDir, signal, secrets, secretProblem, session);
  } finally {
    session.close();
  }
}

/**
 * Records a step's progress, riding out a lost database connection. Nothing is written once the
 * lease is past due here, and the database takes it only under this worker's claim.
 */
async function recordStep(
  ctx: RunContext,
  execution: Execution,
  index: number,
  update: StepUpdate,
): Promise<void> {
  if (!ctx.holdsLease(execution)) return;
  await withReconnect(() => updateStep(ctx.db, leaseOf(execution, ctx.owner), execution.id, index, update));
}

async function runSteps(
  ctx: RunContext,
  execution: Execution,
  writer: LogWriter,
  workDir: string,
  signal: AbortSignal,
  secrets: ExecutionSecrets,
  secretProblem: string | undefined,
  session: NodeSession | undefined,
): Promise<Outcome> {
  const { steps } = execution.spec;
  // A run that a lost or stopped worker handed back says so at the top of its new part of the log.
  if (execution.reason?.startsWith('re-queued')) {
    writer.system(`[baton] running again (${execution.reason})`);
    await endEarlierRun(ctx, execution, writer);
  }
  for (const [index, step] of steps.entries()) {
    if (signal.aborted) break;
    const startedAt = Date.now();
    await recordStep(ctx, execution, index, {
      state: 'running',
      startedAt,
      logFirstLine: writer.nextLine,
    });
    writer.system(`[baton] step ${index + 1}/${steps.length} "${step.name}" started`);
    if (secretProblem !== undefined) {
      // Nothing runs without its secrets: no error handler, no continueOnError.
      writer.system(`[baton] ${secretProblem}`);
      await recordStep(ctx, execution, index, {
        state: 'failed',
        exitCode: null,
        finishedAt: Date.now(),
        reason: secretProblem,
      });
      return { state: 'failed', exitCode: null, reason: `step "${step.name}" failed: ${secretProblem}` };
    }

    const result = step.job
      ? await runNestedJob(ctx, execution, index, step, writer, signal)
      : await runStepProcess(ctx, execution, session, {
          command: step,
          env: stepEnvironment(execution, step, secrets, undefined),
          secrets,
          workDir,
          fileStem: `step-${index}`,
          writer,
          timeoutMs: step.timeout ? parseDuration(step.timeout) : undefined,
          signal,
          index,
        });
    const finishedAt = Date.now();
    writer.system(
      `[baton] step "${step.name}" ${result.state.replace('_', ' ')}${result.reason ? `: ${result.reason}` : ''} (${formatDurationAsWritten(finishedAt - startedAt)})`,
    );
    await recordStep(ctx, execution, index, {
      state: result.state,
      exitCode: result.exitCode,
      finishedAt,
      reason: result.reason,
    });
    if (result.state === 'succeeded') continue;

    if (signal.aborted) return { ...stoppedOutcome(signal), exitCode: result.exitCode };
    if (step.errorHandler) {
      const handled = await runErrorHandler(
        ctx,
        execution,
        index,
        step,
        result,
        writer,
        workDir,
        signal,
        secrets,
        session,
      );
      if (handled) continue;
    } else if (step.continueOnError) {
      writer.system(`[baton] continuing: step "${step.name}" may fail (continueOnError)`);
      continue;
    }
    return {
      state: result.state === 'timed_out' ? 'timed_out' : 'failed',
      exitCode: result.exitCode,
      reason: `step "${step.name}" ${result.state.replace('_', ' ')}${result.reason ? `: ${result.reason}` : ''}`,
    };
  }
  if (signal.aborted) return stoppedOutcome(signal);
  return { state: 'succeeded', exitCode: 0, reason: null };
}

/**
 * A re-queued execution's earlier run may still have a step process: its worker froze (SIGSTOP, a
 * paused VM) or lost the database past its lease, and a step outlives its worker. On this host
 * the earlier process tree is ended, and gone, before any step starts again. On another host only
 * its own worker can end it, which it does as soon as it runs again (its lease is past due by
 * its own clock); the log says where it was.
 */
async function endEarlierRun(ctx: RunContext, execution: Execution, writer: LogWriter): Promise<void> {
  for (const earlier of await withReconnect(() => listStepProcesses(ctx.db, execution.id))) {
    const what = `the earlier run of step "${earlier.name}" (pid ${earlier.pid} on ${earlier.host}), whose worker lost its lease`;
    if (earlier.host !== HOST) {
      writer.system(`[baton] ${what}, cannot be ended from here: its worker ends it once it runs again`);
      continue;
    }
    // The orphan sweep of a worker on this host may have ended it already.
    const ended = await endOrphanedTreeAndWait(earlier.pid, earlier.startTime);
    writer.system(ended ? `[baton] ended ${what}` : `[baton] ${what}, had already ended`);
    await recordStep(ctx, execution, earlier.index, { process: null });
  }
}

/** The outcome of an execution stopped from outside: cancelled, timed out, or failed (shutdown). */
function stoppedOutcome(signal: AbortSignal): Outcome {
  const stop = signal.reason as StopReason;
  return { state: stateForStop(stop), exitCode: null, reason: describeStop(stop) };
}

/** Runs a failed step's error handler; true when it succeeded and the run may go on. */
async function runErrorHandler(
  ctx: RunContext,
  execution: Execution,
  index: number,
  step: StepSpec,
  failure: StepOutcome,
  writer: LogWriter,
  workDir: string,
  signal: AbortSignal,
  secrets: ExecutionSecrets,
  session: NodeSession | undefined,
): Promise<boolean> {
  const handler = step.errorHandler!;
  writer.system(`[baton] running the error handler of step "${step.name}"`);
  const result = await runStepProcess(ctx, execution, session, {
    command: handler,
    env: stepEnvironment(execution, { ...step, env: { ...step.env, ...handler.env } }, secrets, undefined, {
      BATON_FAILED_STEP: step.name,
      BATON_FAILED_EXIT_CODE: failure.exitCode === null ? '' : String(failure.exitCode),
    }),
    secrets,
    workDir,
    fileStem: `step-${index}-handler`,
    writer,
    timeoutMs: handler.timeout ? parseDuration(handler.timeout) : undefined,
    signal,
    index,
  });
  await recordStep(ctx, execution, index, {
    handlerState: result.state,
    handlerExitCode: result.exitCode,
  });
  writer.system(
    result.state === 'succeeded'
      ? `[baton] error handler of step "${step.name}" succeeded: the run goes on`
      : `[baton] error handler of step "${step.name}" ${result.state.replace('_', ' ')}${result.reason ? `: ${result.reason}` : ''}`,
  );
  return result.state === 'succeeded' && !signal.aborted;
}

/**
 * A `job:` step runs the other job as a child execution, inside this execution's worker slot:
 * queueing it instead could deadlock a full worker whose every slot waits for a child.
 */
async function runNestedJob(
  ctx: RunContext,
  parent: Execution,
  index: number,
  step: StepSpec,
  writer: LogWriter,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const fail = (reason: string): StepOutcome => {
    writer.system(`[baton] ${reason}`);
    return { state: 'failed', exitCode: null, reason };
  };
  if (parent.depth + 1 > ctx.config.maxJobDepth) {
    return fail(`job nesting is limited to ${ctx.config.maxJobDepth} levels; not starting ${step.job}`);
  }
  if (!ctx.holdsLease(parent)) return fail(`not starting ${step.job}: the lease on this execution ran out`);
  const reference = parseJobReference(step.job!)!;
  const job = await getJob(ctx.db, reference.project, reference.name);
  if (!job) return fail(`job ${step.job} no longer exists`);
  // Options of the same name pass down from the parent; the step's own values win. A secret
  // option takes only a parent's secret option (whose requester was authorized for it), so a
  // plain text option cannot smuggle in a path to a secret the requester may not use.
  const isSecret = (options: Execution['spec']['options'], name: string) =>
    options?.some((option) => option.name === name && option.type === 'secret') === true;
  const declared = new Set((job.spec.options ?? []).map((option) => option.name));
  const inherited = Object.fromEntries(
    Object.entries(parent.runOptions).filter(
      ([name]) =>
        declared.has(name) && isSecret(job.spec.options, name) === isSecret(parent.spec.options, name),
    ),
  );
  let options;
  try {
    options = resolveOptions(job.spec.options ?? [], { ...inherited, ...step.options });
  } catch (error) {
    return fail(`cannot start ${step.job}: ${coerceError(error).message}`);
  }
  // Masked in the child as in the parent, and also where it shows a secret the child receives.
  const maskedOptions = new Set(
    parent.maskedOptions.filter(
      (name) => options[name] !== undefined && options[name] === parent.runOptions[name],
    ),
  );
  try {
    const own = await withReconnect(() =>
      optionsShowingSecrets(ctx.db, ctx.keyring, { spec: job.spec, options }),
    );
    for (const name of own) maskedOptions.add(name);
  } catch (error) {
    return fail(`cannot start ${step.job}: ${coerceError(error).message}`);
  }
  const admitted = await admitNestedJob(ctx, parent, job);
  if ('refused' in admitted) return fail(admitted.refused);
  const now = Date.now();
  const childId = await insertExecution(ctx.db, {
    jobId: job.id,
    project: job.project,
    job: job.name,
    jobRevision: job.revision,
    spec: job.spec,
    options,
    maskedOptions: [...maskedOptions],
    requestedBy: parent.requestedBy,
    parentId: parent.id,
    depth: parent.depth + 1,
    ...concurrencyOf(job, options),
    now,
    claimedBy: { owner: ctx.owner, leaseExpiresAt: now + ctx.config.leaseMs },
    ...(admitted.notes.length > 0 && { admission: admitted.notes }),
  });
  await recordStep(ctx, parent, index, { childExecutionId: childId });
  writer.system(`[baton] started execution ${childId} of ${step.job}`);
  ctx.events.publish('execution', childId);
  const child = (await getExecution(ctx.db, childId))!;
  const outcome = await runExecution(ctx, child, signal);
  return {
    state: outcome.state === 'succeeded' ? 'succeeded' : outcome.state,
    exitCode: outcome.exitCode,
    reason:
      outcome.state === 'succeeded'
        ? null
        : `execution ${childId} ${outcome.state.replace('_', ' ')}${outcome.reason ? `: ${outcome.reason}` : ''}`,
  };
}

/**
 * The admission gates on a nested job, as the parent's requester. The child runs at once in the
 * parent's slot, so it cannot wait for an approval: a gate that asks for one fails the step with
 * its reason, like a refusal (run the job on its own to ask for the approval).
 */
async function admitNestedJob(
  ctx: RunContext,
  parent: Execution,
  job: Job,
): Promise<{ refused: string } | { notes: AdmissionNote[] }> {
  const gates = ctx.gates;
  if (!gates || gates.isEmpty) return { notes: [] };
  const actor: Principal = (await withReconnect(() => findInternalPrincipal(ctx.db, parent.requestedBy))) ?? {
    kind: 'user',
    id: 0,
    name: parent.requestedBy,
    isAdmin: false,
    via: 'internal',
  };
  let admission;
  try {
    admission = await withReconnect(() =>
      gates.admit(
        {
          job: {
            project: job.project,
            name: job.name,
            labels: job.labels,
            service: job.spec.service,
            purpose: purposeOf(job.spec),
          },
          actor,
          trigger: 'job-step',
          now: Date.now(),
        },
        ctx.db,
      ),
    );
  } catch (error) {
    if (error instanceof AdmissionRefusedError) {
      return { refused: `not starting ${job.project}/${job.name}: ${error.note.reason}` };
    }
    return { refused: `cannot start ${job.project}/${job.name}: ${coerceError(error).message}` };
  }
  if (admission.approvers.length > 0) {
    const why = admission.notes.find((note) => note.decision === 'approval')?.reason ?? '';
    return {
      refused: `not starting ${job.project}/${job.name}: it needs approval from ${admission.approvers.join(' or ')}, which a job: step cannot wait for${why ? ` (${why})` : ''}`,
    };
  }
  return { notes: admission.notes };
}

/**
 * Records the outcome once, then schedules the next attempt when the job allows retries. A
 * worker that lost its lease records nothing; a stopping worker hands a job that allows it back
 * to the queue.
 */
async function complete(
  ctx: RunContext,
  execution: Execution,
  writer: LogWriter,
  outcome: Outcome,
  signal: AbortSignal,
  output?: ExecutionOutput,
): Promise<void> {
  const stop = signal.aborted ? (signal.reason as StopReason) : undefined;
  // A worker resumed after its lease ran out may reach this before its watchdog ran.
  if (stop?.kind === 'lease-lost' || !ctx.holdsLease(execution)) {
    writer.abandon();
    ctx.logs.unregister(execution.id);
    ctx.logger.warn(
      { execution: execution.id },
      'lease lost: the execution was recovered by another process',
    );
    return;
  }
  if (stop?.kind === 'shutdown' && execution.spec.retryOnWorkerLoss && execution.parentId === null) {
    writer.system(
      `[baton] worker ${ctx.owner} stopped; the execution goes back to the queue (retryOnWorkerLoss)`,
    );
    await writer.close().catch(() => undefined);
    ctx.logs.unregister(execution.id);
    const reason = `re-queued: worker ${ctx.owner} stopped`;
    if (ctx.holdsLease(execution)) {
      await withReconnect(() =>
        requeueExecution(ctx.db, execution.id, leaseOf(execution, ctx.owner), reason, Date.now()),
      );
    }
    ctx.events.publish('queue');
    ctx.events.publish('execution', execution.id);
    return;
  }
  const retries = execution.spec.retries;
  const retryable =
    (outcome.state === 'failed' || outcome.state === 'timed_out') && execution.parentId === null;
  const willRetry = retryable && retries !== undefined && execution.attempt <= retries.count;
  const backoffMs = retries?.backoff ? parseDuration(retries.backoff)! : 0;
  if (willRetry) {
    writer.system(
      `[baton] attempt ${execution.attempt} of ${retries.count + 1} ${outcome.state.replace('_', ' ')}; retrying${backoffMs ? ` in ${formatDurationAsWritten(backoffMs)}` : ''}`,
    );
  }
  writer.system(
    `[baton] execution ${outcome.state.replace('_', ' ')}${outcome.reason ? `: ${outcome.reason}` : ''}`,
  );
  let log = { lines: writer.nextLine, bytes: 0, discardedBytes: 0 };
  try {
    log = await writer.close();
  } catch (error) {
    ctx.logger.error({ err: error, execution: execution.id }, 'could not store the end of the log');
  } finally {
    ctx.logs.unregister(execution.id);
  }
  const now = Date.now();
  const recorded = await withReconnect(() =>
    finishExecution(ctx.db, execution.id, leaseOf(execution, ctx.owner), {
      ...outcome,
      now,
      log,
      ...(output && { output }),
      // Rules on finished executions look at the last attempt of a top-level run, once.
      chain: execution.parentId === null && !willRetry,
    }),
  );
  if (recorded) {
    const why = outcome.state === 'succeeded' ? 'not run' : 'an earlier step ended the run';
    await withReconnect(() => skipPendingSteps(ctx.db, execution.id, why));
  } else {
    ctx.logger.warn(
      { execution: execution.id },
      'execution was recovered elsewhere; its outcome here is not recorded',
    );
    return;
  }
  const event = finishEvent(outcome.state);
  // A fan-out notifies once, for its parent, not once per node.
  if (event && execution.node === null) await queueNotifications(ctx, execution, event);
  ctx.metrics.executionsFinished.inc({ state: outcome.state });
  ctx.metrics.logBytes.inc(log.bytes);
  ctx.metrics.logDiscardedBytes.inc(log.discardedBytes);
  if (execution.startedAt) {
    ctx.metrics.executionDuration.observe(
      { state: outcome.state },
      (now - execution.startedAt.getTime()) / 1000,
    );
  }
  if (willRetry) {
    const retryId = await withReconnect(() =>
      insertExecution(ctx.db, {
        jobId: execution.jobId,
        project: execution.project,
        job: execution.job,
        jobRevision: execution.jobRevision,
        spec: execution.spec,
        options: execution.runOptions,
        maskedOptions: execution.maskedOptions,
        requestedBy: execution.requestedBy,
        attempt: execution.attempt + 1,
        retryOf: execution.retryOf ?? execution.id,
        concurrencyKey: execution.concurrencyKey,
        concurrencyLimit: execution.spec.concurrency?.limit ?? null,
        now,
        runAfter: now + backoffMs,
        ...(execution.nodes !== null && { nodes: execution.nodes }),
      }),
    );
    ctx.events.publish('execution', retryId);
    ctx.events.publish('queue');
  }
  ctx.events.publish('execution', execution.id);
}
