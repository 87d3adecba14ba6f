/**
 * Fire lateness under a burst: 1,000 schedules due in the same second, fired by one server's
 * scheduler (in this process, no worker, so that only firing is measured), on SQLite and on
 * PostgreSQL. Lateness is the time from the due second to the moment the execution is queued
 * (its `execution` event, published right after the fire's transaction commits).
 *
 * Baselines measured in the same run: a single schedule due alone (what the scheduler's timer,
 * one transaction and the event cost), and a bare `setTimeout` aimed at a whole second (what the
 * event loop alone costs). For information, the same burst fired one transaction per schedule
 * (batch size 1) shows what the batched claim saves.
 *
 * The schedules are applied as documents with a yearly expression, then their `next_fire_at`
 * is set to the same second, as 1,000 schedules with the same expression reach it together:
 * waiting for a real shared minute would make each round last up to a minute.
 * BENCH_SCHEDULES and BENCH_SCHEDULE_ROUNDS size it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Scheduler } from '../src/automation/schedules/scheduler.js';
import {
  PROJECT,
  compare,
  limit,
  percentile,
  printTable,
  progress,
  startInProcessServer,
  type Comparison,
  type InProcessServer,
} from './harness.js';
import { createSchema, postgresUnavailable, type BenchSchema } from './postgres.js';

const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 1000);
const ROUNDS = Number(process.env.BENCH_SCHEDULE_ROUNDS ?? 3);
/** Rounds of the single-schedule and setTimeout baselines (cheap, so more of them). */
const BASELINE_ROUNDS = 10;
/** How far ahead a burst is set: room for the scheduler to go to sleep before it. */
const LEAD_MS = 1500;

interface Lateness {
  p50: number;
  p99: number;
  max: number;
}

export interface SchedulesResult {
  schedules: number;
  rounds: number;
  setTimeout: Lateness;
  sqlite?: BackendResult;
  postgres?: BackendResult | { skipped: string };
  comparisons: Comparison[];
}

interface BackendResult {
  single: Lateness;
  burst: Lateness;
  oneTransactionEach: Lateness;
}

