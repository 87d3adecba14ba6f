/** Users and service accounts over HTTP. */
import { z } from 'zod';
import { userResponse, usersResponse, type UserView } from '../../contract/users.js';
import type { AccessControl } from '../authorize.js';
import type { Db } from '../../platform/db/database.js';
import { resourceName } from '../../platform/documents/fields.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { resources } from '../model.js';
import { createUserInput, updateUserInput, type User } from './model.js';
import { UserService } from './service.js';

/** The full API form of a user. */
export function viewUser(user: User): UserView {
  return {
    name: user.name,
    kind: user.kind,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    email: user.email,
    disabled: user.disabledAt !== null,
    signIn: [
      ...(user.hasPassword ? (['password'] as const) : []),
      ...(user.oidcIssuer ? (['oidc'] as const) : []),
      'token' as const,
    ],
    createdAt: user.createdAt.toISOString(),
  };
}

/** What every signed-in caller may see of others: enough to name people in approvals and teams. */
function viewPublicUser(user: User): UserView {
  return { name: user.name, kind: user.kind, displayName: user.displayName };
}

/** What the user routes use of the server. */
export interface UserRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerUserRoutes(app: HttpApp, baton: UserRoutesDeps): void {
  const users = new UserService(baton.db, baton.access);

  app.post(
    '/api/v1/users',
    {
      config: { access: { action: 'admin', resource: () => resources.system } },
      schema: {
        description:
          'Creates a user (a person; with a password they can sign in) or a service account (kind "service": tokens only). Administrators only.',
        body: createUserInput,
        response: { 201: userResponse },
      },
    },
    async (request, reply) => {
      const user = await users.create(principalOf(request), request.body);
      return reply.status(201).send({ user: viewUser(user) });
    },
  );

  app.get(
    '/api/v1/users',
    {
      config: { access: 'account' },
      schema: {
        description:
          'Users and service accounts. Administrators see every field; others see names, kinds and display names (and everything about themselves).',
        response: { 200: usersResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const all = users.isAdministrator(caller);
      const list = (await users.list()).filter(
        (user) => all || user.disabledAt === null || user.id === caller.id,
      );
      return {
        users: list.map((user) => (all || user.id === caller.id ? viewUser(user) : viewPublicUser(user))),
      };
    },
  );

  app.patch(
    '/api/v1/users/:name',
    {
      config: { access: 'account' },
      schema: {
        description:
          'Changes a user: your own password (with currentPassword), display name and email; administrators also any password, `disabled` and `admin`. Disabling ends the user’s sessions and tokens at once.',
        params: z.object({ name: resourceName }),
        body: updateUserInput,
        response: { 200: userResponse },
      },
    },
    async (request) => {
      const user = await users.update(principalOf(request), request.params.name, request.body, {
        currentSession: request.session?.idHash,
      });
      return { user: viewUser(user) };
    },
  );
}
