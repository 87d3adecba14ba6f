/**
 * Schedules end to end on both databases: documents and `spec.schedules` applied, checked with
 * their place in the file, listed with next fire times; fires queued at their tick, as their
 * owner, once; misfires skipped or run once; an owner who lost the right to run the job gets a
 * refusal with its reason, never a silent run. Firing is driven by `fireDue` on a scheduler
 * whose timer is stopped, except where the timer itself is under test.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { InputError, ForbiddenError } from '../../platform/errors.js';
import type { Principal } from '../../access/model.js';
import { readJson } from '../../platform/db/capabilities.js';
import { Scheduler } from './scheduler.js';
import { claimFires } from './store.js';

const JOB = `
apiVersion: baton/v1
kind: Job
metadata: {name: backup, project: ops}
spec:
  options:
    - {name: target, type: enum, values: [staging, prod], required: true}
    - {name: keep, type: integer, min: 1, max: 30, default: 7}
  steps: [{name: main, script: "echo backing up $BATON_OPTION_TARGET"}]
`;

/** A Schedule document of ops/backup, one field a line (so that problems have known lines). */
function scheduleYaml(name: string, spec: Record<string, unknown>): string {
  const document = {
    apiVersion: 'baton/v1',
    kind: 'Schedule',
    metadata: { name, project: 'ops' },
    spec: { job: 'backup', options: { target: 'staging' }, ...spec },
  };
  return `---\n${stringify(document)}`;
}

interface ScheduleJson {
  name: string;
  owner: string;
  enabled: boolean;
  nextFireTimes: string[];
  definedByJob: string | null;
  lastFire: {
    scheduledAt: string;
    outcome: string;
    reason: string | null;
    execution: { id: number; state: string | null } | null;
  } | null;
}

