/**
 * Schedules with several servers, as operators run them: two `baton server` processes on one
 * PostgreSQL database both run a scheduler and both wake at every tick of every-second
 * schedules. Every tick must produce exactly one execution: none twice, none missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBaton, Cluster, eventually, type BuiltBaton, type ServerProcess } from './processes.js';

let built: BuiltBaton;
let cluster: Cluster | undefined;

beforeAll(async () => {
  built = await buildBaton();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await built?.remove();
}, 60_000);

const SCHEDULES = 10;
const TICKS = 6;

interface QueuedFire {
  schedule: string;
  scheduledAt: string;
  execution: number;
  as: string;
}

function scheduleDocument(name: string, enabled: boolean): string {
  return JSON.stringify({
    apiVersion: 'baton/v1',
    kind: 'Schedule',
    metadata: { name, project: 'scale' },
    spec: { job: 'tick', cron: '* * * * * *', enabled, options: { note: name } },
  });
}

/** Every fire that queued an execution, from the audit trail each fire transaction appends to. */
async function auditedFires(cluster: Cluster): Promise<QueuedFire[]> {
  const rows = await cluster.query<{
    summary: { queued: QueuedFire[]; refused: unknown[]; skipped: unknown[] };
  }>(`SELECT summary FROM audit_events WHERE action = 'schedule.fire' ORDER BY seq`);
  for (const row of rows) {
    expect(row.summary.refused).toEqual([]);
    expect(row.summary.skipped).toEqual([]);
  }
  return rows.flatMap((row) => row.summary.queued);
}

/** `baton_schedule_fires_total{outcome="queued"}` of one server. */
async function queuedBy(cluster: Cluster, server: ServerProcess): Promise<number> {
  const response = await cluster.request<string>(server, 'GET', '/metrics');
  const match = /^baton_schedule_fires_total\{outcome="queued"\} (\d+)/m.exec(response.body);
  return Number(match?.[1] ?? 0);
}

describe('schedules on two servers', () => {
  it('queue exactly one execution per tick', async () => {
    cluster = await Cluster.create(built);
    const first = await cluster.startServer({ worker: false });
    const second = await cluster.startServer({ worker: false });
    const names = Array.from({ length: SCHEDULES }, (_, index) => `every-second-${index}`);
    // No fire is for a time before the schedules existed (no catching up from the epoch).
    const applying = Date.now();
    await cluster.apply(
      first,
      cluster.jobDocument('tick', {
        options: [{ name: 'note', type: 'string' }],
        steps: [{ name: 'main', script: 'true' }],
      }),
      ...names.map((name) => scheduleDocument(name, true)),
    );

    await eventually(
      `${TICKS} ticks of every schedule`,
      async () => {
        const fires = await auditedFires(cluster!);
        return names.every(
          (name) => fires.filter((fire) => fire.schedule === `scale/${name}`).length >= TICKS,
        )
          ? true
          : undefined;
      },
      60_000,
      200,
    );
    // Disabling commits after any fire in flight (it waits for the rows a fire has locked), so
    // nothing fires once this returns.
    await cluster.apply(second, ...names.map((name) => scheduleDocument(name, false)));

    const fires = await auditedFires(cluster);
    const executions = await cluster.query<{ id: number; requested_by: string; options: { note: string } }>(
      `SELECT id, requested_by, options FROM executions ORDER BY id`,
    );
    // Every execution was queued by exactly one audited fire, and every audited fire queued one.
    expect(executions.map((execution) => execution.id)).toEqual(
      fires.map((fire) => fire.execution).sort((a, b) => a - b),
    );
    const byId = new Map(fires.map((fire) => [fire.execution, fire]));
    for (const execution of executions) {
      const fire = byId.get(execution.id)!;
      expect(`scale/${execution.options.note}`).toBe(fire.schedule);
      expect(execution.requested_by).toBe('admin');
    }
    for (const name of names) {
      const seconds = fires
        .filter((fire) => fire.schedule === `scale/${name}`)
        .map((fire) => Date.parse(fire.scheduledAt) / 1000);
      expect(seconds.length).toBeGreaterThanOrEqual(TICKS);
      expect(seconds[0]! * 1000).toBeGreaterThan(applying);
      // One execution for each second, in order: no second twice, none skipped.
      expect(
        seconds.slice(1).map((second, index) => second - seconds[index]!),
        name,
      ).toEqual(seconds.slice(1).map(() => 1));
    }
    // Both servers tried every tick; the database let one of them queue each.
    const [byFirst, bySecond] = [await queuedBy(cluster, first), await queuedBy(cluster, second)];
    expect(byFirst + bySecond).toBe(executions.length);
    console.info(
      `schedules on two servers: ${executions.length} executions, ${byFirst} queued by the first server, ${bySecond} by the second`,
    );
  }, 120_000);
});
