/**
 * `baton schedules` as users run it: the compiled CLI against a real Baton (SQLite). The table
 * shows the next fire times and the last fire of each schedule, and says why a fire was refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';
import { admin } from '../../../test/baton.js';
import type { SchedulesResponse } from '../../contract/schedules.js';

let server: CliServer;

const DOCUMENTS = `
apiVersion: baton/v1
kind: Job
metadata: {name: backup, project: ops}
spec:
  options: [{name: target, type: string, default: staging}]
  schedules: [{name: nightly, cron: "0 30 2 * * *", timezone: Europe/Paris}]
  steps: [{name: main, script: "echo backup"}]
---
apiVersion: baton/v1
kind: Schedule
metadata: {name: paused, project: ops}
spec: {job: backup, cron: "*/5 * * * *", enabled: false}
---
apiVersion: baton/v1
kind: Schedule
metadata: {name: as-carol, project: ops}
spec: {job: backup, cron: "* * * * *", runAs: carol}
`;

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
  await server.baton.scheduler.stop();
  await server.baton.db
    .insertInto('users')
    .values({ name: 'carol', kind: 'user', is_admin: 0, created_at: Date.now() })
    .execute();
  await server.baton.apply.apply({ files: [{ name: 'schedules.yaml', content: DOCUMENTS }] }, admin);
  // carol may run nothing: her schedule's fire is refused.
  await server.baton.db
    .updateTable('schedules')
    .set({ next_fire_at: Date.now() - 1000 })
    .where('name', '=', 'as-carol')
    .execute();
  await server.baton.scheduler.fireDue();
});

afterAll(async () => {
  await server?.stop();
});

describe('baton schedules', () => {
  it('shows each schedule with its next fire, its last fire and why a fire was refused', async () => {
    const result = await server.cli(['schedules']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rest] = result.stdout.split('\n');
    expect(header).toMatch(/^SCHEDULE\s+JOB\s+CRON\s+TIMEZONE\s+NEXT FIRE\s+LAST FIRE\s+OWNER$/);
    const rows = rest.slice(0, 3);
    expect(rows[0]).toMatch(
      /^ops\/as-carol\s+backup\s+\* \* \* \* \*\s+UTC\s+\d{4}-\d\d-\d\d \d\d:\d\d:00 \((in \S+|due now)\)\s+refused \S+ ago\s+carol$/,
    );
    expect(rows[1]).toMatch(
      /^ops\/backup\.nightly\s+backup\s+0 30 2 \* \* \*\s+Europe\/Paris\s+\d{4}-\S+ \S+ \((in \S+|due now)\)\s+-\s+admin$/,
    );
    expect(rows[2]).toMatch(/^ops\/paused\s+backup\s+\*\/5 \* \* \* \*\s+UTC\s+disabled\s+-\s+admin$/);
    expect(result.stdout).toContain(
      '\nops/as-carol: its owner may not run ops/backup: no rule allows user/carol run on job/ops/backup\n',
    );
  });

  it('shows more fire times, narrows to a job, and gives the API answer as JSON', async () => {
    const wide = await server.cli(['schedules', '--job', 'ops/backup', '--next', '3']);
    expect(wide.stdout.split('\n')[0]).toMatch(/NEXT FIRE\s+NEXT FIRE 2\s+NEXT FIRE 3\s+LAST FIRE/);
    const json = await server.cli(['schedules', '--project', 'ops', '--output', 'json']);
    const answer = JSON.parse(json.stdout) as SchedulesResponse;
    expect(answer.schedules.map((schedule) => schedule.name)).toEqual([
      'as-carol',
      'backup.nightly',
      'paused',
    ]);
    const nightly = answer.schedules[1]!;
    expect(nightly).toMatchObject({ definedByJob: 'backup', enabled: true, misfire: 'skip', owner: 'admin' });
    expect(nightly.nextFireTimes).toHaveLength(3);
  });

  it('refuses a bad --next as a usage error', async () => {
    const result = await server.cli(['schedules', '--next', '9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^baton: option '--next <n>' argument '9' is invalid\. expected a whole number from 1 to 5\.\n$/,
    );
  });
});
