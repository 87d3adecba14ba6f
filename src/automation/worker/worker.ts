/**
 * A worker claims queued executions and runs them, up to its concurrency. The server runs one
 * inside itself; `baton worker` runs the same class in a process of its own, on any machine
 * that reaches the PostgreSQL database.
 *
 * Claims carry a lease that the worker renews. A worker that cannot renew in time (it crashed,
 * its machine or network is gone, it was frozen) loses its executions to lease recovery (see
 * recovery.ts). The worker also keeps each lease's expiry by its own clock: once one is past due
 * and not renewed it writes nothing more about that execution and ends its step (see
 * `enforceLeases`), without asking the database, which it may not reach.
 */
import { queueNotifications } from '../notifications/outbox.js';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  claimExecutions,
  clearStepProcess,
  findOrphanedProcesses,
  getExecution,
  renewLeases,
} from '../executions/store.js';
import { endOrphanedTree } from '../runner/orphans.js';
import { describeContainment, stepContainment } from '../runner/step-cgroup.js';
import { sweepSecretDirectories } from '../secrets/delivery.js';
import { sweepWorkDirectories } from './work-directory.js';
import type { Execution } from '../executions/model.js';
import { coerceError } from '../../platform/errors.js';
import { withReconnect } from '../../platform/db/reconnect.js';
import { VERSION } from '../../platform/version.js';
import { HEARTBEAT_MS } from './registry.js';
import { heartbeatWorker, markWorkerStopped, registerWorker } from './store.js';
import { runExecution, type RunContext } from './run-execution.js';
import type { StopReason } from './step-process.js';

export interface WorkerOptions extends Omit<RunContext, 'owner' | 'track' | 'holdsLease'> {
  concurrency: number;
  /** Worker groups this worker serves, besides executions that need no group. */
  groups?: string[];
  name?: string;
  /** True for the worker inside a server. */
  embedded?: boolean;
  /** Fallback poll when no wake-up arrives (a backoff elapsed, a notification was lost). */
  pollMs?: number;
}

/** How often a worker looks for process trees that a dead worker on its host left behind. */
const ORPHAN_SWEEP_MS = 10_000;

/**
 * How often a worker compares its leases with its clock: a tenth of the lease, at most a second,
 * so that a worker ends a step whose lease it lost within the lease plus this (plus the kill
 * grace for the step to stop).
 */
function leaseCheckMs(leaseMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(leaseMs / 10)));
}

/** The claim time of a running execution, which tells its claims apart (see `Lease`). */
function claimTime(execution: Pick<Execution, 'startedAt'>): number {
  return execution.startedAt?.getTime() ?? -1;
}

/** Claims per statement; a large batch would hold rows another worker could start sooner. */
const CLAIM_BATCH = 16;

