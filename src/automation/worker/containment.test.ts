/**
 * Containment of a step's processes through the whole engine, with cgroups turned off: a daemon
 * that double-forked out of the step's tree is still ended after the step, and the execution's
 * log says so. (The cgroup path is proven in runner/process-tree.test.ts.)
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';

// Read once, when the worker starts: this file's process never uses cgroups for steps.
process.env.BATON_STEP_CGROUPS = 'off';
afterAll(() => {
  delete process.env.BATON_STEP_CGROUPS;
});

/** Whether `pgrep -f pattern` finds a process. */
function pgrep(pattern: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-f', pattern], (error) => {
      if (!error) resolve(true);
      else if (error.code === 1) resolve(false);
      else reject(error);
    });
  });
}

describe.each(DIALECTS)('step containment by process group only, on %s', (dialect) => {
  let baton: TestBaton;
  let scratch: string;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-containment-'));
  });
  afterAll(async () => {
    await baton?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('says so in /metrics', async () => {
    const metrics = await baton.request('GET', '/metrics', undefined, {});
    expect(metrics.body).toContain('baton_step_containment{mode="process_group"} 1');
  });

  it('ends a double-forked setsid daemon after its step and records it in the execution log', async () => {
    // A unique duration marks the daemon's argv, so that pgrep finds exactly this one.
    const mark = `1000.${randomInt(1e9, 1e10)}`;
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: daemon, project: containment}
spec:
  steps:
    - name: start-daemon
      script: |
        ( setsid sleep ${mark} </dev/null >/dev/null 2>&1 & )
        # Go on once the daemon runs sleep: it has left the step's session by then.
        until pgrep -f '^sleep ${mark}$' >/dev/null; do sleep 0.01; done
        echo started
`);
    const execution = await baton.run('containment/daemon');
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('succeeded');

    // Bounded by the test's timeout.
    while (await pgrep(mark)) await sleep(20);
    const text = await baton.logText(execution.id);
    expect(text).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[baton\\] 1 process outlived its step and was ended: pid \\d+ \`sleep ${mark.replace('.', '\\.')}\`$`,
        ),
      ),
    );
  });

  it('ends a double-forked setsid daemon when its execution is cancelled, and records it', async () => {
    const mark = `1000.${randomInt(1e9, 1e10)}`;
    const ready = path.join(scratch, `ready-${mark}`);
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: daemon-cancelled, project: containment}
spec:
  options: [{name: ready, type: string}]
  steps:
    - name: start-daemon-and-wait
      script: |
        ( setsid sleep ${mark} </dev/null >/dev/null 2>&1 & )
        # Go on once the daemon runs sleep: it has left the step's session by then.
        until pgrep -f '^sleep ${mark}$' >/dev/null; do sleep 0.01; done
        touch "$BATON_OPTION_READY"
        sleep 300
`);
    const execution = await baton.run('containment/daemon-cancelled', { ready });
    while (!fs.existsSync(ready)) await sleep(20);
    expect(await pgrep(mark)).toBe(true);

    await baton.executions.cancel(admin, execution.id);
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('cancelled');

    while (await pgrep(mark)) await sleep(20);
    const text = await baton.logText(execution.id);
    expect(text).toContainEqual(
      expect.stringMatching(/^\[baton\] 1 process outlived its step and was ended: pid \d+ `sleep /),
    );
  });
});
