/**
 * The delivery loop every server runs: it claims due deliveries, sends them concurrently, and
 * records each attempt. Executions only ever insert rows; nothing here is awaited by them, so a
 * receiver that is slow, down or hanging costs the receiver's own deliveries and nothing else.
 */
import type { Keyring } from '../../access/secrets/keyring.js';
import type { Db } from '../../platform/db/database.js';
import { coerceError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import { openSecret } from '../secrets/delivery.js';
import { send, type SendResult } from './channels.js';
import { executionUrl } from './payload.js';
import { claimDueDeliveries, recordAttempt, type DueDelivery } from './store.js';

export interface DispatcherOptions {
  db: Db;
  keyring: Keyring;
  events: EventBus;
  logger: Logger;
  metrics: Metrics;
  /** This process's name: who holds a claimed delivery. */
  owner: string;
  /** Waits before the 2nd, 3rd, … attempt; after the last, the delivery has failed. */
  backoffMs: number[];
  /** An attempt that takes longer is cut and counts as failed. */
  timeoutMs: number;
  /** BATON_PUBLIC_URL: links in notifications point under it. */
  publicUrl?: string | undefined;
  /** How often the loop looks for due deliveries without being woken. */
  pollMs: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
}

/** The wait before attempt `attempts + 1`, with ±20% jitter so retries of one outage spread out. */
export function retryDelay(
  backoffMs: readonly number[],
  attempts: number,
  random = Math.random,
): number | null {
  const base = backoffMs[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Replaces every occurrence of the secret values in a message. */
export function redact(message: string, secrets: Iterable<string>): string {
  let redacted = message;
  for (const value of secrets) {
    if (value.length > 0) redacted = redacted.split(value).join('***');
  }
  return redacted;
}

export class NotificationDispatcher {
  private running = false;
  private loopDone: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // A state change is when new deliveries appear; the event is a hint, the poll the guarantee.
    this.unsubscribe = this.options.events.subscribe('execution', () => this.wake?.());
    this.loopDone = this.loop();
  }

  /** Stops claiming and waits for the attempts in flight (each is bounded by the timeout). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loopDone;
    await Promise.all(this.inFlight);
  }

  private async loop(): Promise<void> {
    const { db, owner, logger, timeoutMs, pollMs, concurrency = 8 } = this.options;
    while (this.running) {
      const free = concurrency - this.inFlight.size;
      let claimed: DueDelivery[] = [];
      if (free > 0) {
        const now = Date.now();
        try {
          // Email may spend the timeout on connecting, greeting and sending: claim for all three.
          claimed = await claimDueDeliveries(db, owner, now, now + 4 * timeoutMs + 10_000, free);
        } catch (error) {
          logger.warn({ err: coerceError(error) }, 'claiming notification deliveries failed; retrying');
        }
      }
      for (const delivery of claimed) {
        const attempt = this.attempt(delivery).finally(() => {
          this.inFlight.delete(attempt);
          this.wake?.();
        });
        this.inFlight.add(attempt);
      }
      if (claimed.length > 0 && claimed.length === free) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** Sends one delivery and records the attempt; never throws. */
  private async attempt(delivery: DueDelivery): Promise<void> {
    const { db, keyring, logger, backoffMs, timeoutMs } = this.options;
    const secrets = new Set<string>();
    const started = Date.now();
    let result: SendResult;
    try {
      result = await send({
        deliveryId: delivery.id,
        event: delivery.event,
        target: delivery.target,
        payload: { ...delivery.payload, url: executionUrl(this.options.publicUrl, delivery.payload.id) },
        timeoutMs,
        now: Date.now,
        secret: async (path) => {
          const value = await openSecret(db, keyring, path);
          secrets.add(value);
          return value;
        },
      });
    } catch (error) {
      result = { statusCode: null, error: coerceError(error).message };
    }
    const durationMs = Date.now() - started;
    const error = result.error === null ? null : redact(result.error, secrets).slice(0, 1000);
    const attempts = delivery.attempts + 1;
    const delay = error === null ? null : retryDelay(backoffMs, attempts);
    const finished = Date.now();
    try {
      await recordAttempt(db, delivery, {
        at: started,
        durationMs,
        statusCode: result.statusCode,
        error,
        retryAt: delay === null ? null : finished + delay,
      });
    } catch (recordError) {
      // The claim expires and another pass sends it again: at least once, never lost.
      logger.warn(
        { err: coerceError(recordError), delivery: delivery.id },
        'could not record a notification attempt',
      );
      return;
    }
    const outcome = error === null ? 'delivered' : delay === null ? 'gave_up' : 'retry';
    this.options.metrics.notificationAttempts.inc({ channel: delivery.channel, outcome });
    if (error !== null) {
      logger.warn(
        { delivery: delivery.id, event: delivery.event, channel: delivery.channel, attempt: attempts, error },
        delay === null
          ? 'notification delivery failed; giving up'
          : 'notification delivery failed; will retry',
      );
    }
  }
}