/** A wake-up that is not lost when it arrives while nobody is waiting. */
class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  notify(): void {
    if (this.resolve) {
      this.resolve();
      this.resolve = undefined;
    } else {
      this.pending = true;
    }
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = undefined;
        resolve();
      }, ms);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export class Worker {
  readonly name: string;
  readonly groups: string[];
  private readonly active = new Map<number, AbortController>();
  /**
   * Each lease of this worker: the claim it is held under and when it expires by this worker's
   * clock (the expiry it last wrote). Keyed by execution, but a run asks with its own claim: an
   * execution re-queued and claimed again here must not revive its earlier run's writes.
   */
  private readonly leases = new Map<number, { claimedAt: number; expiresAt: number }>();
  /** Top-level executions in flight; nested children run inside their parent's slot. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly wakeup = new Wakeup();
  private claiming = false;
  /** A renewal is in flight (retrying a lost connection): the next tick does not start another. */
  private renewing = false;
  private loopDone: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: WorkerOptions) {
    this.name = options.name ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.groups = [...new Set(options.groups ?? [])].sort();
  }

  /** Executions this worker is running now (including nested ones). */
  get running(): number[] {
    return [...this.active.keys()];
  }

  /** Registers the worker and starts claiming. */
  async start(): Promise<void> {
    const { events, config, db } = this.options;
    await registerWorker(db, {
      name: this.name,
      host: os.hostname(),
      pid: process.pid,
      groups: this.groups,
      concurrency: this.options.concurrency,
      version: VERSION,
      embedded: this.options.embedded ?? false,
      startedAt: new Date(),
    });
    this.unsubscribe.push(events.subscribe('queue', () => this.wakeup.notify()));
    this.unsubscribe.push(events.subscribe('cancel', (id) => void this.checkCancel(id)));
    const leaseEvery = Math.max(200, Math.floor(config.leaseMs / 3));
    this.timers.push(setInterval(() => void this.renew(), leaseEvery));
    this.timers.push(setInterval(() => this.enforceLeases(), leaseCheckMs(config.leaseMs)));
    this.timers.push(setInterval(() => void this.heartbeat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.endOrphans(), ORPHAN_SWEEP_MS));
    await this.announceContainment();
    await this.endOrphans();
    await this.sweepLeftoverFiles();
    this.claiming = true;
    this.loopDone = this.loop();
  }

  /** Says once, in the log and in /metrics, whether steps get a cgroup each or a process group only. */
  private async announceContainment(): Promise<void> {
    const containment = await stepContainment();
    this.options.logger.info({ containment: containment.kind }, describeContainment(containment));
    this.options.metrics.stepContainment.set({ mode: containment.kind.replace('-', '_') }, 1);
  }

  /**
   * Secret files and work directories (which may hold copies of secrets) that a dead worker on
   * this machine left behind are removed before any new work.
   */
  private async sweepLeftoverFiles(): Promise<void> {
    try {
      const removed = await sweepSecretDirectories();
      if (removed.length > 0) this.options.logger.warn({ removed }, 'removed secret files of a dead worker');
      const workDirectories = await sweepWorkDirectories();
      if (workDirectories.length > 0) {
        this.options.logger.warn({ removed: workDirectories }, 'removed work directories of a dead worker');
      }
    } catch (error) {
      this.options.logger.error(
        { err: coerceError(error) },
        'sweeping leftover secret files and work directories failed',
      );
    }
  }

  /**
   * Stops claiming, lets running executions finish for up to `drainMs`, then ends what is left:
   * a job with `retryOnWorkerLoss` goes back to the queue, any other is recorded as failed
   * ("worker stopped"). Nothing is left running.
   */
  async stop(drainMs = 0): Promise<void> {
    this.claiming = false;
    this.wakeup.notify();
    await this.loopDone;
    if (drainMs > 0 && this.inFlight.size > 0) {
      this.options.logger.info(
        { running: this.inFlight.size, drainMs },
        'draining: waiting for running executions',
      );
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => setTimeout(resolve, drainMs)),
      ]);
    }
    for (const controller of this.active.values())
      controller.abort({ kind: 'shutdown' } satisfies StopReason);
    await Promise.allSettled([...this.inFlight]);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const timer of this.timers) clearInterval(timer);
    await markWorkerStopped(this.options.db, this.name, Date.now()).catch(() => undefined);
  }

  /** Ends a drain at once: what still runs is stopped and handed back (see stop). */
  hurry(): void {
    for (const controller of this.active.values())
      controller.abort({ kind: 'shutdown' } satisfies StopReason);
  }

  private async loop(): Promise<void> {
    const { concurrency, pollMs = 1000 } = this.options;
    while (this.claiming) {
      // After a freeze, executions whose lease ran out are let go before new ones are claimed.
      this.enforceLeases();
      const want = Math.min(concurrency - this.inFlight.size, CLAIM_BATCH);
      let claimed: Execution[] = [];
      if (want > 0) {
        const now = Date.now();
        try {
          claimed = await claimExecutions(this.options.db, this.options.caps, {
            owner: this.name,
            groups: this.groups,
            now,
            leaseExpiresAt: now + this.options.config.leaseMs,
            limit: want,
          });
        } catch (error) {
          this.options.logger.warn({ err: coerceError(error) }, 'claiming executions failed; retrying');
        }
        for (const execution of claimed) this.launch(execution, now + this.options.config.leaseMs);
      }
      // A full batch suggests more work is waiting: claim again at once.
      if (claimed.length > 0 && claimed.length === want) continue;
      await this.wakeup.wait(pollMs);
    }
  }

  private launch(execution: Execution, leaseExpiresAt: number): void {
    this.leases.set(execution.id, { claimedAt: claimTime(execution), expiresAt: leaseExpiresAt });
    this.options.events.publish('execution', execution.id);
    // Not awaited: queueing a notification must not delay the run.
    void queueNotifications(this.options, execution, 'started');
    const context: RunContext = {
      ...this.options,
      owner: this.name,
      track: (tracked, controller) => {
        const id = tracked.id;
        // A nested child is inserted already claimed, a moment ago, for the lease's length.
        if (this.leases.get(id)?.claimedAt !== claimTime(tracked)) {
          this.leases.set(id, {
            claimedAt: claimTime(tracked),
            expiresAt: Date.now() + this.options.config.leaseMs,
          });
        }
        this.active.set(id, controller);
        this.options.metrics.workerSlotsBusy.set(this.active.size);
        return () => {
          // The run that lost its lease may end after this worker claimed the execution again.
          if (this.active.get(id) !== controller) return;
          this.active.delete(id);
          this.leases.delete(id);
          this.options.metrics.workerSlotsBusy.set(this.active.size);
        };
      },
      holdsLease: (held) => {
        const lease = this.leases.get(held.id);
        return lease?.claimedAt === claimTime(held) && Date.now() < lease.expiresAt;
      },
    };
    const run = runExecution(context, execution)
      .catch((error: unknown) =>
        this.options.logger.error({ err: coerceError(error) }, 'execution run failed'),
      )
      .finally(() => {
        this.inFlight.delete(run);
        this.wakeup.notify();
      });
    this.inFlight.add(run);
    // A cancel may have been requested between the claim and now.
    if (execution.cancelRequestedAt) void this.checkCancel(execution.id);
  }

  /** Ends an execution of this worker whose cancellation was requested. */
  private async checkCancel(id: number | undefined): Promise<void> {
    if (id === undefined) return;
    const controller = this.active.get(id);
    if (!controller || controller.signal.aborted) return;
    const execution = await getExecution(this.options.db, id).catch(() => undefined);
    if (execution?.cancelRequestedAt) {
      controller.abort({ kind: 'cancel', by: execution.cancelRequestedBy ?? 'someone' } satisfies StopReason);
    }
  }

  /**
   * Renews this worker's leases. A cancel requested through another process is noticed here,
   * and so is a lease this worker lost while it could not reach the database.
   */
  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const ids = [...this.active.keys()];
      let leaseExpiresAt = 0;
      // A lost connection is retried at once (100 ms, 250 ms…), not at the next renewal: the
      // worker lets go of a lease it could not renew in time, so a blip must not cost a third
      // of the lease. Bounded by the lease, past which a renewal no longer matters here.
      const { renewed, cancelRequested } = await withReconnect(() => {
        // Read before the statement is sent, so the expiry kept here is never later than the stored one.
        leaseExpiresAt = Date.now() + this.options.config.leaseMs;
        return renewLeases(this.options.db, this.name, ids, leaseExpiresAt);
      }, this.options.config.leaseMs);
      const kept = new Set(renewed);
      // Only a lease still held here is extended: one past due was let go, whatever the database says.
      for (const id of renewed) {
        const lease = this.leases.get(id);
        if (lease && lease.expiresAt > Date.now()) lease.expiresAt = leaseExpiresAt;
      }
      for (const id of ids.filter((candidate) => !kept.has(candidate))) {
        // Not renewed: either it finished here a moment ago (harmless: its outcome is recorded
        // before it leaves `active`), or recovery took it from us while we were unreachable.
        const execution = await getExecution(this.options.db, id);
        if (execution?.leaseOwner !== this.name) {
          this.active.get(id)?.abort({ kind: 'lease-lost' } satisfies StopReason);
        }
      }
      for (const id of cancelRequested) await this.checkCancel(id);
    } catch (error) {
      this.options.logger.warn({ err: coerceError(error) }, 'renewing leases failed; will retry');
    } finally {
      this.renewing = false;
    }
  }

  /**
   * Lets go of every execution whose lease is past due by this worker's clock and was not
   * renewed: recovery may already have handed it to another worker. Its step is ended, and
   * nothing more about it is written (every write first asks `holdsLease`).
   */
  private enforceLeases(): void {
    const now = Date.now();
    for (const [id, controller] of this.active) {
      if (controller.signal.aborted || (this.leases.get(id)?.expiresAt ?? -Infinity) > now) continue;
      this.options.logger.warn(
        { execution: id, worker: this.name },
        'lease past due and not renewed: ending the execution here, which writes nothing more',
      );
      controller.abort({ kind: 'lease-lost' } satisfies StopReason);
    }
  }

  /** Ends step processes on this host whose worker died (their execution is no longer leased). */
  private async endOrphans(): Promise<void> {
    try {
      for (const orphan of await findOrphanedProcesses(this.options.db, os.hostname(), Date.now())) {
        if (this.active.has(orphan.executionId)) continue;
        if (await endOrphanedTree(orphan.pid, orphan.startTime)) {
          this.options.logger.warn(orphan, 'ended the process tree of a step whose worker was lost');
        }
        // A re-queued execution's record stays for its retry, which ends the tree (if this sweep
        // did not) and says in the log that the earlier run was ended.
        if (!orphan.requeued) await clearStepProcess(this.options.db, orphan.executionId, orphan.index);
      }
    } catch (error) {
      this.options.logger.warn(
        { err: coerceError(error) },
        'looking for orphaned processes failed; will retry',
      );
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      await heartbeatWorker(this.options.db, this.name, this.active.size, Date.now());
    } catch (error) {
      this.options.logger.warn({ err: coerceError(error) }, 'worker heartbeat failed; will retry');
    }
  }
}
