/**
 * The remote orphan sweep: a step on a node runs under the node's sshd, not under the worker, so
 * a worker killed mid-step (kill -9, a lost machine) leaves it running there, and the local orphan
 * sweep of a worker on the same host cannot see it. Each remote step records its private directory
 * on its step row while it runs; once its execution is no longer held by a live lease, this duty
 * connects to the node (its current spec and key, host key checked as for a step), KILLs the
 * step's process group, removes the directory and forgets the record.
 *
 * A duty, so that one process across all servers and workers does it. It runs in the background
 * of the duty tick: a node that does not answer takes up to the SSH ready timeout, and lease
 * recovery, on the same tick, must not wait for it.
 */
import type { Keyring } from '../../access/secrets/keyring.js';
import type { Db } from '../../platform/db/database.js';
import type { Duty } from '../../platform/duties.js';
import { coerceError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import { openNodeSession } from './fan-out.js';
import { NodeConnectError, REMOTE_DIRECTORY_PATTERN } from './ssh-session.js';
import {
  clearRemoteStep,
  findOrphanedRemoteSteps,
  markRemoteStepUnreachable,
  type OrphanedRemoteStep,
} from '../executions/store.js';

/** How long the sweep keeps trying a node that cannot be reached before it forgets the step. */
export const REMOTE_ORPHAN_GIVE_UP_MS = 60 * 60_000;
/** Steps looked at per sweep; more wait for the next one. */
const SWEEP_BATCH = 200;
/** Nodes connected to at once. */
const NODES_AT_ONCE = 8;
/** How long a duty tick waits for the sweep before leaving it to finish in the background. */
const WAIT_FOR_SWEEP_MS = 2000;

export interface RemoteOrphanContext {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  metrics: Metrics;
}

/** Ends what lost workers left running on nodes; every 10 s in the duty holder. */
export function remoteOrphanDuty(
  ctx: RemoteOrphanContext,
  options: { everyMs?: number; giveUpAfterMs?: number } = {},
): Duty {
  let sweeping: Promise<void> | undefined;
  return {
    name: 'remote-orphans',
    everyMs: options.everyMs ?? 10_000,
    run: async (now) => {
      // A sweep still busy with slow nodes goes on; no second one beside it.
      sweeping ??= sweepRemoteOrphans(ctx, now, options.giveUpAfterMs ?? REMOTE_ORPHAN_GIVE_UP_MS)
        .catch((error: unknown) =>
          ctx.logger.warn({ err: coerceError(error) }, 'remote orphan sweep failed; will retry'),
        )
        .finally(() => (sweeping = undefined));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sweeping,
        new Promise((resolve) => (timer = setTimeout(resolve, WAIT_FOR_SWEEP_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}

/** One pass: every orphaned remote step, grouped by node, one connection per node. */
export async function sweepRemoteOrphans(
  ctx: RemoteOrphanContext,
  now: number,
  giveUpAfterMs = REMOTE_ORPHAN_GIVE_UP_MS,
): Promise<void> {
  const orphans = await findOrphanedRemoteSteps(ctx.db, now, SWEEP_BATCH);
  if (orphans.length === 0) return;
  const byNode = new Map<string, OrphanedRemoteStep[]>();
  for (const orphan of orphans) byNode.set(orphan.node, [...(byNode.get(orphan.node) ?? []), orphan]);
  const nodes = [...byNode.entries()];
  const lane = async () => {
    for (let next = nodes.shift(); next; next = nodes.shift()) {
      await sweepNode(ctx, next[0], next[1], now, giveUpAfterMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(NODES_AT_ONCE, nodes.length) }, lane));
}

async function sweepNode(
  ctx: RemoteOrphanContext,
  node: string,
  orphans: OrphanedRemoteStep[],
  now: number,
  giveUpAfterMs: number,
): Promise<void> {
  const { db, logger, metrics } = ctx;
  // A record that cannot name a step's directory on a node is forgotten, never acted on.
  const usable = orphans.filter((orphan) => {
    if (orphan.node !== '' && REMOTE_DIRECTORY_PATTERN.test(orphan.directory)) return true;
    logger.warn(
      { execution: orphan.executionId, step: orphan.index, directory: orphan.directory },
      'forgot a remote step record that names no node directory',
    );
    metrics.remoteOrphans.inc({ outcome: 'abandoned' });
    void clearRemoteStep(db, orphan.executionId, orphan.index, orphan.directory).catch(() => undefined);
    return false;
  });
  if (usable.length === 0) return;

  let session;
  try {
    session = await openNodeSession(ctx, node);
  } catch (error) {
    const reason = coerceError(error).message;
    for (const orphan of usable) await unreachable(ctx, orphan, reason, now, giveUpAfterMs);
    // Anything but a connection problem (the database) is the sweep's own failure.
    if (!(error instanceof NodeConnectError)) throw error;
    return;
  }
  try {
    for (const orphan of usable) {
      let ended: boolean;
      try {
        ended = await session.endOrphanedStep(orphan.directory);
      } catch (error) {
        await unreachable(ctx, orphan, coerceError(error).message, now, giveUpAfterMs);
        continue;
      }
      await clearRemoteStep(db, orphan.executionId, orphan.index, orphan.directory);
      const where = { execution: orphan.executionId, step: orphan.index, node, directory: orphan.directory };
      if (ended) {
        logger.warn(where, 'ended the remote process group of a step whose worker was lost');
        metrics.remoteOrphans.inc({ outcome: 'ended' });
      } else {
        // The step had ended by itself meanwhile (its directory gone, or its group empty).
        logger.info(where, 'a step whose worker was lost had already ended on its node');
        metrics.remoteOrphans.inc({ outcome: 'gone' });
      }
    }
  } finally {
    session.close();
  }
}

/** Keeps the record for a later sweep, until the node has been out of reach for too long. */
async function unreachable(
  ctx: RemoteOrphanContext,
  orphan: OrphanedRemoteStep,
  reason: string,
  now: number,
  giveUpAfterMs: number,
): Promise<void> {
  const where = { execution: orphan.executionId, step: orphan.index, node: orphan.node, reason };
  if (orphan.unreachableSince !== null && now - orphan.unreachableSince >= giveUpAfterMs) {
    await clearRemoteStep(ctx.db, orphan.executionId, orphan.index, orphan.directory);
    ctx.logger.warn(
      { ...where, directory: orphan.directory },
      'gave up ending a remote step whose worker was lost: its node stayed out of reach; it may still run there',
    );
    ctx.metrics.remoteOrphans.inc({ outcome: 'abandoned' });
    return;
  }
  await markRemoteStepUnreachable(ctx.db, orphan.executionId, orphan.index, now);
  if (orphan.unreachableSince === null) {
    ctx.logger.warn(where, 'cannot reach the node of a remote step whose worker was lost; will retry');
  }
}
