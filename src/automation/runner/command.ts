/**
 * Turns a step's `script` or `command` into the argv of a process. Option values never pass
 * through here: the caller hands them to the step as environment variables, so the script text
 * is written exactly as the job defines it and no value is ever parsed as code.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../../platform/errors.js';

export interface StepCommand {
  script?: string;
  interpreter?: string;
  command?: string[];
}

const SCRIPT_MODE = 0o700;

/** Writes a script to a file (mode 0700) in workDir and returns the argv to run it. */
export async function prepareArgv(step: StepCommand, workDir: string, fileStem: string): Promise<string[]> {
  if (step.script !== undefined && step.command !== undefined) {
    throw new InputError('a step has either a script or a command, not both', [
      { path: 'command', message: 'remove either script or command' },
    ]);
  }
  if (step.command !== undefined) {
    if (step.command.length === 0 || step.command[0] === '') {
      throw new InputError('a step command needs at least the program to run', [
        { path: 'command', message: 'expected a non-empty list such as ["systemctl", "restart", "nginx"]' },
      ]);
    }
    return [...step.command];
  }
  if (step.script === undefined) {
    throw new InputError('a step needs a script or a command', [
      { path: 'script', message: 'expected a script or a command' },
    ]);
  }
  if (fileStem === '' || fileStem.includes('/') || fileStem.startsWith('.')) {
    throw new Error(`invalid script file stem ${JSON.stringify(fileStem)}: expected a plain file name`);
  }
  // Absolute, so that a shebang script's argv[0] contains a slash and is never looked up on PATH.
  const file = resolve(workDir, `${fileStem}.script`);
  await writeFile(file, step.script, { mode: SCRIPT_MODE });
  // The mode given to writeFile only applies when it creates the file (and passes through umask).
  await chmod(file, SCRIPT_MODE);
  // The kernel reads the shebang itself, so `#!/usr/bin/env bash` finds bash on the step's PATH.
  if (step.script.startsWith('#!')) return [file];
  const interpreter = step.interpreter?.trim().split(/\s+/).filter(Boolean) ?? [];
  return interpreter.length > 0 ? [...interpreter, file] : ['bash', file];
}
