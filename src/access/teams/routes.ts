/** Teams over HTTP: who belongs to which team, from documents and from OIDC groups. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { resources } from '../model.js';
import { listTeams } from './store.js';

export function registerTeamRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'access'>): void {
  app.get(
    '/api/v1/teams',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Teams the caller may view, with members and maintainers.',
        response: {
          200: z.object({
            teams: z.array(
              z.object({
                name: z.string(),
                description: z.string().nullable(),
                members: z.array(z.object({ name: z.string(), role: z.string(), origin: z.string() })),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const teams = await listTeams(baton.db);
      return {
        teams: teams.filter(
          (team) => baton.access.authorize(caller, 'view', resources.team(team.name)).allowed,
        ),
      };
    },
  );
}
