/**
 * The Service document: a catalog entry for something the organisation runs. Jobs name the
 * service they act on; error budgets, toil and capacity will hang off services later.
 */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';

// The lifecycles the API sends live in the contract, so the CLI and the web read the same list.
import { LIFECYCLES } from '../../contract/services.js';
export { LIFECYCLES } from '../../contract/services.js';

export const serviceDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Service'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
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
