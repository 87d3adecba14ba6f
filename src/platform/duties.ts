/**
 * Duties that must run once across all Baton processes (lease recovery, retention): every
 * server and worker offers to do them, and whoever holds the unexpired lease row does. A row
 * lease rather than an advisory lock because it works the same on SQLite and PostgreSQL and is
 * not tied to one pooled connection; a holder that dies simply stops renewing it. The lease's
 * SQL is duties/store.ts.
 */
import type { Db } from './db/database.js';
import { acquireDutyLease, releaseDutyLease } from './duties/store.js';
import { coerceError } from './errors.js';
import type { Logger } from './logging.js';
import type { Metrics } from './metrics.js';

export interface Duty {
  name: string;
  everyMs: number;
  run(now: number): Promise<void>;
}

/** The lease servers and standalone workers share; a Duties for servers only names its own. */
const DEFAULT_LEASE = 'maintenance';

export class Duties {
  private readonly duties: (Duty & { lastRun: number })[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private holding = false;

  constructor(
    private readonly options: {
      db: Db;
      owner: string;
      logger: Logger;
      metrics: Metrics;
      tickMs?: number;
      /** The lease row's name; processes offering the same duties name the same lease. */
      lease?: string;
    },
  ) {}

  private get lease(): string {
    return this.options.lease ?? DEFAULT_LEASE;
  }

  add(duty: Duty): void {
    this.duties.push({ ...duty, lastRun: 0 });
  }

  /** Whether this process currently holds the duties. */
  get isHolder(): boolean {
    return this.holding;
  }

  start(): void {
    const tickMs = this.options.tickMs ?? 1000;
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    if (this.holding)
      await releaseDutyLease(this.options.db, this.lease, this.options.owner).catch(() => undefined);
    this.holding = false;
  }

  private async tick(): Promise<void> {
    const { db, owner, logger, metrics } = this.options;
    const now = Date.now();
    try {
      // The lease outlives a few ticks, so a holder that pauses briefly (GC, a slow query) keeps it.
      this.holding = await acquireDutyLease(db, this.lease, owner, now, 10 * (this.options.tickMs ?? 1000));
    } catch (error) {
      this.holding = false;
      logger.warn({ err: coerceError(error) }, 'could not take the duty lease; will retry');
      return;
    }
    if (!this.holding) return;
    for (const duty of this.duties) {
      if (now - duty.lastRun < duty.everyMs) continue;
      duty.lastRun = now;
      try {
        await duty.run(now);
        metrics.dutyRuns.inc({ duty: duty.name });
      } catch (error) {
        logger.warn({ err: coerceError(error), duty: duty.name }, 'duty failed; will retry');
      }
    }
  }
}