describe.each(DIALECTS)('schedules on %s', (dialect) => {
  let baton: TestBaton;
  let alice: { headers: Record<string, string>; principal: Principal };

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    alice = await baton.addUser('alice');
    await baton.addUser('bob');
    await baton.applyYaml(JOB);
  });
  afterAll(() => baton.stop());

  /** Every test starts with no schedules and the timer stopped; tests that need it start it. */
  beforeEach(async () => {
    await baton.scheduler.stop();
    await baton.db.deleteFrom('schedules').execute();
    await baton.db.deleteFrom('execution_steps').execute();
    await baton.db.deleteFrom('executions').execute();
  });

  const getSchedule = async (name: string, headers?: Record<string, string>) => {
    const response = await baton.request('GET', `/api/v1/schedules/ops/${name}?next=5`, undefined, headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json().schedule as ScheduleJson;
  };
  const executions = () =>
    baton.db
      .selectFrom('executions')
      .select(['id', 'requested_by', 'options', 'state'])
      .orderBy('id')
      .execute();
  /** The fires of a schedule that queued an execution, from the audit trail, oldest first. */
  const auditedFires = async (schedule: string) => {
    const records = await baton.db
      .selectFrom('audit_events')
      .select('summary')
      .where('action', '=', 'schedule.fire')
      .orderBy('seq')
      .execute();
    return records
      .flatMap(
        (record) =>
          readJson<{ queued: { schedule: string; scheduledAt: string; execution: number; as: string }[] }>(
            record.summary,
          ).queued,
      )
      .filter((fire) => fire.schedule === schedule);
  };
  /** Puts a schedule's next fire time where a test wants it, as downtime would leave it. */
  const setNextFire = (name: string, at: number) =>
    baton.db.updateTable('schedules').set({ next_fire_at: at }).where('name', '=', name).execute();
  const applyError = async (content: string, actor?: Principal) => {
    const error = await baton.apply
      .apply(
        { files: [{ name: 'schedules.yaml', content }] },
        actor ?? { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' },
      )
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeDefined();
    return error as Error;
  };

  it('lists a schedule with its next fire times in its zone', async () => {
    await baton.applyYaml(scheduleYaml('nightly', { cron: '0 30 2 * * *', timezone: 'Europe/Paris' }));
    const list = await baton.request('GET', '/api/v1/schedules');
    expect(list.statusCode).toBe(200);
    const [listed] = list.json().schedules as ScheduleJson[];
    expect(listed).toMatchObject({
      name: 'nightly',
      owner: 'admin',
      enabled: true,
      definedByJob: null,
      lastFire: null,
    });
    expect(listed!.nextFireTimes).toHaveLength(3);
    // Taken before the request: a next fire time is after the moment it was computed, which a
    // clock read afterwards could already have passed.
    const asked = Date.now();
    const detail = await getSchedule('nightly');
    expect(detail.nextFireTimes).toHaveLength(5);
    for (const time of detail.nextFireTimes) {
      const paris = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Paris',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }).format(new Date(time));
      // 02:30 every day; on the day daylight saving skips it, the first time after the gap.
      expect(['02:30:00', '03:00:00']).toContain(paris);
    }
    const times = detail.nextFireTimes.map(Date.parse);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThan(asked);
  });

  it('reports a bad cron field and an unknown zone with file, line and column, and applies nothing', async () => {
    const error = await applyError(
      [
        scheduleYaml('bad-cron', { cron: '0 0 32 * *' }),
        scheduleYaml('bad-zone', { cron: '@daily', timezone: 'Europe/Pariss' }),
        scheduleYaml('never', { cron: '0 0 30 2 *' }),
        scheduleYaml('fine', { cron: '@daily' }),
      ].join(''),
    );
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).problems.map(
      (problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.path}: ${problem.message}`,
    );
    expect(problems).toEqual([
      'schedules.yaml:11:9 spec.cron: field 3 (day of month) "32" at column 5: must be 1-31',
      'schedules.yaml:23:13 spec.timezone: unknown time zone "Europe/Pariss" (did you mean "Europe/Paris"?): use an IANA name such as UTC, Europe/Paris or America/New_York',
      'schedules.yaml:34:9 spec.cron: "0 0 30 2 *" never fires: no date matches it (such as February 30)',
    ]);
    expect((await baton.request('GET', '/api/v1/schedules')).json().schedules).toEqual([]);
  });

  it('reports an unknown job, option values the job refuses and an unknown owner, and applies nothing', async () => {
    const error = await applyError(
      [
        scheduleYaml('bad-job', { cron: '@daily', job: 'bakup' }),
        scheduleYaml('bad-option', { cron: '@daily', options: { target: 'qa', keep: 99 } }),
        scheduleYaml('bad-owner', { cron: '@daily', runAs: 'alcie' }),
        scheduleYaml('fine', { cron: '@daily' }),
      ].join(''),
    );
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).problems.map(
      (problem) => `${problem.line}:${problem.column} ${problem.path}: ${problem.message}`,
    );
    expect(problems).toEqual([
      '8:8 spec.job: unknown job "bakup" in project ops (did you mean "backup"?)',
      '21:13 spec.options.target: invalid value',
      '22:11 spec.options.keep: invalid value',
      '35:10 spec.runAs: unknown user or service account "alcie" (did you mean "alice"?)',
    ]);
    expect((error as InputError).problems[1]).toMatchObject({
      expected: 'one of staging, prod',
      found: '"qa"',
    });
    expect((error as InputError).problems[2]).toMatchObject({
      expected: 'an integer between 1 and 30',
      found: '99',
    });
    expect((await baton.request('GET', '/api/v1/schedules')).json().schedules).toEqual([]);
  });

  it('fires at each tick of a seconds-level schedule, once per tick, in order, as its owner', async () => {
    await baton.applyYaml(scheduleYaml('every-second', { cron: '* * * * * *', options: { target: 'prod' } }));
    baton.scheduler.start();
    for (let attempt = 0; attempt < 200 && (await auditedFires('ops/every-second')).length < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await baton.scheduler.stop();
    const fires = await auditedFires('ops/every-second');
    expect(fires.length).toBeGreaterThanOrEqual(3);
    const rows = await executions();
    // Every fire queued one execution, as the schedule's owner, with its options; no others exist.
    expect(rows.map((row) => row.id)).toEqual(fires.map((fire) => fire.execution));
    expect(new Set(rows.map((row) => row.requested_by))).toEqual(new Set(['admin']));
    expect(readJson(rows[0]!.options)).toEqual({ target: 'prod', keep: 7 });
    // One fire per second, each second once.
    const seconds = fires.map((fire) => Date.parse(fire.scheduledAt) / 1000);
    expect(seconds.every(Number.isInteger)).toBe(true);
    expect(seconds.slice(1).map((second, index) => second - seconds[index]!)).toEqual(
      seconds.slice(1).map(() => 1),
    );
    const detail = await getSchedule('every-second');
    expect(detail.lastFire).toMatchObject({
      outcome: 'queued',
      reason: null,
      execution: { id: fires.at(-1)!.execution },
    });
  });

  it('stops firing when disabled, and restarts from the next time to come when enabled', async () => {
    await baton.applyYaml(scheduleYaml('toggled', { cron: '* * * * *' }));
    await baton.applyYaml(scheduleYaml('toggled', { cron: '* * * * *', enabled: false }));
    const disabled = await getSchedule('toggled');
    expect(disabled).toMatchObject({ enabled: false, nextFireTimes: [] });
    await baton.scheduler.fireDue(Date.now() + 3_600_000);
    expect(await executions()).toEqual([]);
    const reEnabledAt = Date.now();
    await baton.applyYaml(scheduleYaml('toggled', { cron: '* * * * *' }));
    const enabled = await getSchedule('toggled');
    expect(Date.parse(enabled.nextFireTimes[0]!)).toBeGreaterThan(reEnabledAt);
  });

  it('after downtime, skip runs nothing and runOnce runs once, then both move to the next time to come', async () => {
    await baton.applyYaml(
      scheduleYaml('skipper', { cron: '* * * * *', misfire: 'skip' }) +
        scheduleYaml('catcher', { cron: '* * * * *', misfire: 'runOnce' }),
    );
    const now = Date.now();
    // Ten minutes of ticks passed with no server up.
    const missed = Math.floor(now / 60_000) * 60_000 - 10 * 60_000;
    await setNextFire('skipper', missed);
    await setNextFire('catcher', missed);
    const report = await baton.scheduler.fireDue(now);
    expect(report.skipped.map((entry) => entry.schedule)).toEqual(['ops/skipper']);
    expect(report.queued.map((entry) => entry.schedule)).toEqual(['ops/catcher']);
    expect(await executions()).toHaveLength(1);
    const skipper = await getSchedule('skipper');
    expect(skipper.lastFire).toMatchObject({ outcome: 'skipped_misfire', execution: null });
    expect(skipper.lastFire!.reason).toMatch(
      /^missed .* by 6\d\ds \(no server was firing schedules\); misfire: skip$/,
    );
    const catcher = await getSchedule('catcher');
    expect(catcher.lastFire).toMatchObject({
      outcome: 'queued',
      execution: { id: report.queued[0]!.executionId },
    });
    expect(catcher.lastFire!.reason).toMatch(/misfire: runOnce, so it runs once now$/);
    for (const schedule of [skipper, catcher])
      expect(Date.parse(schedule.nextFireTimes[0]!)).toBeGreaterThan(now);
    // Nothing more is due.
    expect(await baton.scheduler.fireDue(now)).toEqual({ queued: [], skipped: [], refused: [] });
  });

  it('runs each tick missed by less than the grace, in order, rather than skipping it', async () => {
    await baton.applyYaml(scheduleYaml('stalled', { cron: '* * * * * *', misfire: 'skip' }));
    const now = Math.floor(Date.now() / 1000) * 1000 + 500;
    await setNextFire('stalled', now - 3_500);
    const report = await baton.scheduler.fireDue(now);
    expect(report.skipped).toEqual([]);
    expect(report.queued.map((entry) => entry.scheduledAt - now)).toEqual([-3_500, -2_500, -1_500, -500]);
    expect(await executions()).toHaveLength(4);
  });

  it('needs run on the job to apply a schedule, and admin on it to run as someone else', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: alice-schedules}
spec:
  rules:
    - {subjects: [user/alice], actions: [edit], resources: ["schedule/ops/*"], effect: allow}
    - {subjects: [user/alice], actions: [view], resources: [job/ops/backup], effect: allow}
`);
    const refused = await applyError(scheduleYaml('alices', { cron: '@daily' }), alice.principal);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(refused.message).toBe(
      'forbidden: no rule allows user/alice run on job/ops/backup (needed by schedules.yaml:8:8)',
    );
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: alice-runs-backup}
spec:
  rules:
    - {subjects: [user/alice], actions: [run], resources: [job/ops/backup], effect: allow}
`);
    await baton.apply.apply(
      { files: [{ name: 'schedules.yaml', content: scheduleYaml('alices', { cron: '@daily' }) }] },
      alice.principal,
    );
    expect((await getSchedule('alices', alice.headers)).owner).toBe('alice');
    const asBob = await applyError(scheduleYaml('alices', { cron: '@daily', runAs: 'bob' }), alice.principal);
    expect(asBob.message).toBe(
      'forbidden: no rule allows user/alice admin on job/ops/backup (needed by schedules.yaml:12:10)',
    );
    // An administrator may make it run as alice, who may run the job.
    await baton.applyYaml(scheduleYaml('for-alice', { cron: '@daily', runAs: 'alice' }));
    expect((await getSchedule('for-alice')).owner).toBe('alice');
  });

  it('refuses a fire, with the reason in the API, once the owner may no longer run the job or is disabled', async () => {
    const allowRun = (effect: 'allow' | 'deny') =>
      baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: alice-runs-backup}
spec:
  rules:
    - {subjects: [user/alice], actions: [run], resources: [job/ops/backup], effect: ${effect}}
`);
    await allowRun('allow');
    await baton.applyYaml(scheduleYaml('alices', { cron: '* * * * *', runAs: 'alice' }));
    // Half a minute into the current minute: a tick due a second earlier is then the only one due
    // (with the real clock, a minute boundary in that second would make a second tick due).
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    await setNextFire('alices', now - 1_000);
    expect((await baton.scheduler.fireDue(now)).queued).toHaveLength(1);
    expect((await executions()).map((row) => row.requested_by)).toEqual(['alice']);

    await allowRun('deny');
    await setNextFire('alices', now - 1_000);
    const refused = await baton.scheduler.fireDue(now);
    expect(refused.refused).toEqual([
      {
        schedule: 'ops/alices',
        scheduledAt: now - 1_000,
        reason:
          'its owner may not run ops/backup: policy/alice-runs-backup#1 denies user/alice run on job/ops/backup',
      },
    ]);
    expect(await executions()).toHaveLength(1);
    expect((await getSchedule('alices')).lastFire).toMatchObject({ outcome: 'refused', execution: null });

    await allowRun('allow');
    const disabled = await baton.request('PATCH', '/api/v1/users/alice', { disabled: true });
    expect(disabled.statusCode).toBe(200);
    await setNextFire('alices', now - 1_000);
    expect((await baton.scheduler.fireDue(now)).refused.map((entry) => entry.reason)).toEqual([
      'its owner "alice" is disabled',
    ]);
    expect((await getSchedule('alices')).lastFire!.reason).toBe('its owner "alice" is disabled');
    expect(await executions()).toHaveLength(1);
    await baton.request('PATCH', '/api/v1/users/alice', { disabled: false });
    const metrics = await baton.request('GET', '/metrics');
    expect(metrics.body).toMatch(/^baton_schedule_fires_total\{outcome="refused"\} [2-9]/m);
    expect(metrics.body).toMatch(/^baton_schedule_fire_lateness_seconds_count [1-9]/m);
  });

  it("creates, updates and removes the schedules of a job's spec.schedules with the job", async () => {
    const job = (schedules: unknown[]) => `apiVersion: baton/v1
kind: Job
metadata: {name: report, project: ops}
spec:
  options: [{name: depth, type: integer, default: 1}]
  schedules: ${JSON.stringify(schedules)}
  steps: [{name: main, script: "echo report"}]
`;
    await baton.applyYaml(
      job([
        { name: 'nightly', cron: '0 2 * * *' },
        { cron: '*/5 * * * * *', options: { depth: 3 } },
      ]),
    );
    const names = async () =>
      (
        (await baton.request('GET', '/api/v1/schedules?project=ops&job=report')).json()
          .schedules as ScheduleJson[]
      ).map((schedule) => [schedule.name, schedule.definedByJob]);
    expect(await names()).toEqual([
      ['report.2', 'report'],
      ['report.nightly', 'report'],
    ]);
    await baton.applyYaml(job([{ name: 'nightly', cron: '0 3 * * *' }]));
    expect(await names()).toEqual([['report.nightly', 'report']]);
    const bad = await applyError(job([{ cron: '@daily', options: { depth: 'deep' } }]));
    expect((bad as InputError).problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'spec.schedules[0].options.depth: invalid value',
    ]);
    // A Schedule document keeps its job from being pruned away.
    await baton.applyYaml(scheduleYaml('keeps-backup', { cron: '@daily' }));
    const prune = await baton.apply
      .apply(
        { files: [{ name: 'jobs.yaml', content: job([]) }], prune: true },
        {
          kind: 'user',
          id: 1,
          name: 'admin',
          isAdmin: true,
          via: 'internal',
        },
      )
      .catch((error: unknown) => error as InputError);
    expect((prune as InputError).problems?.map((problem) => problem.message)).toEqual([
      'cannot delete job ops/backup: schedule ops/keeps-backup runs it (delete the schedule first)',
    ]);
    // Without its schedules the job keeps none.
    await baton.applyYaml(job([]));
    expect(await names()).toEqual([]);
  });

  it('claims a fire only while next_fire_at still holds the time being fired', async () => {
    await baton.applyYaml(scheduleYaml('claimed', { cron: '* * * * * *' }));
    const [row] = await baton.db.selectFrom('schedules').select(['id', 'next_fire_at']).execute();
    const fire = {
      id: row!.id,
      dueAt: row!.next_fire_at!,
      nextFireAt: row!.next_fire_at! + 1000,
      outcome: 'queued' as const,
      reason: null,
    };
    // Two servers that both read the same due time: the first claim moves it, the second finds it gone.
    const claim = () =>
      baton.db.transaction().execute((trx) => claimFires(trx, baton.caps, [fire], Date.now()));
    expect([...(await claim())]).toEqual([row!.id]);
    expect([...(await claim())]).toEqual([]);
  });

  it('fires a due schedule once when two schedulers race for it', async () => {
    const second = new Scheduler({
      db: baton.db,
      caps: baton.caps,
      events: baton.events,
      access: baton.access,
      metrics: baton.metrics,
      logger: baton.logger,
      batchSize: 7,
    });
    await baton.applyYaml(
      Array.from({ length: 40 }, (_, index) => scheduleYaml(`race-${index}`, { cron: '* * * * * *' })).join(
        '',
      ),
    );
    const now = Math.floor(Date.now() / 1000) * 1000 + 500;
    await baton.db
      .updateTable('schedules')
      .set({ next_fire_at: now - 2_500 })
      .execute();
    const reports = await Promise.all([
      baton.scheduler.fireDue(now),
      second.fireDue(now),
      baton.scheduler.fireDue(now),
    ]);
    const queued = reports.flatMap((report) => report.queued);
    // 40 schedules, each due at three seconds: 120 fires, none twice.
    expect(queued).toHaveLength(120);
    expect(new Set(queued.map((entry) => `${entry.schedule}@${entry.scheduledAt}`)).size).toBe(120);
    expect(await executions()).toHaveLength(120);
  });
});
