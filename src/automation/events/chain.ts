/**
 * The chain loop every server runs: finished executions carry a flag set in the same statement
 * as their finish (by whichever worker process ran them); this loop evaluates rules on them and
 * clears the flag in the transaction that records what fired. A crash between the finish and
 * the evaluation loses nothing (the flag stays), and two servers never both fire (one clears it).
 */
import { coerceError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logging.js';
import type { Db } from '../../platform/db/database.js';
import type { EventService } from './service.js';
import { clearChainFlags, listChainPending } from '../executions/store.js';
import { listWatchedJobs } from './store.js';

/** How often the loop looks without being woken: finishes on another process wake us only on PostgreSQL. */
const POLL_MS = 1_000;
const BATCH = 50;

export class ChainLoop {
  private running = false;
  private done: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly options: {
      db: Db;
      events: EventBus;
      service: EventService;
      logger: Logger;
      pollMs?: number;
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.events.subscribe('execution', () => this.wake?.());
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.done;
  }

  /** Evaluates every pending finished execution; returns how many this call handled. */
  async runOnce(): Promise<number> {
    let handled = 0;
    for (;;) {
      const pending = await listChainPending(this.options.db, BATCH);
      if (pending.length === 0) return handled;
      // Most finishes are of jobs no rule watches: their flags go in one statement, not one
      // evaluation each (a rule applied meanwhile is read here, as an evaluation would).
      const watched = await listWatchedJobs(this.options.db);
      const unwatched = pending
        .filter((execution) => !watched.has(execution.job))
        .map((execution) => execution.id);
      await clearChainFlags(this.options.db, unwatched);
      handled += unwatched.length;
      let progressed = unwatched.length > 0;
      for (const { id } of pending.filter((execution) => watched.has(execution.job))) {
        if (!this.running && handled > 0) return handled;
        try {
          if (await this.options.service.evaluateFinished(id)) handled++;
          progressed = true;
        } catch (error) {
          // The flag stays: the next pass tries again (a rule's job may be fixed meanwhile).
          this.options.logger.warn(
            { err: coerceError(error), execution: id },
            'evaluating rules on a finished execution failed',
          );
        }
      }
      if (pending.length < BATCH || !progressed) return handled;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.runOnce();
      } catch (error) {
        this.options.logger.warn({ err: coerceError(error) }, 'chain loop failed; retrying');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.pollMs ?? POLL_MS);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }
}
