/**
 * Secrets reaching a step: decrypted by the worker when an execution starts, handed to each
 * step as environment variables or as files in a private directory, never in argv, and removed
 * with the step. Each use is recorded in the audit trail.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Execution } from '../executions/model.js';
import { Masker } from '../logs/masking.js';
import { optionVariableName } from '../jobs/options.js';
import type { Db } from '../../platform/db/database.js';
import { appendAudit } from '../../access/audit/trail.js';
import { open, SealError } from '../../access/secrets/crypto.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import type { SecretDelivery } from '../../access/secrets/model.js';
import { getSealedSecret } from '../../access/secrets/store.js';

/** A secret could not be handed to a step; the message names the path, never the value. */
export class SecretUnavailableError extends Error {}

/** What a run's steps receive. */
export interface ExecutionSecrets {
  /** Paths used, for the audit trail. */
  paths: string[];
  env: Record<string, string>;
  files: { name: string; value: string }[];
  /** Every decrypted value, for the log writer to mask. */
  values: string[];
}

export const NO_SECRETS: ExecutionSecrets = { paths: [], env: {}, files: [], values: [] };

/** The job's `spec.secrets`, and a `secret` option's chosen path delivered as `BATON_OPTION_<NAME>`. */
export function deliveriesOf(execution: Pick<Execution, 'spec' | 'options'>): SecretDelivery[] {
  const deliveries: SecretDelivery[] = [...(execution.spec.secrets ?? [])];
  for (const option of execution.spec.options ?? []) {
    const chosen = execution.options[option.name];
    if (option.type === 'secret' && typeof chosen === 'string') {
      deliveries.push({ path: chosen, env: optionVariableName(option.name) });
    }
  }
  return deliveries;
}

/**
 * Decrypts one secret by path for Baton's own use (a job's step, a node's SSH key, a hook's key,
 * a notification's credentials); throws SecretUnavailableError saying which and what to fix.
 */
export async function openSecret(db: Db, keyring: Keyring, secretPath: string): Promise<string> {
  const stored = await getSealedSecret(db, secretPath);
  if (!stored) {
    throw new SecretUnavailableError(
      `secret ${secretPath} does not exist (was it deleted after the document naming it was applied?)`,
    );
  }
  const key = await keyring.find(stored.keyId);
  if (!key) {
    throw new SecretUnavailableError(
      `secret ${secretPath} is sealed with master key ${stored.keyId}, which this process does not hold ` +
        `(it holds ${keyring.ids.join(', ')}); every server and worker needs the same BATON_MASTER_KEY`,
    );
  }
  try {
    return open(key.key, stored.sealed, secretPath);
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    throw new SecretUnavailableError(`secret ${secretPath} cannot be decrypted: ${error.message}`);
  }
}

/** Decrypts the secrets an execution uses; throws SecretUnavailableError saying which and why. */
export async function openExecutionSecrets(
  db: Db,
  keyring: Keyring,
  execution: Pick<Execution, 'spec' | 'options'>,
): Promise<ExecutionSecrets> {
  const deliveries = deliveriesOf(execution);
  if (deliveries.length === 0) return NO_SECRETS;
  const values = new Map<string, string>();
  for (const secretPath of new Set(deliveries.map((delivery) => delivery.path))) {
    values.set(secretPath, await openSecret(db, keyring, secretPath));
  }
  const secrets: ExecutionSecrets = {
    paths: [...values.keys()],
    env: {},
    files: [],
    values: [...new Set(values.values())],
  };
  for (const delivery of deliveries) {
    const value = values.get(delivery.path)!;
    if (delivery.env !== undefined) secrets.env[delivery.env] = value;
    else if (delivery.file !== undefined) secrets.files.push({ name: delivery.file, value });
  }
  return secrets;
}

/**
 * The names of the options whose value shows a secret the execution receives (the value itself,
 * inside a longer text, or in a printed form such as base64), which are shown as `*****`
 * wherever the execution is. A `secret` option holds a path, never a value. A secret that
 * cannot be opened here is left out: the worker then fails the run saying why.
 */
export async function optionsShowingSecrets(
  db: Db,
  keyring: Keyring,
  execution: Pick<Execution, 'spec' | 'options'>,
): Promise<string[]> {
  const deliveries = deliveriesOf(execution);
  if (deliveries.length === 0) return [];
  const values: string[] = [];
  for (const secretPath of new Set(deliveries.map((delivery) => delivery.path))) {
    try {
      values.push(await openSecret(db, keyring, secretPath));
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
    }
  }
  const masker = Masker.forSecrets(values);
  if (!masker) return [];
  const secretOptions = new Set(
    (execution.spec.options ?? []).filter((option) => option.type === 'secret').map((option) => option.name),
  );
  return Object.entries(execution.options)
    .filter(([name, value]) => {
      if (secretOptions.has(name) || value === undefined) return false;
      return masker.firstSecretAt(Buffer.from(JSON.stringify(value))) !== -1;
    })
    .map(([name]) => name);
}

/** One `secret.use` record per secret, in one transaction. */
export async function recordSecretUse(
  db: Db,
  execution: Pick<Execution, 'id' | 'project' | 'job' | 'requestedBy'>,
  paths: readonly string[],
): Promise<void> {
  if (paths.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const secretPath of paths) {
      await appendAudit(trx, {
        actor: execution.requestedBy,
        action: 'secret.use',
        target: `secret/${secretPath}`,
        summary: { execution: execution.id, job: `${execution.project}/${execution.job}` },
      });
    }
  });
}

/** `baton-secrets-<pid of the worker>-XXXXXX`: the pid tells a sweep whose directory it is. */
const SECRET_DIRECTORY_PREFIX = 'baton-secrets-';

/** Whether a process with this pid exists (it may be another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the secret directories of workers that died without cleaning up (kill -9 mid-step),
 * so secret files do not outlive their step for long. A directory of a live process is left
 * alone; a reused pid only delays its removal to a later sweep. Returns what was removed.
 */
export async function sweepSecretDirectories(parent = os.tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await fs.readdir(parent, { withFileTypes: true })) {
    const match = new RegExp(`^${SECRET_DIRECTORY_PREFIX}(\\d+)-`).exec(entry.name);
    if (!match || !entry.isDirectory() || isAlive(Number(match[1]))) continue;
    await fs.rm(path.join(parent, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

/**
 * Runs `step` with the file secrets written to a fresh private directory (0700, files 0600),
 * whose path it is given, and removes the directory when the step ends, however it ends.
 * Without file secrets there is no directory.
 */
export async function withSecretFiles<T>(
  files: ExecutionSecrets['files'],
  step: (directory: string | undefined) => Promise<T>,
): Promise<T> {
  if (files.length === 0) return step(undefined);
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), `${SECRET_DIRECTORY_PREFIX}${process.pid}-`));
  try {
    await fs.chmod(directory, 0o700);
    for (const file of files) {
      const target = path.join(directory, file.name);
      await fs.writeFile(target, file.value, { mode: 0o600, flag: 'wx' });
      await fs.chmod(target, 0o600);
    }
    return await step(directory);
  } finally {
    await fs.rm(directory, { recursive: true, force: true });
  }
}
