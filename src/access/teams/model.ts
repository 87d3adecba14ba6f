/** The Team document: who belongs to a team, and who maintains it. */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';

export const teamDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Team'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
  spec: z
    .strictObject({
      /** Users and service accounts, by name. */
      members: z.array(resourceName).default([]),
      /** Members who may also change the team and administer the projects it owns. */
      maintainers: z.array(resourceName).default([]),
    })
    .default({ members: [], maintainers: [] }),
});
export type TeamDocument = z.output<typeof teamDocument>;
