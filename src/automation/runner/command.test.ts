import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../platform/errors.js';
import { prepareArgv } from './command.js';
import type { StepCommand } from './command.js';
import { startProcess } from './process-tree.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-command-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/** Prepares and runs a step the way the runner does, with an environment built only from `vars`. */
async function run(step: StepCommand, vars: Record<string, string> = {}) {
  const argv = await prepareArgv(step, dir, 'step-1');
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir, ...vars };
  const child = await startProcess({ argv, env, cwd: dir });
  const [stdout, stderr, exit] = await Promise.all([
    collect(child.stdout),
    collect(child.stderr),
    child.exited,
  ]);
  return { argv, stdout, stderr, exit };
}

describe('prepareArgv', () => {
  it('runs a plain script with bash, from a private file holding exactly the script', async () => {
    const script = 'echo "${GREETING} from $0"\n';
    const argv = await prepareArgv({ script }, dir, 'step-1');
    const file = join(dir, 'step-1.script');
    expect(argv).toEqual(['bash', file]);
    expect(await readFile(file, 'utf8')).toBe(script);
    expect((await stat(file)).mode & 0o777).toBe(0o700);
  });

  it('makes an existing script file private again when it rewrites it', async () => {
    const file = join(dir, 'step-1.script');
    await writeFile(file, 'old', { mode: 0o666 });
    await prepareArgv({ script: 'new' }, dir, 'step-1');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o700);
  });

  it('runs a script with its interpreter, split on whitespace', async () => {
    const argv = await prepareArgv({ script: 'print(1)', interpreter: '  python3   -u ' }, dir, 'step-1');
    expect(argv).toEqual(['python3', '-u', join(dir, 'step-1.script')]);
  });

  it('runs a shebang script directly, ignoring the interpreter', async () => {
    const argv = await prepareArgv({ script: '#!/bin/sh\necho hi\n', interpreter: 'python3' }, dir, 's');
    expect(argv).toEqual([join(dir, 's.script')]);
  });

  it('returns a command as given, to run without a shell', async () => {
    const command = ['printf', '%s\\n', '$HOME'];
    const argv = await prepareArgv({ command }, dir, 'step-1');
    expect(argv).toEqual(command);
    expect(argv).not.toBe(command);
  });

  it('rejects a step with both a script and a command, or neither, or an empty command', async () => {
    await expect(prepareArgv({ script: 'true', command: ['true'] }, dir, 's')).rejects.toThrow(InputError);
    await expect(prepareArgv({}, dir, 's')).rejects.toThrow('a step needs a script or a command');
    await expect(prepareArgv({ command: [] }, dir, 's')).rejects.toThrow(InputError);
  });
});

describe('running prepared steps', () => {
  it('runs a `#!/usr/bin/env bash` script through the kernel with the step’s PATH', async () => {
    const result = await run({ script: '#!/usr/bin/env bash\necho "bash ${BASH_VERSINFO[0]}"\n' });
    expect(result.exit).toEqual({ code: 0, signal: null });
    expect(result.stdout).toMatch(/^bash \d+\n$/);
  });

  it('runs a script with an interpreter and its arguments', async () => {
    const result = await run({ script: 'echo one; false; echo two', interpreter: 'sh -e' });
    expect(result.exit).toEqual({ code: 1, signal: null });
    expect(result.stdout).toBe('one\n');
  });

  it('runs a python script when python3 is on the PATH', async () => {
    const result = await run(
      { script: 'import os\nprint(os.environ["NAME"])', interpreter: 'python3 -u' },
      {
        NAME: 'döner',
      },
    );
    expect(result).toMatchObject({ stdout: 'döner\n', exit: { code: 0, signal: null } });
  });

  it('prints an option value literally: shell syntax in a value is never executed', async () => {
    const marker = join(dir, 'x');
    const value = `$(touch ${marker}); rm -rf ~ \`touch ${marker}\``;
    // HOME is the test directory, so even a broken runner could only remove that.
    const quoted = await run({ script: 'echo "$VALUE"\necho $VALUE\n' }, { VALUE: value });
    expect(quoted.stdout).toBe(`${value}\n${value}\n`);
    const command = await run({ command: ['printf', '%s\\n', value] });
    expect(command.stdout).toBe(`${value}\n`);
    await expect(access(marker)).rejects.toThrow();
  });

  it('names a missing interpreter in the error', async () => {
    await expect(run({ script: 'print(1)', interpreter: 'pythn3' })).rejects.toThrow(
      `cannot run "pythn3": not found`,
    );
  });
});
