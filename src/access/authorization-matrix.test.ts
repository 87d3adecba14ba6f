/**
 * The authorization matrix: every registered route, called by an anonymous caller, by a
 * signed-in user whom no policy allows anything, and by an administrator's token scoped to
 * viewing one job. Every route must appear in the table below with what each caller gets, so a
 * new route cannot be added without deciding who may call it and how a token's scopes bound it:
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
  /**
   * What the administrator's token scoped to `view:job/api/greet` gets: only what that scope
   * grants, whatever its owner may do.
   */
  scoped: { status: number; check?(response: LightMyRequestResponse): void };
}

/** The refusal of a scoped token on routes about accounts and tokens. */
const ACCOUNT_REFUSED = { status: 403 };
/** A scoped token is refused what its scope does not grant, as a permission (403)… */
const REFUSED = { status: 403 };
/** …and what its scope does not even let it view is not found, like what does not exist. */
const HIDDEN = { status: 404 };
/** Proof that a listing shows the job the scope grants, and nothing else. */
const onlyGreet =
  (field: string, name: (item: Record<string, unknown>) => unknown) => (response: LightMyRequestResponse) => {
    const names = (response.json()[field] as Record<string, unknown>[]).map(name);
    expect(names.length, field).toBeGreaterThan(0);
    expect(new Set(names), field).toEqual(new Set(['greet']));
  };

const empty = (field: string) => (response: LightMyRequestResponse) =>
  expect(response.json()[field], field).toEqual([]);

