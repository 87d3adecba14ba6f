/**
 * The SLO evaluation on both databases, in an in-process Baton with the duty's timer off: every
 * round is `evaluateNow(now)` or `runRound(now)` with a chosen `now`. Executions are inserted
 * with known times (as the job catalog tests do), counts are pushed and corrections made
 * through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import type { ExecutionState } from '../../automation/executions/model.js';
import { silentLogger } from '../../platform/logging.js';
import { createSloEvaluation } from './evaluation.js';
import { sloHistory } from './history.js';
import { countSlices, listCorrections } from './measurements-store.js';
import { getSloStatus, loadSloReading, saveSloDocument, deleteSloDocument } from './store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SLICE = 5 * MINUTE;
/** A slice boundary a little before the real time, so pushes "now" are in the past. */
const NOW = Math.floor((Date.now() - HOUR) / SLICE) * SLICE;

const DOCUMENTS = `
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [sam]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: web}
spec: {owner: sre, lifecycle: production}
---
apiVersion: baton/v1
kind: Job
metadata: {name: restart, project: ops}
spec: {service: web, steps: [{name: main, script: "true"}]}
---
apiVersion: baton/v1
kind: Job
metadata: {name: patch-kernel, project: ops}
spec: {service: web, steps: [{name: main, script: "true"}]}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy, project: ops}
spec: {service: web, steps: [{name: main, script: "true"}]}
`;

