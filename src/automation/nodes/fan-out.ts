/**
 * Running a job on nodes. The parent execution runs on a worker as usual; it starts one child
 * execution per matched node (claimed by the same worker, inside the parent's slot, like a
 * nested `job:` step) and each child runs every step, in order, on its node over SSH. Each
 * child has its own log, steps and outcome: per-node logs and status through the existing
 * execution API, CLI and UI.
 *
 * keepGoing false (the default): after the first failed node no further node starts; the nodes
 * already running finish their steps, since stopping a change half-way leaves a node in a state
 * nobody chose. keepGoing true: every node runs. Either way the parent fails when a node failed,
 * and its reason names each failed node.
 */
import { setMaxListeners } from 'node:events';
import { openSecret, recordSecretUse } from '../secrets/delivery.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import { coerceError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Metrics } from '../../platform/metrics.js';
import { withReconnect } from '../../platform/db/reconnect.js';
import type { Execution, ExecutionState } from '../executions/model.js';
import {
  clearRemoteStep,
  getExecution,
  insertExecution,
  recordRemoteStep,
  skipPendingSteps,
} from '../executions/store.js';
import type { LogWriter } from '../logs/writer.js';
import { describeStop, stateForStop, type StopReason } from '../worker/step-process.js';
import { DEFAULT_PARALLELISM, type Node } from './model.js';
import { NodeConnectError, NodeSession } from './ssh-session.js';
import { getNode } from './store.js';

/** The outcome of an execution, as run-execution records it. */
export interface FanOutOutcome {
  state: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  exitCode: number | null;
  reason: string | null;
}

/** Runs one execution to its end (run-execution's `runExecution`, handed in to avoid an import cycle). */
export type RunChild = (
  child: Execution,
  signal: AbortSignal,
) => Promise<{
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
}>;

/**
 * What running on nodes needs of the worker running the parent (the worker's RunContext has all
 * of it): declared here so that nodes stand below the worker instead of importing it back.
 */
export interface FanOutContext {
  db: Db;
  events: EventBus;
  metrics: Metrics;
  keyring: Keyring;
  config: Pick<Config, 'leaseMs'>;
  /** The lease owner name of the worker: children run inside their parent's claim. */
  owner: string;
}

/** Whether this execution is a fan-out parent: it runs its steps on nodes through children. */
export function isFanOutParent(execution: Execution): boolean {
  return execution.nodes !== null && execution.node === null;
}

