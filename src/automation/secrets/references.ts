/**
 * The secrets a job uses, as the apply and run paths see them: applying a job that uses a
 * secret needs `run` on the secret (so `edit` on a project is not a way to read a production
 * password), and a requester who picks a secret for a `secret` option needs `run` on it too.
 */
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import { parseJobReference, type JobDocument, type JobSpec } from '../jobs/model.js';
import { getJob } from '../jobs/store.js';
import type { Db } from '../../platform/db/database.js';
import type { PlanProblem, PlannedDocument, RequiredPermission } from '../../platform/documents/apply.js';
import type { FieldPath } from '../../platform/documents/source.js';
import { InputError } from '../../platform/errors.js';
import { checkSecretPath } from '../../access/secrets/model.js';
import { existingSecretPaths } from '../../access/secrets/store.js';
import { notificationSecrets } from '../notifications/model.js';

/** Every secret path a job document names itself, with where it names it. */
export function secretsNamedBy(spec: JobSpec): { path: string; field: FieldPath }[] {
  const named: { path: string; field: FieldPath }[] = [];
  spec.secrets?.forEach((delivery, index) =>
    named.push({ path: delivery.path, field: ['spec', 'secrets', index, 'path'] }),
  );
  // A default chosen by the job's author is the author's choice, authorized like spec.secrets.
  spec.options?.forEach((option, index) => {
    if (option.type === 'secret' && typeof option.default === 'string') {
      named.push({ path: option.default, field: ['spec', 'options', index, 'default'] });
    }
  });
  named.push(...notificationSecrets(spec.notifications, ['spec', 'notifications']));
  return named;
}

/**
 * The `requires` hook of the Job kind: `run` on every secret the document names, including a
 * path its `job:` steps give to a `secret` option of the job they run.
 */
export async function secretPermissions(db: Db, spec: JobSpec): Promise<RequiredPermission[]> {
  const named = secretsNamedBy(spec);
  for (const [index, step] of spec.steps.entries()) {
    const reference = step.job && step.options ? parseJobReference(step.job) : undefined;
    if (!reference) continue;
    const target = await getJob(db, reference.project, reference.name);
    for (const option of target?.spec.options ?? []) {
      const value = step.options?.[option.name];
      if (option.type === 'secret' && typeof value === 'string') {
        named.push({ path: value, field: ['spec', 'steps', index, 'options', option.name] });
      }
    }
  }
  return named.map(({ path, field }) => ({ action: 'run', resource: resources.secret(path), path: field }));
}

/** Part of the Job kind's check: every secret a job names must exist. */
export async function missingSecretProblems(
  db: Db,
  documents: readonly PlannedDocument<JobDocument>[],
): Promise<PlanProblem[]> {
  const named = documents.flatMap((document) =>
    secretsNamedBy(document.value.spec).map((reference) => ({ ...reference, document })),
  );
  const existing = await existingSecretPaths(db, [...new Set(named.map((reference) => reference.path))]);
  return named
    .filter((reference) => !existing.has(reference.path))
    .map((reference) => ({
      document: reference.document.source,
      path: reference.field,
      message: `unknown secret "${reference.path}"`,
      expected: 'a secret that exists (baton secrets set PATH)',
    }));
}

/**
 * At run time: the requester needs `run` on every secret they chose for a `secret` option, and
 * it must exist. Defaults were authorized when the job was applied.
 */
export async function authorizeSecretOptions(
  db: Db,
  access: AccessControl,
  caller: Principal,
  spec: JobSpec,
  input: Record<string, unknown>,
): Promise<void> {
  const chosen = (spec.options ?? [])
    .filter((option) => option.type === 'secret' && typeof input[option.name] === 'string')
    .map((option) => ({ option: option.name, path: input[option.name] as string }));
  for (const { option, path } of chosen) {
    checkSecretPath(path, `options.${option}`);
    access.require(caller, 'run', resources.secret(path));
  }
  const existing = await existingSecretPaths(
    db,
    chosen.map(({ path }) => path),
  );
  const missing = chosen.filter(({ path }) => !existing.has(path));
  if (missing.length > 0) {
    throw new InputError(
      `unknown secret${missing.length > 1 ? 's' : ''}: ${missing.map(({ path }) => path).join(', ')}`,
      missing.map(({ option, path }) => ({
        path: `options.${option}`,
        message: `unknown secret "${path}"`,
        expected: 'a secret that exists',
      })),
    );
  }
}
