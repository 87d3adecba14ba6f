import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../platform/errors.js';
import { cgroup2Mount, describeContainment, detectContainment } from './step-cgroup.js';

describe('detectContainment', () => {
  it('uses process groups only when BATON_STEP_CGROUPS=off, and says why', async () => {
    const containment = await detectContainment({ BATON_STEP_CGROUPS: 'off' });
    expect(containment).toEqual({ kind: 'process-group', reason: 'turned off by BATON_STEP_CGROUPS=off' });
    expect(describeContainment(containment)).toBe(
      'steps are contained by process group and session only (turned off by BATON_STEP_CGROUPS=off): a process that double-forks and clears its environment can outlive its step',
    );
  });

  it('refuses a BATON_STEP_CGROUPS that is not auto, on or off, naming the variable', async () => {
    const refused = await detectContainment({ BATON_STEP_CGROUPS: 'yes' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).problems).toEqual([
      {
        path: 'BATON_STEP_CGROUPS',
        message: 'expected auto, on or off',
        expected: 'auto, on or off',
        found: 'yes',
      },
    ]);
  });

  it('falls back to process groups when BATON_CGROUP_PARENT is not in a cgroup2 file system, and refuses when cgroups are required', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-not-a-cgroup-'));
    try {
      expect(await detectContainment({ BATON_CGROUP_PARENT: dir })).toEqual({
        kind: 'process-group',
        reason: `${dir} is not a directory of a cgroup2 file system`,
      });
      await expect(detectContainment({ BATON_CGROUP_PARENT: dir, BATON_STEP_CGROUPS: 'on' })).rejects.toThrow(
        `BATON_STEP_CGROUPS=on but steps cannot have a cgroup each: ${dir} is not a directory of a cgroup2 file system`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('cgroup2Mount', () => {
  it('finds the cgroup2 mount of a hybrid layout among cgroup v1 mounts, unescaping its path', () => {
    const mountinfo = [
      '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '40 30 0:37 /baton /sys/fs/cgroup/uni\\040fied rw,relatime shared:9 - cgroup2 cgroup2 rw',
    ].join('\n');
    expect(cgroup2Mount(mountinfo)).toEqual({ point: '/sys/fs/cgroup/uni fied', root: '/baton' });
    expect(cgroup2Mount('31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu')).toBeUndefined();
  });
});
