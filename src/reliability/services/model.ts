/**
 * The Service document: a catalog entry for something the organisation runs. Jobs name the
 * service they act on; error budgets, toil and capacity will hang off services later.
 */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';

// The lifecycles the API sends live in the contract, so the CLI and the web read the same list.
import { LIFECYCLES } from '../../contract/services.js';
export { LIFECYCLES } from '../../contract/services.js';

/**
 * Labels group services for error-budget policies (`spec.selector.matchLabels`). Bounded so a
 * document cannot grow a catalog row without limit; keys and values are plain tokens so that a
 * selector written in YAML reads the same as the label it matches.
 */
const LABEL_TOKEN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const labelKey = z
  .string()
  .regex(
    LABEL_TOKEN,
    'must be 1-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  );
export const labelValue = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/,
    'must be empty or 1-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  );
export const serviceLabels = z
  .record(labelKey, labelValue)
  .refine((labels) => Object.keys(labels).length <= 50, 'may hold at most 50 labels');

export const serviceDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Service'),
  metadata: z.strictObject({
    name: resourceName,
    description: z.string().optional(),
    // Optional, never defaulted: a Service applied without labels keeps the digest it had.
    labels: serviceLabels.optional(),
  }),
  spec: z.strictObject({
    /** The team that owns the service. */
    owner: resourceName,
    lifecycle: z.enum(LIFECYCLES),
    links: z
      .array(
        z.strictObject({
          title: z.string().min(1).max(100),
          url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
        }),
      )
      .default([]),
  }),
});
export type ServiceDocument = z.output<typeof serviceDocument>;
