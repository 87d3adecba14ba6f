/**
 * The authorization matrix: every registered route, called by an anonymous caller and by a
 * signed-in user whom no policy allows anything. Every route must appear in the table below
 * with what that user gets, so a new route cannot be added without deciding who may call it:
 * the first test fails for any route missing here.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../test/baton.js';
import { declaredRoutes } from '../platform/http/access.js';

interface Expectation {
  /** A valid body, so that a refusal is about permission and not about input. */
  body?: unknown;
  /** The status the user without permissions gets. */
  status: number;
  /** For routes open to every signed-in caller: proof that nothing of others leaked. */
  check?(response: LightMyRequestResponse): void;
}

const empty = (field: string) => (response: LightMyRequestResponse) =>
  expect(response.json()[field], field).toEqual([]);

/** Keyed by `METHOD URL` as registered; ids and names are filled in from the fixtures. */
const MATRIX: Record<string, Expectation> = {
  'GET /api/v1/whoami': {
    status: 200,
    check: (response) => expect(response.json().user.name).toBe('nobody'),
  },
  'GET /api/v1/policies': { status: 200, check: empty('policies') },
  'POST /api/v1/policy/test': {
    body: { as: 'other', action: 'view', resource: 'project/api' },
    status: 403,
  },
  'GET /api/v1/teams': { status: 200, check: empty('teams') },
  'GET /api/v1/services': { status: 200, check: empty('services') },
  'POST /api/v1/users': { body: { name: 'intruder', kind: 'service' }, status: 403 },
  'GET /api/v1/users': {
    status: 200,
    // Names are public to signed-in callers (to name approvers and members); nothing else is.
    check: (response) => {
      const others = (response.json().users as Record<string, unknown>[]).filter(
        (user) => user.name !== 'nobody',
      );
      for (const user of others) expect(Object.keys(user).sort()).toEqual(['displayName', 'kind', 'name']);
    },
  },
  'PATCH /api/v1/users/:name': { body: { disabled: true }, status: 403 },
  'GET /api/v1/session': {
    status: 200,
    check: (response) => expect(response.json().user.name).toBe('nobody'),
  },
  'POST /api/v1/sign-out': { status: 204 },
  'POST /api/v1/tokens': { body: { name: 'stolen', user: 'admin' }, status: 403 },
  'GET /api/v1/tokens': {
    status: 200,
    check: (response) =>
      expect((response.json().tokens as { owner: string }[]).every((token) => token.owner === 'nobody')).toBe(
        true,
      ),
  },
  'DELETE /api/v1/tokens/:id': { status: 404 },
  'GET /api/v1/audit': { status: 403 },
  'GET /api/v1/audit/verify': { status: 403 },
  'GET /api/v1/audit/export': { status: 403 },
  'POST /api/v1/apply': {
    body: {
      files: [
        {
          name: 'x.yaml',
          content:
            'apiVersion: baton/v1\nkind: Job\nmetadata: {name: greet, project: api}\nspec: {steps: [{name: a, script: "id"}]}\n',
        },
      ],
    },
    status: 403,
  },
  'GET /api/v1/jobs': { status: 200, check: empty('jobs') },
  'GET /api/v1/jobs/:project/:name': { status: 403 },
  'POST /api/v1/jobs/:project/:name/executions': { body: {}, status: 403 },
  'GET /api/v1/executions': { status: 200, check: empty('executions') },
  'GET /api/v1/executions/:id': { status: 403 },
  'GET /api/v1/executions/:id/notifications': { status: 403 },
  'POST /api/v1/executions/:id/cancel': { status: 403 },
  'POST /api/v1/executions/:id/approve': { body: {}, status: 403 },
  'POST /api/v1/executions/:id/reject': { body: { comment: 'no' }, status: 403 },
  'GET /api/v1/approvals': { status: 200, check: empty('approvals') },
  'GET /api/v1/executions/:id/log': { status: 403 },
  'GET /api/v1/executions/:id/log/download': { status: 403 },
  'GET /api/v1/executions/:id/log/stream': { status: 403 },
  'GET /api/v1/executions/:id/log/search': { status: 403 },
  'GET /api/v1/workers': { status: 403 },
  'GET /api/v1/schedules': { status: 200, check: empty('schedules') },
  'GET /api/v1/schedules/:project/:name': { status: 403 },
  'GET /api/v1/nodes': { status: 200, check: empty('nodes') },
  'GET /api/v1/nodes/:name': { status: 403 },
  'DELETE /api/v1/nodes/:name/learned-host-key': { status: 403 },
  'GET /api/v1/node-sources': { status: 200, check: empty('sources') },
  'POST /api/v1/node-sources/:name/refresh': { status: 403 },
  // Authenticated by the hook's own key, never by Baton tokens: a caller's token is no key (401).
  'POST /api/v1/hooks/:project/:name': { body: {}, status: 401 },
  'GET /api/v1/events': { status: 200, check: empty('events') },
  'GET /api/v1/events/:id': { status: 404 },
  'GET /api/v1/rules': { status: 200, check: empty('rules') },
  'GET /api/v1/hooks': { status: 200, check: empty('hooks') },
  'GET /api/v1/secrets': { status: 200, check: empty('secrets') },
  'PUT /api/v1/secrets/*': { body: { value: 'overwritten' }, status: 403 },
  'DELETE /api/v1/secrets/*': { status: 403 },
  'POST /api/v1/secrets/rotate-key': { status: 403 },
  'GET /api/v1/usage': {
    status: 200,
    check: (response) =>
      expect(response.json()).toMatchObject({
        days: [],
        byJob: [],
        byUser: [],
        byTeam: [],
        timeSaved: { totalMinutes: 0, byJob: [] },
      }),
  },
};