/** Keyed by `METHOD URL` as registered; ids and names are filled in from the fixtures. */
const MATRIX: Record<string, Expectation> = {
  'GET /api/v1/whoami': {
    status: 200,
    check: (response) => expect(response.json().user.name).toBe('nobody'),
    scoped: { status: 200, check: (response) => expect(response.json().user.name).toBe('admin') },
  },
  'GET /api/v1/policies': {
    status: 200,
    check: empty('policies'),
    scoped: { status: 200, check: empty('policies') },
  },
  'POST /api/v1/policy/test': {
    body: { as: 'other', action: 'view', resource: 'project/api' },
    status: 403,
    scoped: REFUSED,
  },
  'GET /api/v1/teams': { status: 200, check: empty('teams'), scoped: { status: 200, check: empty('teams') } },
  'GET /api/v1/services': {
    status: 200,
    check: empty('services'),
    scoped: { status: 200, check: empty('services') },
  },
  'GET /api/v1/services/health': {
    status: 200,
    check: empty('services'),
    scoped: { status: 200, check: empty('services') },
  },
  // SLOs of services the caller may not view are not listed, and one of them is not found.
  'GET /api/v1/slos': { status: 200, check: empty('slos'), scoped: { status: 200, check: empty('slos') } },
  'GET /api/v1/slos/:service/:name': { status: 404, scoped: HIDDEN },
  'GET /api/v1/slos/rules': {
    status: 200,
    check: (response) => expect(response.body).not.toContain('record:'),
    scoped: { status: 200, check: (response) => expect(response.body).not.toContain('record:') },
  },
  // SLO measurements: a service nobody may view answers like one that does not exist.
  'POST /api/v1/slos/:service/:name/counts': {
    body: { counts: [{ at: '2026-01-01T00:00:00Z', good: 1, total: 1 }] },
    status: 404,
    scoped: HIDDEN,
  },
  'GET /api/v1/services/:service/corrections': { status: 404, scoped: HIDDEN },
  'POST /api/v1/services/:service/corrections': {
    body: { startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T01:00:00Z', reason: 'maintenance' },
    status: 404,
    scoped: HIDDEN,
  },
  'POST /api/v1/users': { body: { name: 'intruder', kind: 'service' }, status: 403, scoped: REFUSED },
  'GET /api/v1/users': {
    status: 200,
    // Names are public to signed-in callers (to name approvers and members); nothing else is.
    check: (response) => {
      const others = (response.json().users as Record<string, unknown>[]).filter(
        (user) => user.name !== 'nobody',
      );
      for (const user of others) expect(Object.keys(user).sort()).toEqual(['displayName', 'kind', 'name']);
    },
    scoped: ACCOUNT_REFUSED,
  },
  'PATCH /api/v1/users/:name': {
    body: { displayName: 'Mallory', email: 'mallory@example.com' },
    status: 403,
    scoped: ACCOUNT_REFUSED,
  },
  'GET /api/v1/session': {
    status: 200,
    check: (response) => expect(response.json().user.name).toBe('nobody'),
    scoped: { status: 200, check: (response) => expect(response.json().user.name).toBe('admin') },
  },
  'POST /api/v1/sign-out': { status: 204, scoped: { status: 204 } },
  'POST /api/v1/tokens': { body: { name: 'stolen', user: 'admin' }, status: 403, scoped: ACCOUNT_REFUSED },
  'GET /api/v1/tokens': {
    status: 200,
    check: (response) =>
      expect((response.json().tokens as { owner: string }[]).every((token) => token.owner === 'nobody')).toBe(
        true,
      ),
    scoped: ACCOUNT_REFUSED,
  },
  'DELETE /api/v1/tokens/:id': { status: 404, scoped: ACCOUNT_REFUSED },
  'GET /api/v1/audit': { status: 403, scoped: REFUSED },
  'GET /api/v1/audit/verify': { status: 403, scoped: REFUSED },
  'GET /api/v1/audit/export': { status: 403, scoped: REFUSED },
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
    scoped: REFUSED,
  },
  'GET /api/v1/jobs': {
    status: 200,
    check: empty('jobs'),
    scoped: { status: 200, check: onlyGreet('jobs', (job) => job.name) },
  },
  // What the caller may not view answers 404, like a job that does not exist.
  'GET /api/v1/jobs/:project/:name': { status: 404, scoped: { status: 200 } },
  // Viewing is granted, running is not: a refusal, not a pretence that the job does not exist.
  'POST /api/v1/jobs/:project/:name/executions': { body: {}, status: 404, scoped: REFUSED },
  // What the error-budget gate would do: a job the caller may not view is not found.
  'POST /api/v1/budget/check': { body: { job: 'api/greet' }, status: 404, scoped: { status: 200 } },
  'GET /api/v1/executions': {
    status: 200,
    check: empty('executions'),
    scoped: { status: 200, check: onlyGreet('executions', (execution) => execution.job) },
  },
  'GET /api/v1/executions/:id': { status: 404, scoped: { status: 200 } },
  'GET /api/v1/executions/:id/notifications': { status: 404, scoped: { status: 200 } },
  // Not a change, so nothing to count; hidden like the execution itself.
  'GET /api/v1/executions/:id/budget-cost': { status: 404, scoped: { status: 200, check: empty('costs') } },
  'POST /api/v1/executions/:id/cancel': { status: 404, scoped: REFUSED },
  // The awaiting execution is of api/risky, which the scope does not let the token view.
  'POST /api/v1/executions/:id/approve': { body: {}, status: 404, scoped: HIDDEN },
  'POST /api/v1/executions/:id/reject': { body: { comment: 'no' }, status: 404, scoped: HIDDEN },
  'GET /api/v1/approvals': {
    status: 200,
    check: empty('approvals'),
    scoped: { status: 200, check: empty('approvals') },
  },
  'GET /api/v1/executions/:id/log': { status: 404, scoped: REFUSED },
  'GET /api/v1/executions/:id/log/download': { status: 404, scoped: REFUSED },
  'GET /api/v1/executions/:id/log/stream': { status: 404, scoped: REFUSED },
  'GET /api/v1/executions/:id/log/search': { status: 404, scoped: REFUSED },
  'GET /api/v1/workers': { status: 403, scoped: REFUSED },
  'GET /api/v1/schedules': {
    status: 200,
    check: empty('schedules'),
    scoped: { status: 200, check: onlyGreet('schedules', (schedule) => schedule.job) },
  },
  'GET /api/v1/schedules/:project/:name': { status: 404, scoped: { status: 200 } },
  'GET /api/v1/nodes': { status: 200, check: empty('nodes'), scoped: { status: 200, check: empty('nodes') } },
  'GET /api/v1/nodes/:name': { status: 404, scoped: HIDDEN },
  'DELETE /api/v1/nodes/:name/learned-host-key': { status: 404, scoped: HIDDEN },
  'GET /api/v1/node-sources': {
    status: 200,
    check: empty('sources'),
    scoped: { status: 200, check: empty('sources') },
  },
  'POST /api/v1/node-sources/:name/refresh': { status: 404, scoped: HIDDEN },
  // Authenticated by the hook's own key, never by Baton tokens: a caller's token is no key (401).
  'POST /api/v1/hooks/:project/:name': { body: {}, status: 401, scoped: { status: 401 } },
  'GET /api/v1/events': {
    status: 200,
    check: empty('events'),
    scoped: { status: 200, check: empty('events') },
  },
  'GET /api/v1/events/:id': { status: 404, scoped: HIDDEN },
  'GET /api/v1/rules': { status: 200, check: empty('rules'), scoped: { status: 200, check: empty('rules') } },
  'GET /api/v1/hooks': { status: 200, check: empty('hooks'), scoped: { status: 200, check: empty('hooks') } },
  'GET /api/v1/secrets': {
    status: 200,
    check: empty('secrets'),
    scoped: { status: 200, check: empty('secrets') },
  },
  'PUT /api/v1/secrets/*': { body: { value: 'overwritten' }, status: 403, scoped: REFUSED },
  'DELETE /api/v1/secrets/*': { status: 403, scoped: REFUSED },
  'POST /api/v1/secrets/rotate-key': { status: 403, scoped: REFUSED },
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
    scoped: {
      status: 200,
      check: (response) =>
        expect((response.json().byJob as { job: string }[]).map((job) => job.job)).toEqual(['greet']),
    },
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
---
apiVersion: baton/v1
kind: Node
metadata: {name: greet}
spec: {hostname: 10.9.9.9, user: root, key: matrix/key}
---
# An SLO of service web (team sre): hidden from callers who may not view the service.
version: prometheus/v1
service: web
slos:
  - name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting: {name: WebErrors}
`;

describe.each(DIALECTS)('authorization matrix on %s', (dialect) => {
  let baton: TestBaton;
  let nobody: Record<string, string>;
  /** The administrator's token, scoped to viewing job api/greet only. */
  let scoped: Record<string, string>;
  let executionId: number;
  let awaitingId: number;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    await baton.addUser('other');
    nobody = (await baton.addUser('nobody')).headers;
    // Before the fixtures: the node names it as its key.
    const secret = await baton.request('PUT', '/api/v1/secrets/matrix/key', { value: 'matrix-secret-value' });
    expect(secret.statusCode).toBeLessThan(300);
    await baton.applyYaml(FIXTURES);
    executionId = (await baton.run('api/greet')).id;
    awaitingId = (await baton.run('api/risky')).id;
    await baton.waitFor(executionId);
    const token = await baton.request('POST', '/api/v1/tokens', {
      name: 'one job',
      scopes: [{ action: 'view', resource: 'job/api/greet' }],
    });
    expect(token.statusCode, token.body).toBe(201);
    scoped = { authorization: `Bearer ${token.json().token}` };
  });
  afterAll(() => baton.stop());

  type Route = { method: string; url: string };
  const nameOf = (route: Route) =>
    route.url.startsWith('/api/v1/users')
      ? 'admin'
      : route.url.startsWith('/api/v1/slos')
        ? 'requests'
        : 'greet';
  const idOf = (route: Route) => {
    if (route.url.startsWith('/api/v1/tokens')) return '1';
    return String(/approve|reject/.test(route.url) ? awaitingId : executionId);
  };
  const fill = (route: Route, values: { name: string; id: string; path: string }) =>
    route.url
      .replace(':project', 'api')
      .replace(':service', 'web')
      .replace(':name', values.name)
      .replace(':id', values.id)
      .replace('*', values.path);
  const urlOf = (route: Route) => fill(route, { name: nameOf(route), id: idOf(route), path: 'matrix/key' });

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
    // A permission declared before the handler runs is only for what always exists (`system`): a
    // route naming an object in its path must let its handler answer a hidden one like a missing one.
    const declaredOnObjects = declaredRoutes(baton.http)
      .filter((route) => typeof route.access === 'object' && /[:*]/.test(route.url))
      .map((route) => `${route.method} ${route.url}`);
    expect(declaredOnObjects).toEqual([]);
    // Routes about accounts and tokens refuse every scoped token, whatever the route's own table says.
    const accountRoutes = declaredRoutes(baton.http).filter((route) => route.access === 'account');
    expect(accountRoutes.length).toBeGreaterThan(0);
    for (const route of accountRoutes) {
      expect(MATRIX[`${route.method} ${route.url}`]?.scoped, `${route.method} ${route.url}`).toBe(
        ACCOUNT_REFUSED,
      );
    }
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

  it("bounds every route by a token's scopes, whatever its owner (an administrator) may do", async () => {
    for (const route of declaredRoutes(baton.http)) {
      const key = `${route.method} ${route.url}`;
      const expected = MATRIX[key];
      if (!expected) continue;
      const response = await baton.http.inject({
        method: route.method as 'GET',
        url: urlOf(route),
        headers: scoped,
        ...(expected.body === undefined ? {} : { payload: expected.body as object }),
      });
      expect(response.statusCode, `${key}: ${response.body.slice(0, 300)}`).toBe(expected.scoped.status);
      if (expected.scoped === ACCOUNT_REFUSED) {
        expect(response.json().error.message, key).toMatch(/scoped token cannot manage tokens or accounts/);
      }
      expect(response.body, key).not.toContain('matrix-secret-value');
      expect(response.body, key).not.toContain('risky');
      expected.scoped.check?.(response);
    }
  });

  it('answers what a caller may not view exactly like what does not exist, on every route naming one', async () => {
    // Every route with an id or a name in its path, asked about a thing that exists but is hidden
    // from the caller and about one that does not exist: the same status and the same body (with
    // the id or name asked for, which the caller already knows, put back in place).
    const missing = { name: 'no-such-thing', id: '987654', path: 'no/such/secret' };
    for (const route of declaredRoutes(baton.http)) {
      const key = `${route.method} ${route.url}`;
      const expected = MATRIX[key];
      // Public routes (the web UI's paths) hold no data.
      if (!expected || !/[:*]/.test(route.url)) continue;
      const hidden = { name: nameOf(route), id: idOf(route), path: 'matrix/key' };
      const ask = (values: typeof missing) =>
        baton.http.inject({
          method: route.method as 'GET',
          url: fill(route, values),
          headers: nobody,
          ...(expected.body === undefined ? {} : { payload: expected.body as object }),
        });
      // Only the values asked for, as whole words: `1` must not match inside a timestamp.
      const normalize = (body: string, values: typeof missing) =>
        Object.values(values).reduce(
          (text, value) =>
            text.replace(
              new RegExp(`(?<![\\w-])${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\w-])`, 'g'),
              '{asked}',
            ),
          body,
        );
      const [seen, absent] = [await ask(hidden), await ask(missing)];
      expect({ status: seen.statusCode, body: normalize(seen.body, hidden) }, key).toEqual({
        status: absent.statusCode,
        body: normalize(absent.body, missing),
      });
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
