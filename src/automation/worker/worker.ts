/**
 * A worker claims queued executions and runs them, up to its concurrency. The server runs one
 * inside itself; `baton worker` (scale-out) runs the same class on its own.
 *
 * Claims carry a lease that the worker renews; a lease left to expire means its worker is gone,
 * and any worker's recovery sweep fails that execution with the reason, so nothing stays
 * "running" forever.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { claimExecutions, getExecution, recoverExpiredLeases, renewLeases } from '../executions/store.js';
import type { Execution } from '../executions/model.js';
import { coerceError } from '../../platform/errors.js';
import { runExecution, type RunContext } from './run-execution.js';
import type { StopReason } from './step-process.js';

export interface WorkerOptions extends Omit<RunContext, 'owner' | 'track'> {
  concurrency: number;
  name?: string;
  /** Fallback poll when no wake-up arrives (another process queued work, a backoff elapsed). */
  pollMs?: number;
}

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
  private readonly active = new Map<number, AbortController>();
  /** Top-level executions in flight; nested children run inside their parent's slot. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly wakeup = new Wakeup();
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: WorkerOptions) {
    this.name = options.name ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  /** Executions this worker is running now (including nested ones). */
  get running(): number[] {
    return [...this.active.keys()];
  }

  start(): void {
    const { events, config } = this.options;
    this.unsubscribe.push(events.subscribe('queue', () => this.wakeup.notify()));
    this.unsubscribe.push(events.subscribe('cancel', (id) => void this.checkCancel(id)));
    const leaseEvery = Math.max(200, Math.floor(config.leaseMs / 3));
    this.timers.push(setInterval(() => void this.renew(), leaseEvery));
    this.timers.push(setInterval(() => void this.recover(), Math.max(500, Math.floor(config.leaseMs / 2))));
    void this.recover();
    this.loopDone = this.loop();
  }

  /**
   * Stops claiming and ends what is running: its process trees are terminated and the
   * executions recorded as failed ("worker stopped"), never left running.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const controller of this.active.values())
      controller.abort({ kind: 'shutdown' } satisfies StopReason);
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
    for (const timer of this.timers) clearInterval(timer);
  }

  private async loop(): Promise<void> {
    const { concurrency, pollMs = 1000 } = this.options;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      let claimed: Execution[] = [];
      if (free > 0) {
        try {
          const now = Date.now();
          claimed = await claimExecutions(this.options.db, this.options.caps, {
            owner: this.name,
            now,
            leaseExpiresAt: now + this.options.config.leaseMs,
            limit: Math.min(free, 16),
          });
        } catch (error) {
          this.options.logger.error({ err: coerceError(error) }, 'claiming executions failed; retrying');
        }
        for (const execution of claimed) this.launch(execution);
      }
      // A full batch suggests more work is waiting: claim again at once.
      if (claimed.length > 0 && claimed.length === Math.min(free, 16)) continue;
      await this.wakeup.wait(pollMs);
    }
  }

  private launch(execution: Execution): void {
    this.options.events.publish('execution', execution.id);
    const context: RunContext = {
      ...this.options,
      owner: this.name,
      track: (id, controller) => {
        this.active.set(id, controller);
        this.options.metrics.workerSlotsBusy.set(this.active.size);
        return () => {
          this.active.delete(id);
          this.options.metrics.workerSlotsBusy.set(this.active.size);
        };
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

  /** Renews this worker's leases; a cancel requested through another process is noticed here. */
  private async renew(): Promise<void> {
    try {
      const ids = [...this.active.keys()];
      const leaseExpiresAt = Date.now() + this.options.config.leaseMs;
      const { cancelRequested } = await renewLeases(this.options.db, this.name, ids, leaseExpiresAt);
      for (const id of cancelRequested) await this.checkCancel(id);
    } catch (error) {
      this.options.logger.warn({ err: coerceError(error) }, 'renewing leases failed; will retry');
    }
  }

  /** Fails executions whose worker stopped renewing its lease (crashed, killed, cut off). */
  private async recover(): Promise<void> {
    try {
      const recovered = await recoverExpiredLeases(
        this.options.db,
        Date.now(),
        'worker lost: its lease expired',
      );
      for (const execution of recovered) {
        this.options.logger.warn({ execution: execution.id }, 'recovered an execution whose worker was lost');
        this.options.metrics.executionsFinished.inc({ state: 'failed' });
        this.options.events.publish('execution', execution.id);
      }
    } catch (error) {
      this.options.logger.warn({ err: coerceError(error) }, 'lease recovery failed; will retry');
    }
  }
}