const sloDocument = (name: string, indicator: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'baton/v1',
  kind: 'SLO',
  metadata: { name },
  spec: {
    service: 'web',
    indicator: { spec: { ratioMetric: indicator } },
    timeWindow: [{ duration: '7d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ target: 0.9 }],
    ...extra,
  },
});

const RESTARTS = sloDocument('restarts', {
  good: { metricSource: { type: 'Baton', spec: { job: 'ops/restart', states: ['succeeded'] } } },
  total: { metricSource: { type: 'Baton', spec: { job: 'ops/restart' } } },
});
const CHECKOUTS = sloDocument('checkouts', {
  good: { metricSource: { type: 'Pushed' } },
  total: { metricSource: { type: 'Pushed' } },
});

describe.each(DIALECTS)('SLO evaluation on %s', (dialect) => {
  let baton: TestBaton;
  let sam: Record<string, string>;
  let stranger: Record<string, string>;
  const evaluation = () =>
    createSloEvaluation({ db: baton.db, metrics: baton.metrics, logger: silentLogger });

  const save = (document: { metadata: { name: string } }) =>
    saveSloDocument(
      baton.db,
      { apiVersion: 'baton/v1', kind: 'SLO', name: `web/${document.metadata.name}` },
      { document, source: '', digest: document.metadata.name, actor: 'admin', now: NOW },
    );

  const jobSpec = async (job: string, fields: Record<string, unknown>) => {
    const [project, name] = job.split('/') as [string, string];
    const row = await baton.db
      .selectFrom('jobs')
      .select(['id', 'spec'])
      .where('project', '=', project)
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    const spec = { ...(typeof row.spec === 'string' ? JSON.parse(row.spec) : row.spec), ...fields };
    // `purpose` and `correctsSlo` belong to the job schema of the gate work; set them as stored.
    await baton.db
      .updateTable('jobs')
      .set({ spec: JSON.stringify(spec) })
      .where('id', '=', row.id)
      .execute();
    return { id: row.id, spec };
  };

  /** An execution of a job with known times, linked to its job as the run path links it. */
  const insert = async (job: string, state: ExecutionState, startedAt: number, finishedAt: number | null) => {
    const { id: jobId, spec } = await jobSpec(job, {});
    const [project, name] = job.split('/') as [string, string];
    const row = await baton.db
      .insertInto('executions')
      .values({
        job_id: jobId,
        project,
        job_name: name,
        job_revision: 1,
        spec: JSON.stringify(spec),
        options: '{}',
        requested_by: 'admin',
        state,
        queued_at: startedAt,
        run_after: startedAt,
        started_at: startedAt,
        finished_at: finishedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false, sloIntervalMs: 0 });
    sam = (await baton.addUser('sam')).headers;
    stranger = (await baton.addUser('stranger')).headers;
    await baton.applyYaml(DOCUMENTS);
    await baton.access.refresh();
    await save(RESTARTS);
    await save(CHECKOUTS);
  });
  afterAll(() => baton.stop());

  it('measures an SLO on executions, and only the new slices in later rounds', async () => {
    await insert('ops/restart', 'succeeded', NOW - 50 * MINUTE, NOW - 49 * MINUTE);
    await insert('ops/restart', 'succeeded', NOW - 40 * MINUTE, NOW - 39 * MINUTE);
    await insert('ops/restart', 'failed', NOW - 30 * MINUTE, NOW - 29 * MINUTE);
    await insert('ops/deploy', 'failed', NOW - 30 * MINUTE, NOW - 29 * MINUTE); // another job
    await insert('ops/restart', 'succeeded', NOW - 20 * MINUTE, NOW - 19 * MINUTE);
    const duty = evaluation();
    const report = await duty.evaluateNow(NOW);
    expect(report.errors).toEqual([]);
    const status = await getSloStatus(baton.db, 'web/restarts');
    expect(status).toMatchObject({ source: 'executions', sli: 0.75, health: 'exhausted', noDataSince: null });
    expect(status!.objectives[0]!.budget).toMatchObject({ unit: 'events', consumed: 1 });
    expect(await countSlices(baton.db, 'web/restarts')).toBe(4);

    // The next rounds count what finished since, and the slices already measured stay as they were.
    await insert('ops/restart', 'succeeded', NOW + MINUTE, NOW + 2 * MINUTE);
    for (let i = 0; i < 6; i++) {
      await insert(
        'ops/restart',
        'succeeded',
        NOW + 10 * MINUTE + i * MINUTE,
        NOW + 11 * MINUTE + i * MINUTE,
      );
    }
    await duty.evaluateNow(NOW + 5 * MINUTE);
    await duty.evaluateNow(NOW + 20 * MINUTE);
    const later = await getSloStatus(baton.db, 'web/restarts');
    expect(later!.sli).toBeCloseTo(10 / 11, 12);
    expect(later!.objectives[0]!.budget!.allowed).toBeCloseTo(1.1, 12);
    // One bad run in 11 is a burn rate of 0.91 over the last day and 2 hours: above the 7-day ticket factor 0.7.
    expect(later!.health).toBe('burning');
  });

  it('counts every job of the service for an SLO that names no job, beside one that names a job', async () => {
    const allRuns = sloDocument('all-runs', {
      good: { metricSource: { type: 'Baton', spec: { states: ['succeeded'] } } },
      total: { metricSource: { type: 'Baton', spec: {} } },
    });
    await save(allRuns);
    const report = await evaluation().evaluateNow(NOW + 20 * MINUTE);
    expect(report.errors).toEqual([]);
    // The runs of the test above: ops/restart 10 succeeded and 1 failed, ops/deploy 1 failed.
    expect((await getSloStatus(baton.db, 'web/all-runs'))!.sli).toBeCloseTo(10 / 12, 12);
    expect((await getSloStatus(baton.db, 'web/restarts'))!.sli).toBeCloseTo(10 / 11, 12);
    await deleteSloDocument(baton.db, { apiVersion: 'baton/v1', kind: 'SLO', name: 'web/all-runs' });
    await evaluation().evaluateNow(NOW + 20 * MINUTE);
    expect(await getSloStatus(baton.db, 'web/all-runs')).toBeUndefined();
  });

  it('reads pushed counts, from whoever may edit the service, and hides the SLO from others', async () => {
    const push = (body: unknown, headers?: Record<string, string>) =>
      baton.request('POST', '/api/v1/slos/web/checkouts/counts', body, headers);
    const counts = [
      { at: new Date(NOW - 30 * MINUTE).toISOString(), good: 90, total: 100 },
      { at: new Date(NOW - 28 * MINUTE).toISOString(), good: 10, total: 10 }, // same slice: added
      { at: new Date(NOW - 10 * MINUTE).toISOString(), good: 100, total: 100 },
    ];
    const pushed = await push({ counts }, sam);
    expect(pushed.statusCode).toBe(200);
    expect(pushed.json()).toEqual({ accepted: 3 });

    expect((await push({ counts }, stranger)).statusCode).toBe(404);
    expect((await baton.request('POST', '/api/v1/slos/web/nothing/counts', { counts }, sam)).statusCode).toBe(
      404,
    );
    const bad = await push({ counts: [{ at: new Date(NOW).toISOString(), good: 5, total: 4 }] }, sam);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems[0]).toMatchObject({ path: 'counts[0].good', expected: 'at most 4' });
    const notPushed = await baton.request('POST', '/api/v1/slos/web/restarts/counts', { counts }, sam);
    expect(notPushed.statusCode).toBe(400);

    await evaluation().evaluateNow(NOW);
    const status = await getSloStatus(baton.db, 'web/checkouts');
    expect(status).toMatchObject({ source: 'pushed', sli: 200 / 210 });

    // A push after a round is read by the next one.
    await push({ counts: [{ at: new Date(NOW - 30 * MINUTE).toISOString(), good: 110, total: 110 }] }, sam);
    await evaluation().evaluateNow(NOW + MINUTE);
    expect((await getSloStatus(baton.db, 'web/checkouts'))!.sli).toBe(1);
  });

  it('takes corrected spans out: by hand, audited, and by maintenance executions declared to correct', async () => {
    const restartsBefore = (await getSloStatus(baton.db, 'web/restarts'))!;
    const denied = await baton.request(
      'POST',
      '/api/v1/services/web/corrections',
      {
        startsAt: new Date(NOW - 31 * MINUTE).toISOString(),
        endsAt: new Date(NOW - 28 * MINUTE).toISOString(),
        reason: 'x',
      },
      stranger,
    );
    expect(denied.statusCode).toBe(404);
    const wrongSlo = await baton.request(
      'POST',
      '/api/v1/services/web/corrections',
      {
        slo: 'nope',
        startsAt: new Date(NOW).toISOString(),
        endsAt: new Date(NOW + MINUTE).toISOString(),
        reason: 'x',
      },
      sam,
    );
    expect(wrongSlo.statusCode).toBe(400);
    expect(wrongSlo.json().error.problems[0].path).toBe('slo');
    const backwards = await baton.request(
      'POST',
      '/api/v1/services/web/corrections',
      { startsAt: new Date(NOW).toISOString(), endsAt: new Date(NOW - MINUTE).toISOString(), reason: 'x' },
      sam,
    );
    expect(backwards.json().error.problems[0].path).toBe('endsAt');

    // The failed restart finished 29 minutes before NOW, in the slice from 30 to 25 minutes before.
    const made = await baton.request(
      'POST',
      '/api/v1/services/web/corrections',
      {
        slo: 'restarts',
        startsAt: new Date(NOW - 29.5 * MINUTE).toISOString(),
        endsAt: new Date(NOW - 28 * MINUTE).toISOString(),
        reason: 'load balancer swap, announced',
      },
      sam,
    );
    expect(made.statusCode).toBe(201);
    expect(made.json().correction).toMatchObject({
      service: 'web',
      slo: 'restarts',
      createdBy: 'sam',
      executionId: null,
    });
    const audit = await baton.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'slo.correction')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('sam');

    await evaluation().evaluateNow(NOW + 20 * MINUTE);
    const restarts = (await getSloStatus(baton.db, 'web/restarts'))!;
    expect(restartsBefore.sli).toBeLessThan(1);
    expect(restarts.sli).toBe(1);

    // A maintenance execution of a job declared to correct the service's SLIs, still running.
    await jobSpec('ops/patch-kernel', { purpose: 'maintenance', correctsSlo: true });
    const maintenance = await insert('ops/patch-kernel', 'running', NOW + 21 * MINUTE, null);
    await evaluation().evaluateNow(NOW + 22 * MINUTE);
    let corrections = await listCorrections(baton.db, {
      services: ['web'],
      from: 0,
      until: Number.MAX_SAFE_INTEGER,
    });
    expect(corrections.find((c) => c.executionId === maintenance)).toMatchObject({ slo: null, endsAt: null });
    await baton.db
      .updateTable('executions')
      .set({ state: 'succeeded', finished_at: NOW + 24 * MINUTE })
      .where('id', '=', maintenance)
      .execute();
    await evaluation().evaluateNow(NOW + 25 * MINUTE);
    corrections = await listCorrections(baton.db, {
      services: ['web'],
      from: 0,
      until: Number.MAX_SAFE_INTEGER,
    });
    expect(corrections.filter((c) => c.executionId === maintenance)).toHaveLength(1);
    expect(corrections.find((c) => c.executionId === maintenance)!.endsAt).toBe(NOW + 24 * MINUTE);

    const listed = await baton.request('GET', '/api/v1/services/web/corrections', undefined, sam);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().corrections.map((c: { executionId: number | null }) => c.executionId)).toEqual([
      maintenance,
      null,
    ]);
    expect(
      (await baton.request('GET', '/api/v1/services/web/corrections', undefined, stranger)).statusCode,
    ).toBe(404);
    expect((await baton.request('GET', '/api/v1/services/nope/corrections', undefined, sam)).statusCode).toBe(
      404,
    );
  });

  it("shows each change's cost and the burn-down in the history", async () => {
    await jobSpec('ops/deploy', { purpose: 'change' });
    const deploy = await insert('ops/deploy', 'succeeded', NOW + 30 * MINUTE, NOW + 31 * MINUTE);
    await insert('ops/restart', 'failed', NOW + 32 * MINUTE, NOW + 33 * MINUTE);
    await insert('ops/restart', 'succeeded', NOW + 33 * MINUTE, NOW + 34 * MINUTE);
    const now = NOW + 40 * MINUTE;
    await evaluation().evaluateNow(now);
    const slo = (await loadSloReading(baton.db)).slos.find((s) => s.name === 'restarts')!;
    const history = await sloHistory(baton.db, slo, await getSloStatus(baton.db, 'web/restarts'), now);
    // 13 restarts, the one in the corrected span left out: 12 counted, 1 bad, 1.2 allowed.
    expect(history.changes).toEqual([
      expect.objectContaining({ executionId: deploy, job: 'ops/deploy', hours: 4 }),
    ]);
    expect(history.changes[0]!.budgetConsumedRatio).toBeCloseTo(1 / 1.2, 12);
    expect(history.series.length).toBeGreaterThan(0);
    expect(history.series.at(-1)!.budgetRemainingRatio).toBeCloseTo(1 - 1 / 1.2, 12);
    expect(history.corrections.map((c) => c.reason)).toContain('load balancer swap, announced');
  });

  it('exports the statuses on /metrics and drops those of SLOs that are gone', async () => {
    const metrics = await baton.request('GET', '/metrics');
    expect(metrics.body).toMatch(/baton_slo_sli_ratio\{service="web",slo="checkouts"\} 1/);
    expect(metrics.body).toMatch(/baton_slo_burn_rate\{service="web",slo="restarts",window="1h"\} /);
    expect(metrics.body).toMatch(/baton_slo_error_budget_remaining_ratio\{service="web",slo="restarts"\} /);

    await deleteSloDocument(baton.db, { apiVersion: 'baton/v1', kind: 'SLO', name: 'web/checkouts' });
    await evaluation().evaluateNow(NOW + 41 * MINUTE);
    expect(await getSloStatus(baton.db, 'web/checkouts')).toBeUndefined();
    expect(await countSlices(baton.db, 'web/checkouts')).toBe(0);
    await save(CHECKOUTS);
  });

  it('evaluates once per interval however many servers offer the round', async () => {
    const servers = [evaluation(), evaluation(), evaluation()];
    // Rounds before any other test's, so the duty started below still finds later ones to claim.
    const base = NOW - 2 * HOUR;
    let rounds = 0;
    for (let interval = 0; interval < 5; interval++) {
      for (const offset of [0, 20_000, 59_999]) {
        const reports = await Promise.all(
          servers.map((server) => server.runRound(base + interval * MINUTE + offset)),
        );
        rounds += reports.filter((report) => report !== undefined).length;
      }
    }
    expect(rounds).toBe(5);
  });

  // After the rounds above: the duty claims rounds of real time, later than all of theirs.
  it('evaluates by itself once started, as servers run it', async () => {
    const before = (await getSloStatus(baton.db, 'web/restarts'))!.evaluatedAt;
    const duty = createSloEvaluation({
      db: baton.db,
      metrics: baton.metrics,
      logger: silentLogger,
      intervalMs: 1_000,
      owner: 'test-server',
    });
    duty.start();
    try {
      await eventually('the duty to evaluate the SLOs', async () => {
        const status = await getSloStatus(baton.db, 'web/restarts');
        return status && status.evaluatedAt !== before ? status : undefined;
      });
    } finally {
      await duty.stop();
    }
  });
});
