/** Teams over HTTP: who belongs to which team, from documents and from OIDC groups. */
import { teamsResponse } from '../../contract/teams.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { AccessControl } from '../authorize.js';
import { resources } from '../model.js';
import { listTeams } from './store.js';

/** What the team routes use of the server. */
export interface TeamRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerTeamRoutes(app: HttpApp, baton: TeamRoutesDeps): void {
  app.get(
    '/api/v1/teams',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Teams the caller may view, with members and maintainers.',
        response: { 200: teamsResponse },
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
