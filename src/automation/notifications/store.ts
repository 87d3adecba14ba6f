/**
 * SQL for notification deliveries: the outbox a state change writes to, the claim a dispatcher
 * takes on due rows, and the record of every attempt.
 */
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { Execution } from '../executions/model.js';
import { getExecution } from '../executions/store.js';
import {
  channelOf,
  type NotificationAttempt,
  type NotificationChannel,
  type NotificationDelivery,
  type NotificationEvent,
  type NotificationSpec,
} from './model.js';
import { executionPayload, type ExecutionPayload } from './payload.js';

/** A claimed delivery, as the dispatcher sends it. */
export interface DueDelivery {
  id: number;
  event: NotificationEvent;
  channel: NotificationChannel;
  target: NotificationSpec;
  payload: ExecutionPayload;
  attempts: number;
}

/**
 * Inserts one pending delivery per notification of the execution's job and project that asks
 * for the event. Idempotent: recording the same state change twice inserts nothing new.
 * Returns how many notifications asked for the event.
 */
export async function enqueueNotifications(
  db: Db,
  execution: Execution,
  event: NotificationEvent,
  options: { now: number },
): Promise<number> {
  const project = await db
    .selectFrom('projects')
    .select('notifications')
    .where('name', '=', execution.project)
    .executeTakeFirst();
  const sources: { source: 'job' | 'project'; notifications: NotificationSpec[] }[] = [
    { source: 'job', notifications: execution.spec.notifications ?? [] },
    {
      source: 'project',
      notifications: project?.notifications ? readJson<NotificationSpec[]>(project.notifications) : [],
    },
  ];
  const rows = sources.flatMap(({ source, notifications }) =>
    notifications.flatMap((notification, index) =>
      (notification.on as string[]).includes(event) ? [{ source, index, notification }] : [],
    ),
  );
  if (rows.length === 0) return 0;
  const payload = JSON.stringify(executionPayload(execution));
  await db
    .insertInto('notification_deliveries')
    .values(
      rows.map(({ source, index, notification }) => ({
        execution_id: execution.id,
        project: execution.project,
        job_name: execution.job,
        event,
        channel: channelOf(notification),
        source,
        source_index: index,
        target: JSON.stringify(notification),
        payload,
        status: 'pending',
        attempts: 0,
        next_attempt_at: options.now,
        created_at: options.now,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(['execution_id', 'event', 'source', 'source_index']).doNothing(),
    )
    .execute();
  return rows.length;
}

/** Reads the execution and enqueues its notifications for the event (see enqueueNotifications). */
export async function enqueueForExecution(
  db: Db,
  executionId: number,
  event: NotificationEvent,
  options: { now: number },
): Promise<number> {
  const execution = await getExecution(db, executionId);
  return execution ? enqueueNotifications(db, execution, event, options) : 0;
}

/**
 * Claims up to `limit` due deliveries for `owner` until `until`. Each row is claimed by a
 * conditional update, so two dispatchers racing for one row cannot both win it.
 */
export async function claimDueDeliveries(
  db: Db,
  owner: string,
  now: number,
  until: number,
  limit: number,
): Promise<DueDelivery[]> {
  const candidates = await db
    .selectFrom('notification_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  const claimed: DueDelivery[] = [];
  for (const { id } of candidates) {
    const won = await db
      .updateTable('notification_deliveries')
      .set({ claimed_by: owner, claimed_until: until })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) continue;
    const row = await db
      .selectFrom('notification_deliveries')
      .select(['id', 'event', 'channel', 'target', 'payload', 'attempts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    claimed.push({
      id: row.id,
      event: row.event as NotificationEvent,
      channel: row.channel as NotificationChannel,
      target: readJson<NotificationSpec>(row.target),
      payload: readJson<ExecutionPayload>(row.payload),
      attempts: row.attempts,
    });
  }
  return claimed;
}

/** The outcome of one attempt, as recorded. */
export interface AttemptOutcome {
  at: number;
  durationMs: number;
  statusCode: number | null;
  /** Null when the receiver accepted it. */
  error: string | null;
  /** When to try again; null when delivered or when this was the last attempt. */
  retryAt: number | null;
}

/** Records an attempt and moves the delivery on: delivered, pending again, or failed for good. */
export async function recordAttempt(
  db: Db,
  delivery: Pick<DueDelivery, 'id' | 'attempts'>,
  outcome: AttemptOutcome,
): Promise<void> {
  const attempt = delivery.attempts + 1;
  const status = outcome.error === null ? 'delivered' : outcome.retryAt === null ? 'failed' : 'pending';
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('notification_attempts')
      .values({
        delivery_id: delivery.id,
        attempt,
        at: outcome.at,
        duration_ms: Math.round(outcome.durationMs),
        status_code: outcome.statusCode,
        error: outcome.error,
      })
      .execute();
    await trx
      .updateTable('notification_deliveries')
      .set({
        status,
        attempts: attempt,
        next_attempt_at: status === 'pending' ? outcome.retryAt : null,
        claimed_by: null,
        claimed_until: null,
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        ...(status === 'delivered' && { delivered_at: outcome.at + Math.round(outcome.durationMs) }),
      })
      .where('id', '=', delivery.id)
      .execute();
  });
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** Where a notification goes, without credentials. */
function destinationOf(target: NotificationSpec): string {
  if (target.webhook) return target.webhook.url;
  if (target.email) return target.email.to.join(', ');
  return 'slack';
}

/** The deliveries of an execution with their attempts, oldest first. */
export async function listDeliveries(db: Db, executionId: number): Promise<NotificationDelivery[]> {
  const rows = await db
    .selectFrom('notification_deliveries')
    .selectAll()
    .where('execution_id', '=', executionId)
    .orderBy('id')
    .execute();
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('notification_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('delivery_id')
    .orderBy('attempt')
    .execute();
  const history = new Map<number, NotificationAttempt[]>();
  for (const attempt of attempts) {
    const list = history.get(attempt.delivery_id) ?? [];
    list.push({
      attempt: attempt.attempt,
      at: new Date(attempt.at),
      durationMs: attempt.duration_ms,
      statusCode: attempt.status_code,
      error: attempt.error,
    });
    history.set(attempt.delivery_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    executionId: row.execution_id,
    event: row.event as NotificationEvent,
    channel: row.channel as NotificationChannel,
    source: row.source as 'job' | 'project',
    destination: destinationOf(readJson<NotificationSpec>(row.target)),
    status: row.status as NotificationDelivery['status'],
    attempts: row.attempts,
    nextAttemptAt: date(row.next_attempt_at),
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
    createdAt: new Date(row.created_at),
    deliveredAt: date(row.delivered_at),
    history: history.get(row.id) ?? [],
  }));
}
