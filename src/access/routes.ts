/** Who am I: the caller behind the token. */
import { z } from 'zod';
import type { HttpApp } from '../platform/http/app.js';
import { principalOf } from '../platform/http/access.js';

export function registerAccessRoutes(app: HttpApp): void {
  app.get(
    '/api/v1/whoami',
    {
      config: { access: 'identity' },
      schema: {
        description: 'The user the token belongs to.',
        response: { 200: z.object({ user: z.object({ name: z.string(), isAdmin: z.boolean() }) }) },
      },
    },
    async (request) => {
      const { name, isAdmin } = principalOf(request);
      return { user: { name, isAdmin } };
    },
  );
}
