/** Policies over HTTP: listing them, and asking "may this user do that, and which rules say so?". */
import { policiesResponse, policyTestRequest, policyTestResponse } from '../../contract/policies.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { ForbiddenError, InputError } from '../../platform/errors.js';
import type { AccessControl } from '../authorize.js';
import { resources, type Resource } from '../model.js';
import { listPolicies } from './store.js';

/**
 * What a person types for a resource: `job/ops/restart`, `project/ops`, `secret/db/x`, or the
 * job shorthand `ops/restart`.
 */
export function parseResource(text: string): Resource {
  if (
    /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/.test(text) &&
    !/^(project|team|policy|service|secret|workergroup)\//.test(text)
  ) {
    const [project, name] = text.split('/') as [string, string];
    return resources.job(project, name);
  }
  const known =
    /^(system|project\/[a-z0-9][a-z0-9-]*|job\/[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*|secret\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*|(team|policy|service|workergroup)\/[a-z0-9][a-z0-9-]*)$/;
  if (!known.test(text) || /(^|\/)\.\.?(\/|$)/.test(text)) {
    throw new InputError(`invalid resource "${text}"`, [
      {
        path: 'resource',
        message: 'is not a resource name',
        expected:
          'PROJECT/JOB, job/P/NAME, project/P, secret/PATH, team/T, policy/NAME, service/S, workergroup/G or system',
        found: text,
      },
    ]);
  }
  return text;
}

/** What the policy routes use of the server. */
export interface PolicyRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerPolicyRoutes(app: HttpApp, baton: PolicyRoutesDeps): void {
  app.get(
    '/api/v1/policies',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Policies the caller may view, with their rules.',
        response: { 200: policiesResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const policies = await listPolicies(baton.db);
      return {
        policies: policies
          .filter((policy) => baton.access.authorize(caller, 'view', resources.policy(policy.name)).allowed)
          .map((policy) => ({
            name: policy.name,
            description: policy.description,
            rules: policy.spec.rules,
            updatedAt: new Date(policy.updatedAt).toISOString(),
            updatedBy: policy.updatedBy,
          })),
      };
    },
  );

  app.post(
    '/api/v1/policy/test',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Whether a user may perform an action on a resource, and the rules that decided. Anyone may ask about themselves; asking about someone else needs admin.',
        body: policyTestRequest,
        response: { 200: policyTestResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const { as = caller.name, action, resource: text } = request.body;
      const resource = parseResource(text);
      if (as !== caller.name && !baton.access.authorize(caller, 'admin', resources.system).allowed) {
        throw new ForbiddenError('forbidden: only administrators may test policies as another user');
      }
      // Asking about yourself answers for the credential you used, scopes included.
      const decision =
        as === caller.name
          ? baton.access.authorize(caller, action, resource)
          : await baton.access.explain(as, action, resource);
      return {
        user: as,
        action,
        resource: typeof resource === 'string' ? resource : resource.path,
        decision,
      };
    },
  );
}
