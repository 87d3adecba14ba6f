/**
 * The HTTP API as a client sees it, on both databases: authentication, errors as JSON,
 * limits, the OpenAPI document, metrics, runs, logs (range and live) and cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { ADMIN_TOKEN, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { generateToken, hashToken, tokenPrefix } from '../../access/tokens.js';
import { insertToken, insertUser } from '../../access/store.js';
import { silentLogger } from '../logging.js';
import { Metrics } from '../metrics.js';
import { createHttpApp } from './app.js';
import { authenticateRequests } from '../../access/http.js';

const JOBS = `apiVersion: baton/v1
kind: Job
metadata: {name: greet, project: api, description: says hello}
spec:
  options:
    - {name: name, type: string, required: true}
    - {name: count, type: integer, min: 1, max: 3, default: 2}
  steps:
    - name: greet
      script: |
        for i in $(seq $BATON_OPTION_COUNT); do echo "hello $BATON_OPTION_NAME $i"; done
        echo "to stderr" >&2
        printf '\\033[31mred\\033[0m\\n'
        env
---
apiVersion: baton/v1
kind: Job
metadata: {name: sleeper, project: api}
spec:
  steps:
    - {name: sleep, script: 'echo sleeping; sleep 300'}
`;

describe.each(DIALECTS)('HTTP API on %s', (dialect) => {
  let baton: TestBaton;
  let outsiderToken: string;

  beforeAll(async () => {
    process.env.BATON_TEST_SERVER_SECRET = 'must-not-reach-steps';
    baton = await startTestBaton(dialect);
    await baton.applyYaml(JOBS);
    const userId = await insertUser(baton.db, { name: 'outsider', isAdmin: false, now: Date.now() });
    outsiderToken = generateToken();
    await insertToken(baton.db, {
      userId,
      name: 'test',
      prefix: tokenPrefix(outsiderToken),
      hash: hashToken(outsiderToken),
      now: Date.now(),
    });
  });
  afterAll(async () => {
    delete process.env.BATON_TEST_SERVER_SECRET;
    await baton?.stop();
  });

  it('refuses callers without a valid token with 401 JSON', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: 'Basic abc' },
    ]) {
      const response = await baton.request('GET', '/api/v1/jobs', undefined, headers);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthenticated');
    }
  });

  it('answers a signed-in caller what they may not view like what does not exist, and lists none of it', async () => {
    const headers = { authorization: `Bearer ${outsiderToken}` };
    const run = await baton.request(
      'POST',
      '/api/v1/jobs/api/greet/executions',
      { options: { name: 'x' } },
      headers,
    );
    expect(run.statusCode).toBe(404);
    expect(run.json().error.message).toBe('job api/greet not found');
    expect((await baton.request('GET', '/api/v1/jobs', undefined, headers)).json().jobs).toEqual([]);
    expect((await baton.request('GET', '/api/v1/whoami', undefined, headers)).json().user).toEqual({
      name: 'outsider',
      isAdmin: false,
    });
  });

  it('answers unknown routes, malformed JSON and oversized bodies with JSON errors', async () => {
    const missing = await baton.request('GET', '/api/v1/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');

    const malformed = await baton.http.inject({
      method: 'POST',
      url: '/api/v1/apply',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"files": [',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toBeDefined();

    const huge = await baton.request('POST', '/api/v1/apply', {
      files: [{ name: 'big.yaml', content: 'x'.repeat(baton.config.bodyLimitBytes + 1) }],
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
  });

  it('names the field and what was expected for an invalid request body', async () => {
    const response = await baton.request('POST', '/api/v1/apply', {
      files: [{ name: 'a.yaml' }],
      prune: 'yes',
    });
    expect(response.statusCode).toBe(400);
    const paths = response.json().error.problems.map((problem: { path: string }) => problem.path);
    expect(paths).toEqual(expect.arrayContaining(['body.files[0].content', 'body.prune']));
  });

  it('reports every invalid option of a run, per option, and queues nothing', async () => {
    const response = await baton.request('POST', '/api/v1/jobs/api/greet/executions', {
      options: { count: 7 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.problems).toEqual([
      expect.objectContaining({ path: 'options.name', message: 'is required' }),
      expect.objectContaining({ path: 'options.count', expected: 'an integer between 1 and 3', found: '7' }),
    ]);
    const unknownJob = await baton.request('POST', '/api/v1/jobs/api/gret/executions', {});
    expect(unknownJob.statusCode).toBe(404);
    expect(unknownJob.json().error.message).toContain('did you mean "api/greet"');
  });

  it('runs a job and serves its log by range, as a download and as a live stream', async () => {
    const queued = await baton.request('POST', '/api/v1/jobs/api/greet/executions', {
      options: { name: 'ada' },
    });
    expect(queued.statusCode).toBe(201);
    const { id } = queued.json().execution;

    // The stream ends by itself once the execution has finished and every line was sent.
    const stream = await baton.request('GET', `/api/v1/executions/${id}/log/stream`);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    const events = stream.body.split('\n\n').filter(Boolean);
    const lines = events
      .filter((event) => event.includes('event: lines'))
      .flatMap(
        (event) => JSON.parse(event.split('\ndata: ')[1]!) as { n: number; s: string; text: string }[],
      );
    expect(lines.map((line) => line.n)).toEqual(lines.map((_, index) => index));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ s: 'stdout', text: 'hello ada 1' }),
        expect.objectContaining({ s: 'stderr', text: 'to stderr' }),
        expect.objectContaining({ s: 'stdout', text: '\u001b[31mred\u001b[0m' }),
      ]),
    );
    expect(events.at(-1)).toContain('event: end');
    expect(events.at(-1)).toContain('"state":"succeeded"');

    // The worker's own environment (credentials included) never reaches a step.
    expect(lines.some((line) => line.text.includes('must-not-reach-steps'))).toBe(false);
    expect(lines.some((line) => line.text === 'BATON_OPTION_NAME=ada')).toBe(true);

    const resumed = await baton.request('GET', `/api/v1/executions/${id}/log/stream`, undefined, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'last-event-id': String(lines.length - 2),
    });
    const resumedLines = resumed.body
      .split('\n\n')
      .filter((event) => event.includes('event: lines'))
      .flatMap((event) => JSON.parse(event.split('\ndata: ')[1]!) as { n: number }[]);
    expect(resumedLines.map((line) => line.n)).toEqual([lines.length - 1]);

    const page = (await baton.request('GET', `/api/v1/executions/${id}/log?from=1&limit=2`)).json();
    expect(page.lines.map((line: { n: number }) => line.n)).toEqual([1, 2]);
    expect(page).toMatchObject({ next: 3, complete: false });

    const download = await baton.request('GET', `/api/v1/executions/${id}/log/download`);
    expect(download.headers['content-disposition']).toContain(`execution-${id}.log`);
    expect(download.body).toContain('hello ada 2\n');

    const detail = (await baton.request('GET', `/api/v1/executions/${id}`)).json().execution;
    expect(detail).toMatchObject({
      state: 'succeeded',
      exitCode: 0,
      options: { name: 'ada', count: 2 },
      requestedBy: 'admin',
    });
    expect(detail.steps).toEqual([
      expect.objectContaining({ name: 'greet', state: 'succeeded', logFirstLine: 0 }),
    ]);

    const listed = (await baton.request('GET', '/api/v1/executions?job=api/greet&state=succeeded')).json();
    expect(listed.executions.map((execution: { id: number }) => execution.id)).toContain(id);
  });

  it('cancels a running execution through the API', async () => {
    const { id } = (await baton.request('POST', '/api/v1/jobs/api/sleeper/executions', {})).json().execution;
    await baton.waitFor(id, 'running');
    const cancelled = await baton.request('POST', `/api/v1/executions/${id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect((await baton.waitFor(id)).state).toBe('cancelled');
    const again = await baton.request('POST', `/api/v1/executions/${id}/cancel`);
    expect(again.statusCode).toBe(409);
  });

  it('describes itself in OpenAPI 3, exports Prometheus metrics and answers health checks', async () => {
    const openapi = (await baton.request('GET', '/api/openapi.json', undefined, {})).json();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/apply',
        '/api/v1/jobs/{project}/{name}/executions',
        '/api/v1/executions/{id}/log',
      ]),
    );
    const metrics = await baton.request('GET', '/metrics', undefined, {});
    expect(metrics.body).toContain('baton_executions_finished_total');
    expect(metrics.body).toMatch(/baton_executions\{state="succeeded"\} \d+/);
    expect((await baton.request('GET', '/healthz', undefined, {})).json()).toEqual({ status: 'ok' });
  });

  it('refuses to register a route that does not declare who may call it', async () => {
    const app = await createHttpApp({
      authenticate: (app) => authenticateRequests(app, baton.db, baton.access),
      logger: silentLogger,
      metrics: new Metrics(),
      bodyLimitBytes: 1024,
      version: 'test',
    });
    expect(() => app.get('/api/v1/forgotten', async () => 'oops')).toThrow(/does not declare its access/);
    await app.close();
  });
});
