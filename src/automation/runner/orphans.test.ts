import { execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { endOrphanedTree, processStartTime } from './orphans.js';
import { readProcEntry } from './proc-table.js';
import { StepCgroup, stepContainment, wrapInCgroup } from './step-cgroup.js';

const containment = await stepContainment();

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

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
});

describe.skipIf(containment.kind !== 'cgroup')(
  `an orphaned step in a cgroup${containment.kind === 'cgroup' ? '' : ` (skipped: ${containment.reason})`}`,
  () => {
    it('is ended whole, including a daemon that double-forked out of its session', async () => {
      if (containment.kind !== 'cgroup') return;
      const dir = await mkdtemp(join(tmpdir(), 'baton-orphan-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const mark = `1000.${randomInt(1e9, 1e10)}`;
      cleanups.push(() => new Promise((resolve) => execFile('pkill', ['-KILL', '-f', mark], resolve)));
      // Started the way a worker starts a step, but nothing watches it: its worker "died".
      const cgroup = await StepCgroup.create(containment.parent, 'orphan');
      cleanups.push(() => cgroup.end(2000));
      const script = `( setsid sleep ${mark} </dev/null >/dev/null 2>&1 & echo $! > daemon.pid ); sleep 300`;
      const env = { PATH: '/usr/bin:/bin' };
      const [shell, ...args] = wrapInCgroup(containment, cgroup, ['bash', '-c', script], env);
      const step = spawn(shell!, args, { cwd: dir, env, detached: true, stdio: 'ignore' });
      step.unref();
      cleanups.push(async () => process.kill(-step.pid!, 'SIGKILL'));
      while (!(await readFile(join(dir, 'daemon.pid'), 'utf8').catch(() => '')).endsWith('\n'))
        await sleep(20);
      const daemon = Number((await readFile(join(dir, 'daemon.pid'), 'utf8')).trim());
      // The premise: the daemon left the step's session.
      while ((await readProcEntry(daemon))?.sid !== daemon) await sleep(20);

      expect(await endOrphanedTree(step.pid!, (await processStartTime(step.pid!))!)).toBe(true);

      while (await pgrep(mark)) await sleep(20);
      expect(cgroup.populated()).toBe(false);
    });
  },
);
