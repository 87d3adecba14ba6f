import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepSecretDirectories, withSecretFiles } from './delivery.js';

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('secret files', () => {
  let parent: string | undefined;
  afterEach(async () => {
    if (parent) await fs.rm(parent, { recursive: true, force: true });
  });

  it('live in a private directory named after the worker, gone when the step ends', async () => {
    let seen: string | undefined;
    await withSecretFiles([{ name: 'key.pem', value: 'secret-value' }], async (directory) => {
      seen = directory!;
      expect(path.basename(seen)).toMatch(new RegExp(`^baton-secrets-${process.pid}-`));
      expect((await fs.stat(seen)).mode & 0o777).toBe(0o700);
      expect((await fs.stat(path.join(seen, 'key.pem'))).mode & 0o777).toBe(0o600);
    });
    await expect(fs.stat(seen!)).rejects.toThrow(/ENOENT/);
  });

  it('left behind by a dead worker are swept; those of live processes stay', async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-sweep-test-'));
    const dead = path.join(parent, `baton-secrets-${await deadPid()}-a1b2c3`);
    const live = path.join(parent, `baton-secrets-${process.pid}-d4e5f6`);
    const unrelated = path.join(parent, 'baton-secrets-notapid');
    for (const directory of [dead, live, unrelated]) {
      await fs.mkdir(directory);
      await fs.writeFile(path.join(directory, 'token'), 'secret-value');
    }
    expect(await sweepSecretDirectories(parent)).toEqual([path.basename(dead)]);
    expect((await fs.readdir(parent)).sort()).toEqual([path.basename(unrelated), path.basename(live)].sort());
  });
});
