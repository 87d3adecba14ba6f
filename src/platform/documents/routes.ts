/** POST /api/v1/apply: the HTTP side of `baton apply`. */
import { applyRequest, applyResponse } from '../../contract/apply.js';
import type { HttpApp } from '../http/app.js';
import { principalOf } from '../http/access.js';
import type { ApplyService } from './apply.js';

/** What the apply route uses of the server. */
export interface ApplyRoutesDeps {
  apply: Pick<ApplyService, 'applyWithWarnings'>;
}

export function registerApplyRoutes(app: HttpApp, baton: ApplyRoutesDeps): void {
  app.post(
    '/api/v1/apply',
    {
      // Each document is authorized (edit on its resource) inside the apply, before anything is written.
      config: { access: 'authenticated' },
      schema: {
        description:
          'Applies documents all or nothing; with dryRun, returns what would change and the diffs. Warnings name what was accepted but deserves a look.',
        body: applyRequest,
        response: { 200: applyResponse },
      },
    },
    async (request) => {
      const { results, warnings } = await baton.apply.applyWithWarnings(request.body, principalOf(request));
      return { dryRun: request.body.dryRun, results, warnings };
    },
  );
}
