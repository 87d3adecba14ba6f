/**
 * The event bus across processes on PostgreSQL: LISTEN/NOTIFY. Every process listens on one
 * channel per schema; a publish is delivered locally at once and to the other processes through
 * NOTIFY. Notifications are hints (receivers re-read the database), so when the listening
 * connection drops, a reconnect publishes a local 'queue' and 'log' wake-up to cover anything
 * missed meanwhile.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LocalEventBus, type EventBus, type Topic } from '../events.js';
import type { Logger } from '../logging.js';

const TOPICS: ReadonlySet<string> = new Set<Topic>([
  'queue',
  'execution',
  'log',
  'cancel',
  'access',
  'schedules',
]);

export class PostgresEventBus implements EventBus {
  private readonly local = new LocalEventBus();
  /** Tags our own notifications so that we do not deliver them twice. */
  private readonly origin = randomBytes(4).toString('hex');
  private readonly channel: string;
  private listener: pg.Client | undefined;
  private outbox = new Set<string>();
  private flushing = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: pg.ClientConfig,
    schema: string | undefined,
    private readonly logger: Logger,
  ) {
    // One channel per schema: test suites and tenants sharing a database must not wake each other.
    this.channel = `baton_${(schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 63);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.flush();
    await this.listener?.end().catch(() => undefined);
  }

  publish(topic: Topic, id?: number): void {
    this.local.publish(topic, id);
    // Coalesced per tick: a burst of 'queue' wake-ups from one request becomes one NOTIFY.
    this.outbox.add(`${this.origin}|${topic}|${id ?? ''}`);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  subscribe(topic: Topic, handler: (id: number | undefined) => void): () => void {
    return this.local.subscribe(topic, handler);
  }

  private async flush(): Promise<void> {
    const payloads = [...this.outbox];
    this.outbox = new Set();
    this.flushing = false;
    if (payloads.length === 0) return;
    try {
      const placeholders = payloads.map((_, index) => `pg_notify($1, $${index + 2})`).join(', ');
      await this.pool.query(`SELECT ${placeholders}`, [this.channel, ...payloads]);
    } catch (error) {
      // Other processes fall back to polling; nothing is lost but a little time.
      this.logger.debug({ err: error }, 'NOTIFY failed');
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.connection);
    client.on('notification', (message) => this.deliver(message.payload));
    client.on('error', () => this.scheduleReconnect(client));
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.listener = client;
      // Anything published while we were not listening is picked up by re-reading now.
      this.local.publish('queue');
      this.local.publish('log');
    } catch (error) {
      this.logger.warn({ err: error }, 'LISTEN failed; retrying');
      await client.end().catch(() => undefined);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.stopped || this.reconnectTimer || (this.listener && this.listener !== client)) return;
    this.listener = undefined;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, 500);
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return;
    const [origin, topic, id] = payload.split('|');
    if (origin === this.origin || !topic || !TOPICS.has(topic)) return;
    this.local.publish(topic as Topic, id ? Number(id) : undefined);
  }
}
