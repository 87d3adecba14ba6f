/** Who am I: the caller behind the token. */
import { whoamiResponse } from '../contract/users.js';
import type { HttpApp } from '../platform/http/app.js';
import { principalOf } from '../platform/http/access.js';

export function registerAccessRoutes(app: HttpApp): void {
  app.get(
    '/api/v1/whoami',
    {
      config: { access: 'identity' },
      schema: {
        description: 'The user the token belongs to.',
        response: { 200: whoamiResponse },
      },
    },
    async (request) => {
      const { name, isAdmin } = principalOf(request);
      return { user: { name, isAdmin } };
    },
  );
}
