/** SQL for the worker registry: workers register, send heartbeats, stop, and are forgotten. */
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { WorkerInfo } from './registry.js';

export async function registerWorker(
  db: Db,
  worker: Omit<WorkerInfo, 'running' | 'stoppedAt' | 'heartbeatAt'>,
): Promise<void> {
  const now = worker.startedAt.getTime();
  const values = {
    host: worker.host,
    pid: worker.pid,
    groups: JSON.stringify(worker.groups),
    concurrency: worker.concurrency,
    running: 0,
    version: worker.version,
    embedded: worker.embedded ? 1 : 0,
    started_at: now,
    heartbeat_at: now,
    stopped_at: null,
  };
  await db
    .insertInto('workers')
    .values({ name: worker.name, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
}

export async function heartbeatWorker(db: Db, name: string, running: number, now: number): Promise<void> {
  await db.updateTable('workers').set({ heartbeat_at: now, running }).where('name', '=', name).execute();
}

export async function markWorkerStopped(db: Db, name: string, now: number): Promise<void> {
  await db.updateTable('workers').set({ stopped_at: now, running: 0 }).where('name', '=', name).execute();
}

/** Every registered worker, newest heartbeat first. */
export async function listWorkers(db: Db): Promise<WorkerInfo[]> {
  const rows = await db.selectFrom('workers').selectAll().orderBy('heartbeat_at', 'desc').execute();
  return rows.map((row) => ({
    name: row.name,
    host: row.host,
    pid: row.pid,
    groups: readJson<string[]>(row.groups),
    concurrency: row.concurrency,
    running: row.running,
    version: row.version,
    embedded: row.embedded === 1,
    startedAt: new Date(row.started_at),
    heartbeatAt: new Date(row.heartbeat_at),
    stoppedAt: row.stopped_at === null ? null : new Date(row.stopped_at),
  }));
}

/** Forgets workers that stopped or vanished long ago. */
export async function deleteGoneWorkers(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('workers').where('heartbeat_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