/** Starts a child per node, at most `parallelism` at a time, and sums their outcomes up. */
export async function runOnNodes(
  ctx: FanOutContext,
  parent: Execution,
  writer: LogWriter,
  signal: AbortSignal,
  runChild: RunChild,
): Promise<FanOutOutcome> {
  const names = parent.nodes ?? [];
  const filter = parent.spec.nodes ?? {};
  const parallelism = Math.min(filter.parallelism ?? DEFAULT_PARALLELISM, Math.max(names.length, 1));
  const keepGoing = filter.keepGoing === true;
  // Every running node's child listens on the parent's signal (for cancel and timeout).
  setMaxListeners(parallelism + 10, signal);
  await withReconnect(() =>
    skipPendingSteps(ctx.db, parent.id, "runs on each node, in that node's execution"),
  );
  writer.system(
    `[baton] running on ${names.length} node${names.length === 1 ? '' : 's'} (parallelism ${parallelism}${keepGoing ? ', keepGoing' : ''}): ${names.join(', ')}`,
  );

  const results = new Map<
    string,
    { id: number; state: ExecutionState; exitCode: number | null; reason: string | null }
  >();
  let next = 0;
  let failedSeen = false;
  const runOne = async (node: string) => {
    const now = Date.now();
    const childId = await withReconnect(() =>
      insertExecution(ctx.db, {
        jobId: parent.jobId,
        project: parent.project,
        job: parent.job,
        jobRevision: parent.jobRevision,
        spec: parent.spec,
        options: parent.runOptions,
        maskedOptions: parent.maskedOptions,
        requestedBy: parent.requestedBy,
        parentId: parent.id,
        depth: parent.depth,
        concurrencyKey: null,
        concurrencyLimit: null,
        now,
        claimedBy: { owner: ctx.owner, leaseExpiresAt: now + ctx.config.leaseMs },
        node,
      }),
    );
    writer.system(`[baton] node ${node}: started execution ${childId}`);
    ctx.events.publish('execution', childId);
    const child = (await withReconnect(() => getExecution(ctx.db, childId)))!;
    const outcome = await runChild(child, signal);
    results.set(node, { id: childId, ...outcome });
    ctx.metrics.nodeOutcomes.inc({ state: outcome.state });
    writer.system(
      `[baton] node ${node}: ${outcome.state.replace('_', ' ')}${outcome.reason ? ` (${outcome.reason})` : ''}, execution ${childId}`,
    );
    if (outcome.state !== 'succeeded') failedSeen = true;
  };
  const lane = async () => {
    while (next < names.length && !signal.aborted && (keepGoing || !failedSeen)) {
      const node = names[next++]!;
      try {
        await runOne(node);
      } catch (error) {
        // Baton itself failed for this node (database gone past every retry): count it, go on.
        const reason = `internal error: ${coerceError(error).message}`;
        results.set(node, { id: 0, state: 'failed', exitCode: null, reason });
        writer.system(`[baton] node ${node}: ${reason}`);
        failedSeen = true;
      }
    }
  };
  await Promise.all(Array.from({ length: parallelism }, lane));

  const notStarted = names.filter((name) => !results.has(name));
  const failed = names.filter((name) => {
    const result = results.get(name);
    return result !== undefined && result.state !== 'succeeded';
  });
  writer.system(
    `[baton] nodes: ${names.length - failed.length - notStarted.length} succeeded, ${failed.length} failed` +
      (notStarted.length ? `, ${notStarted.length} not started` : ''),
  );
  if (signal.aborted) {
    const stop = signal.reason as StopReason;
    return { state: stateForStop(stop), exitCode: null, reason: describeStop(stop) };
  }
  if (failed.length === 0) return { state: 'succeeded', exitCode: 0, reason: null };
  const listed = failed
    .map((name) => `${name} (${results.get(name)!.reason ?? results.get(name)!.state})`)
    .join(', ');
  const skipped = notStarted.length
    ? `; ${notStarted.length} not started (keepGoing is false): ${notStarted.join(', ')}`
    : '';
  return {
    state: 'failed',
    exitCode: null,
    reason: `${failed.length} of ${names.length} node${names.length === 1 ? '' : 's'} failed: ${listed}${skipped}`,
  };
}

/** What connecting to a node needs: the database (node, key, pinned host keys) and the keyring. */
export interface NodeConnectContext {
  db: Db;
  keyring: Keyring;
  metrics?: Metrics;
}

/**
 * Connects to a node with its current spec and key, host key checks included. Throws
 * NodeConnectError with the one-line reason when the node is gone, its key cannot be opened, or
 * SSH fails. `beforeConnect` runs once the key is open (a child records the key's use there).
 */
export async function openNodeSession(
  ctx: NodeConnectContext,
  name: string,
  beforeConnect?: (node: Node) => Promise<void>,
): Promise<NodeSession> {
  const node = await withReconnect(() => getNode(ctx.db, name));
  if (!node) throw new NodeConnectError(`node ${name} no longer exists`);
  let privateKey: string;
  try {
    privateKey = await withReconnect(() => openSecret(ctx.db, ctx.keyring, node.spec.key));
  } catch (error) {
    throw new NodeConnectError(`ssh: cannot open the key of node ${name}: ${coerceError(error).message}`);
  }
  await beforeConnect?.(node);
  return NodeSession.open({
    db: ctx.db,
    node,
    privateKey,
    ...(ctx.metrics && { metrics: ctx.metrics }),
  });
}

/**
 * Connects a node's child execution to its node. Throws NodeConnectError with the one-line
 * reason when the node is gone, its key cannot be opened, or SSH fails.
 */
export async function openChildSession(ctx: FanOutContext, child: Execution): Promise<NodeSession> {
  return openNodeSession(ctx, child.node!, (node) =>
    withReconnect(() => recordSecretUse(ctx.db, child, [node.spec.key])),
  );
}

/**
 * Records (running) or forgets (ended) the private directory of a child's step on its node, for
 * the remote orphan sweep; rides out a lost database connection like every step record.
 */
export function recordRemoteDirectory(
  ctx: FanOutContext,
  executionId: number,
  index: number,
  directory: string,
  running: boolean,
): Promise<void> {
  return withReconnect(() =>
    running
      ? recordRemoteStep(ctx.db, ctx.owner, executionId, index, directory)
      : clearRemoteStep(ctx.db, executionId, index, directory),
  );
}
