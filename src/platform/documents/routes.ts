/** POST /api/v1/apply: the HTTP side of `baton apply`. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import type { HttpApp } from '../http/app.js';
import { principalOf } from '../http/access.js';

const applyBody = z.strictObject({
  files: z
    .array(z.strictObject({ name: z.string().min(1).max(1024), content: z.string() }))
    .min(1)
    .describe('YAML or JSON files, each with the name to show in errors'),
  dryRun: z.boolean().default(false),
  prune: z.boolean().default(false),
});

const applyResult = z.object({
  kind: z.string(),
  scope: z.string(),
  name: z.string(),
  action: z.enum(['created', 'updated', 'unchanged', 'deleted']),
  file: z.string().optional(),
  diff: z.string().optional(),
});

export function registerApplyRoutes(app: HttpApp, baton: Pick<Baton, 'apply'>): void {
  app.post(
    '/api/v1/apply',
    {
      // Each document is authorized (edit on its resource) inside the apply, before anything is written.
      config: { access: 'authenticated' },
      schema: {
        description:
          'Applies documents all or nothing; with dryRun, returns what would change and the diffs.',
        body: applyBody,
        response: { 200: z.object({ dryRun: z.boolean(), results: z.array(applyResult) }) },
      },
    },
    async (request) => {
      const results = await baton.apply.apply(request.body, principalOf(request));
      return { dryRun: request.body.dryRun, results };
    },
  );
}