function summary(samples: readonly number[]): Lateness {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

/** The next whole second at least LEAD_MS away. */
function nextSecond(): number {
  return Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
}

function documents(count: number, prefix: string): string {
  const job = `apiVersion: baton/v1
kind: Job
metadata: { name: tick, project: ${PROJECT} }
spec:
  steps: [{ name: main, script: "true" }]
`;
  const schedules = Array.from(
    { length: count },
    (_, index) => `---
apiVersion: baton/v1
kind: Schedule
metadata: { name: ${prefix}-${index}, project: ${PROJECT} }
spec: { job: tick, cron: "0 0 1 1 *" }
`,
  );
  return [job, ...schedules].join('');
}

/**
 * Sets every schedule whose name starts with `prefix` due at the next whole second, wakes the
 * scheduler, and returns the lateness (ms) of each fire, from its `execution` event.
 */
async function burst(server: InProcessServer, prefix: string, expected: number): Promise<number[]> {
  const { db, events } = server.baton;
  await db.deleteFrom('execution_steps').execute();
  await db.deleteFrom('executions').execute();
  const dueAt = nextSecond();
  await db
    .updateTable('schedules')
    .set({ next_fire_at: dueAt })
    .where('name', 'like', `${prefix}-%`)
    .execute();
  const queuedAt: number[] = [];
  const unsubscribe = events.subscribe('execution', () => queuedAt.push(Date.now()));
  events.publish('schedules');
  try {
    const deadline = dueAt + 120_000;
    while (queuedAt.length < expected) {
      if (Date.now() > deadline) throw new Error(`only ${queuedAt.length} of ${expected} fires in 2 minutes`);
      await sleep(20);
    }
  } finally {
    unsubscribe();
  }
  const stored = await db
    .selectFrom('executions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirst();
  if (Number(stored?.count) !== expected)
    throw new Error(`${stored?.count} executions queued, expected ${expected}`);
  // Park them again: a year away.
  await db
    .updateTable('schedules')
    .set({ next_fire_at: dueAt + 365 * 86_400_000 })
    .execute();
  return queuedAt.map((at) => at - dueAt);
}

/** A bare timer aimed at a whole second: how late the event loop alone is. */
async function timerLateness(): Promise<number> {
  const dueAt = nextSecond();
  return new Promise((resolve) => setTimeout(() => resolve(Date.now() - dueAt), dueAt - Date.now()));
}

async function runBackend(label: string, databaseUrl: string | undefined): Promise<BackendResult> {
  const server = await startInProcessServer({
    embeddedWorker: false,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  try {
    progress(`schedules: ${label}: applying ${SCHEDULES} schedules`);
    await server.applyJobs(
      documents(SCHEDULES, 'burst') + documents(1, 'single').replace(/^[\s\S]*?---\n/, '---\n'),
    );
    await server.baton.db
      .updateTable('schedules')
      .set({ next_fire_at: Date.now() + 365 * 86_400_000 })
      .execute();
    const single: number[] = [];
    const many: number[] = [];
    for (let round = 0; round < BASELINE_ROUNDS; round++) single.push(...(await burst(server, 'single', 1)));
    for (let round = 0; round < ROUNDS; round++) {
      progress(`schedules: ${label}: burst ${round + 1}/${ROUNDS}`);
      many.push(...(await burst(server, 'burst', SCHEDULES)));
    }
    // The same burst, one transaction per schedule, from a scheduler of its own.
    await server.baton.scheduler.stop();
    const { db, caps, events, access, metrics, logger } = server.baton;
    const oneEach = new Scheduler({ db, caps, events, access, metrics, logger, batchSize: 1 });
    oneEach.start();
    progress(`schedules: ${label}: burst, one transaction per schedule`);
    const each = await burst(server, 'burst', SCHEDULES);
    await oneEach.stop();
    return { single: summary(single), burst: summary(many), oneTransactionEach: summary(each) };
  } finally {
    await server.stop();
  }
}

export async function benchSchedules(): Promise<SchedulesResult> {
  const timers: number[] = [];
  for (let round = 0; round < BASELINE_ROUNDS; round++) timers.push(await timerLateness());
  const result: SchedulesResult = {
    schedules: SCHEDULES,
    rounds: ROUNDS,
    setTimeout: summary(timers),
    comparisons: [],
  };
  const comparisons: Comparison[] = [];
  const notes: string[] = [
    `setTimeout aimed at a second: p50 ${result.setTimeout.p50} ms, max ${result.setTimeout.max} ms`,
  ];
  const report = (label: string, backend: BackendResult) => {
    comparisons.push(
      compare(
        `${label}: p50 lateness, ${SCHEDULES} due at once vs one`,
        'ms',
        backend.single.p50,
        backend.burst.p50,
      ),
      limit(`${label}: p99 lateness, ${SCHEDULES} due at once`, 'ms', backend.single.p99, backend.burst.p99, {
        op: '<=',
        value: 1000,
      }),
      compare(
        `${label}: max lateness, ${SCHEDULES} due at once vs one`,
        'ms',
        backend.single.max,
        backend.burst.max,
      ),
      compare(
        `${label}: p99, one transaction per schedule vs batched`,
        'ms',
        backend.burst.p99,
        backend.oneTransactionEach.p99,
      ),
    );
  };
  result.sqlite = await runBackend('SQLite', undefined);
  report('SQLite', result.sqlite);
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    progress(`schedules: PostgreSQL skipped: ${unavailable}`);
    result.postgres = { skipped: unavailable };
  } else {
    let schema: BenchSchema | undefined;
    try {
      schema = await createSchema('bench_schedules');
      result.postgres = await runBackend('PostgreSQL', schema.url);
      report('PostgreSQL', result.postgres);
    } finally {
      await schema?.drop();
    }
  }
  printTable(
    `Schedules: fire lateness, ${SCHEDULES} due in the same second (${ROUNDS} rounds)`,
    comparisons,
    notes,
  );
  result.comparisons = comparisons;
  return result;
}