/** Routes anyone may call; what an anonymous caller gets (no token was sent). */
const PUBLIC: Record<string, { status: number; body?: unknown }> = {
  'GET /healthz': { status: 200 },
  'GET /metrics': { status: 200 },
  'GET /api/openapi.json': { status: 200 },
  'POST /api/v1/sign-in': { body: { name: 'admin', password: 'not the password' }, status: 401 },
  'GET /api/v1/sign-in/methods': { status: 200 },
  // The web UI: the page itself holds no data; everything it shows comes through the API.
  'GET /': { status: 200 },
  'GET /*': { status: 200 },
  'GET /assets/*': { status: 404 },
  // OIDC is not configured in this test.
  'GET /api/v1/oidc/login': { status: 404 },
  'GET /api/v1/oidc/callback': { status: 404 },
};

const FIXTURES = `
apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [other]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: web}
spec: {owner: sre, lifecycle: production}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: others}
spec:
  rules:
    - {subjects: [user/other], actions: [admin], resources: [project/api, secret/**], effect: allow}
---
apiVersion: baton/v1
kind: Job
metadata: {name: greet, project: api}
spec: {steps: [{name: hello, script: "echo hello"}]}
---
apiVersion: baton/v1
kind: Job
metadata: {name: risky, project: api}
spec:
  approval: {approvers: team/sre}
  steps: [{name: hello, script: "echo risky"}]
---
apiVersion: baton/v1
kind: Schedule
metadata: {name: greet, project: api}
spec: {job: greet, cron: "@yearly", enabled: false}
`;

describe.each(DIALECTS)('authorization matrix on %s', (dialect) => {
  let baton: TestBaton;
  let nobody: Record<string, string>;
  let executionId: number;
  let awaitingId: number;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    await baton.addUser('other');
    nobody = (await baton.addUser('nobody')).headers;
    await baton.applyYaml(FIXTURES);
    executionId = (await baton.run('api/greet')).id;
    awaitingId = (await baton.run('api/risky')).id;
    await baton.waitFor(executionId);
    const secret = await baton.request('PUT', '/api/v1/secrets/matrix/key', { value: 'matrix-secret-value' });
    expect(secret.statusCode).toBeLessThan(300);
  });
  afterAll(() => baton.stop());

  const urlOf = (route: { method: string; url: string }) =>
    route.url
      .replace(':project', 'api')
      .replace(':name', route.url.startsWith('/api/v1/users') ? 'admin' : 'greet')
      .replace(':id', () => {
        if (route.url.startsWith('/api/v1/tokens')) return '1';
        return String(/approve|reject/.test(route.url) ? awaitingId : executionId);
      })
      .replace('*', 'matrix/key');

  it('has a decision for every registered route', () => {
    const routes = declaredRoutes(baton.http).map((route) => `${route.method} ${route.url}`);
    const unclassified = routes.filter((route) => !(route in MATRIX) && !(route in PUBLIC));
    expect(unclassified).toEqual([]);
    const stale = [...Object.keys(MATRIX), ...Object.keys(PUBLIC)].filter((route) => !routes.includes(route));
    expect(stale).toEqual([]);
    // Only the routes in PUBLIC are declared public.
    const declaredPublic = declaredRoutes(baton.http)
      .filter((route) => route.access === 'public')
      .map((route) => `${route.method} ${route.url}`);
    expect(declaredPublic.sort()).toEqual(Object.keys(PUBLIC).sort());
  });

  it('refuses anonymous callers on every route that is not public', async () => {
    for (const route of declaredRoutes(baton.http)) {
      const key = `${route.method} ${route.url}`;
      const expected = PUBLIC[key];
      const response = await baton.http.inject({
        method: route.method as 'GET',
        url: urlOf(route),
        ...(expected?.body === undefined ? {} : { payload: expected.body as object }),
      });
      expect(response.statusCode, key).toBe(expected ? expected.status : 401);
    }
  });

  it('refuses a signed-in caller without permission, and shows them nothing of others', async () => {
    for (const route of declaredRoutes(baton.http)) {
      const key = `${route.method} ${route.url}`;
      const expected = MATRIX[key];
      if (!expected) continue;
      const response = await baton.http.inject({
        method: route.method as 'GET',
        url: urlOf(route),
        headers: nobody,
        ...(expected.body === undefined ? {} : { payload: expected.body as object }),
      });
      expect(response.statusCode, `${key}: ${response.body.slice(0, 300)}`).toBe(expected.status);
      expect(response.body, key).not.toContain('matrix-secret-value');
      expected.check?.(response);
    }
  });

  it('allows the same requests to a caller a policy allows', async () => {
    // Proof that the refusals above are about permission: "other" may administer project/api.
    const other = await baton.addUser('other-admin');
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: other-admin}
spec:
  rules:
    - {subjects: [user/other-admin], actions: [admin], resources: [project/api], effect: allow}
`);
    const detail = await baton.request('GET', `/api/v1/executions/${executionId}`, undefined, other.headers);
    expect(detail.statusCode).toBe(200);
    const log = await baton.request('GET', `/api/v1/executions/${executionId}/log`, undefined, other.headers);
    expect(log.statusCode).toBe(200);
    const jobs = await baton.request('GET', '/api/v1/jobs', undefined, other.headers);
    expect(
      jobs
        .json()
        .jobs.map((job: { name: string }) => job.name)
        .sort(),
    ).toEqual(['greet', 'risky']);
    const schedules = await baton.request('GET', '/api/v1/schedules', undefined, other.headers);
    expect(schedules.json().schedules.map((schedule: { name: string }) => schedule.name)).toEqual(['greet']);
  });
});
