/**
 * Wake-ups between the parts of Baton: a queued execution wakes a worker, a new log line wakes
 * its followers, a cancel request reaches the worker running it. In one process this is an
 * in-memory emitter; with several processes on PostgreSQL the same topics travel over
 * LISTEN/NOTIFY. Events are hints: every receiver re-reads the database, so a lost event only
 * costs the delay until the next poll.
 */
import { EventEmitter } from 'node:events';

export type Topic =
  /** Something became claimable. */
  | 'queue'
  /** An execution changed state; payload is its id. */
  | 'execution'
  /** Log lines were appended; payload is the execution id. */
  | 'log'
  /** Cancel was requested; payload is the execution id. */
  | 'cancel'
  /** Teams, policies or project owners changed: reload what authorization decides from. */
  | 'access'
  /** Schedules were applied: schedulers look again at when to wake. */
  | 'schedules';

export interface EventBus {
  publish(topic: Topic, id?: number): void;
  /** Returns the function that unsubscribes. */
  subscribe(topic: Topic, handler: (id: number | undefined) => void): () => void;
}

/** The in-process bus used by a single server. */
export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every log follower subscribes; hundreds of followers are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  publish(topic: Topic, id?: number): void {
    this.emitter.emit(topic, id);
  }

  subscribe(topic: Topic, handler: (id: number | undefined) => void): () => void {
    this.emitter.on(topic, handler);
    return () => this.emitter.off(topic, handler);
  }
}
