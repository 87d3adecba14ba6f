/** Secrets as the rest of Baton sees them: paths, metadata, and the references jobs make. */
import { z } from 'zod';
import { InputError } from '../../platform/errors.js';
import { MAX_PATH_LENGTH, secretPathProblem } from '../../contract/secret-path.js';

export { MAX_PATH_LENGTH, MAX_VALUE_BYTES, secretPathProblem } from '../../contract/secret-path.js';

/** The path, checked; InputError naming `field` otherwise. */
export function checkSecretPath(path: string, field = 'path'): string {
  const problem = secretPathProblem(path);
  if (problem) {
    throw new InputError(`invalid secret path: ${problem}`, [
      {
        path: field,
        message: problem,
        expected: 'segments of letters, digits, _ . - separated by / (e.g. db/prod/password)',
        found: JSON.stringify(path.slice(0, MAX_PATH_LENGTH + 1)),
      },
    ]);
  }
  return path;
}

/** A secret without its value: all that any API answer ever shows. */
export interface SecretMetadata {
  path: string;
  version: number;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

/** How a job hands one secret to its steps. */
export interface SecretDelivery {
  path: string;
  /** An environment variable of every step… */
  env?: string | undefined;
  /** …or a file of this name in `$BATON_SECRETS_DIR`. */
  file?: string | undefined;
}

/** A secret path in a document: the same rules, as a zod issue on the field. */
export const secretPath = z.string().superRefine((path, ctx) => {
  const problem = secretPathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const deliveryEnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  .refine((name) => !name.toUpperCase().startsWith('BATON_'), {
    message: 'must not start with BATON_ (those are set by Baton)',
  });
const deliveryFileName = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'must be a file name: letters, digits, _ . -')
  .refine((name) => name !== '.' && name !== '..', { message: 'must not be . or ..' });

/** `spec.secrets` of a job: each secret goes to the steps as an env variable or as a file. */
export const secretDeliveries = z
  .array(
    z
      .strictObject({ path: secretPath, env: deliveryEnvName.optional(), file: deliveryFileName.optional() })
      .superRefine((delivery, ctx) => {
        if ((delivery.env === undefined) === (delivery.file === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'must have exactly one of env or file' });
        }
      }),
  )
  .superRefine((deliveries, ctx) => {
    const seen = new Set<string>();
    deliveries.forEach((delivery, index) => {
      const target = delivery.env !== undefined ? `env ${delivery.env}` : `file ${delivery.file}`;
      if (seen.has(target)) ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${target}` });
      seen.add(target);
    });
  });
