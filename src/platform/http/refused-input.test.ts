/**
 * Input that could never run, or that crashed the server, is refused at the request with a 400
 * that names the field and the limit, on both databases: option values a process cannot be
 * given, nesting that overflowed the stack, aliases that expand to billions of values, durations
 * past any meaning, prototype keys that were silently dropped, ids that were not decimal, and
 * text that is not well-formed Unicode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { ADMIN_TOKEN, startTestBaton, type TestBaton } from '../../../test/baton.js';

const TOKEN = 'deep-hook-token-0123456789';

const DOCUMENTS = `apiVersion: baton/v1
kind: Job
metadata: {name: greet, project: bounds}
spec:
  options:
    - {name: name, type: string}
    - {name: hosts, type: list}
    - {name: a, type: string}
    - {name: b, type: string}
    - {name: c, type: string}
    - {name: d, type: string}
    - {name: e, type: string}
    - {name: f, type: string}
    - {name: g, type: string}
    - {name: h, type: string}
  steps:
    - {name: greet, script: 'echo "hello $BATON_OPTION_NAME"'}
---
apiVersion: baton/v1
kind: Hook
metadata: {name: deep, project: bounds}
spec: {format: json, auth: {token: {secret: hooks/deep}}, maxBytes: 1048576}
`;

/** A job document whose spec gets `extra` (indented two spaces) before its steps. */
const job = (name: string, extra: string) => `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: bounds}
spec:
${extra}
  steps:
    - {name: s, script: 'true'}
`;

interface Problem {
  path?: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

describe.each(DIALECTS)('refused input on %s', (dialect) => {
  let baton: TestBaton;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    const secret = await baton.request('PUT', '/api/v1/secrets/hooks/deep', { value: TOKEN });
    expect(secret.statusCode).toBeLessThan(300);
    await baton.applyYaml(DOCUMENTS);
  });
  afterAll(async () => baton?.stop());

  const run = (options: Record<string, unknown>) =>
    baton.request('POST', '/api/v1/jobs/bounds/greet/executions', { options });
  const executionCount = async () =>
    (await baton.request('GET', '/api/v1/executions?job=bounds/greet&limit=500')).json().executions.length;
  const applyProblems = async (content: string, name = 'bounds.yaml') => {
    const response = await baton.request('POST', '/api/v1/apply', { files: [{ name, content }] });
    expect(response.statusCode).toBe(400);
    return response.json().error.problems as Problem[];
  };

  describe('option values a step could never be given', () => {
    it('refuses a value over 32 KiB, naming the option, its size and the limit', async () => {
      const before = await executionCount();
      const response = await run({ name: 'x'.repeat(200 * 1024) });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems).toEqual([
        expect.objectContaining({
          path: 'options.name',
          message:
            'value is 204800 bytes; at most 32768 bytes (values reach the step as environment variables)',
        }),
      ]);
      // A list is measured as the JSON text its step receives, not item by item.
      const list = await run({ hosts: Array.from({ length: 4000 }, (_, index) => `host-${index}.example`) });
      expect(list.statusCode).toBe(400);
      expect(list.json().error.problems[0]).toMatchObject({
        path: 'options.hosts',
        message: expect.stringMatching(/^value is \d+ bytes; at most 32768 bytes/),
      });
      expect(await executionCount()).toBe(before);
    });

    it('refuses values that together pass 256 KiB of environment', async () => {
      const values = Object.fromEntries(
        ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'name'].map((name) => [name, 'v'.repeat(30 * 1024)]),
      );
      const response = await run(values);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems).toEqual([
        expect.objectContaining({
          path: 'options',
          message: expect.stringMatching(/^values total \d+ bytes of environment; at most 262144 bytes/),
        }),
      ]);
    });

    it('refuses a NUL byte, which no environment variable can hold', async () => {
      const response = await run({ name: 'before\u0000after' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems).toEqual([
        expect.objectContaining({ path: 'options.name', message: expect.stringContaining('NUL byte') }),
      ]);
    });

    it('refuses 10,000 options at once with one problem naming the limit', async () => {
      const options = Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`o${index}`, 'x']));
      const response = await run(options);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems).toEqual([
        { path: 'options', message: '10000 options given; at most 200', expected: expect.any(String) },
      ]);
    });

    it('still runs an ordinary value', async () => {
      expect((await run({ name: 'ada', hosts: ['a', 'b'] })).statusCode).toBe(201);
    });
  });

  describe('nesting and aliases that crashed the server', () => {
    it('refuses a hook body nested 20,000 deep with 400, and keeps answering', async () => {
      const body =
        '['.repeat(10_000) + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + ']'.repeat(10_000);
      const response = await baton.http.inject({
        method: 'POST',
        url: '/api/v1/hooks/bounds/deep',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        payload: `{"deep": ${body}}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems[0]).toMatchObject({
        message: 'nests deeper than 64 levels of objects and arrays',
      });
      expect(response.json().error.problems[0].path).toMatch(/^body\.deep(\[0\])+$/);
      expect((await baton.request('GET', '/healthz', undefined, {})).json()).toEqual({ status: 'ok' });
    });

    it('refuses an API body nested 20,000 deep before anything walks it', async () => {
      const response = await baton.http.inject({
        method: 'POST',
        url: '/api/v1/jobs/bounds/greet/executions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: `{"options": {"name": ${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('nests deeper than 64 levels');
    });

    it('refuses a billion-laughs document at the first alias, with file, line and column', async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [index, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
        const previous = String.fromCharCode('a'.charCodeAt(0) + index);
        levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
      }
      const problems = await applyProblems(levels.join('\n') + '\n', 'laughs.yaml');
      expect(problems).toEqual([
        expect.objectContaining({
          file: 'laughs.yaml',
          line: 2,
          column: 8,
          message: expect.stringContaining('aliases expand to too many values'),
        }),
      ]);
    });

    it('refuses a document nested deeper than 64 levels, where the nesting starts to', async () => {
      const deep = `metadata: {name: x, project: bounds, labels: {a: ${'['.repeat(100)}${']'.repeat(100)}}}\n`;
      const [problem] = await applyProblems(`apiVersion: baton/v1\nkind: Job\n${deep}`);
      expect(problem).toMatchObject({
        file: 'bounds.yaml',
        line: 3,
        message: 'nests deeper than 64 levels of objects and arrays',
      });
      expect(problem!.path).toMatch(/^metadata\.labels\.a(\[0\])+$/);
    });
  });

  describe('durations past any meaning', () => {
    it('refuses a retry backoff of 99999999999999h with the field, its maximum and position', async () => {
      const problems = await applyProblems(job('backoff', '  retries: {count: 2, backoff: 99999999999999h}'));
      expect(problems).toEqual([
        expect.objectContaining({
          file: 'bounds.yaml',
          line: 5,
          column: 32,
          path: 'spec.retries.backoff',
          message: 'at most 7d, got 99999999999999h',
        }),
      ]);
    });

    it('keeps long timeouts valid and refuses one past 1000 days', async () => {
      const applied = await baton.request('POST', '/api/v1/apply', {
        files: [{ name: 'long.yaml', content: job('long', '  timeout: 400d') }],
      });
      expect(applied.statusCode).toBe(200);
      const [problem] = await applyProblems(job('endless', '  timeout: 5000d'));
      expect(problem).toMatchObject({ path: 'spec.timeout', message: 'at most 1000d, got 5000d' });
    });
    it('refuses a service token or a "since" bound 99999999999999h away instead of overflowing', async () => {
      await baton.addUser('deployer', { kind: 'service' });
      const token = await baton.request('POST', '/api/v1/tokens', {
        name: 'forever-ish',
        user: 'deployer',
        expires: '99999999999999h',
      });
      expect(token.statusCode).toBe(400);
      expect(token.json().error.problems).toEqual([
        expect.objectContaining({ path: 'expires', message: 'at most 3650d, got 99999999999999h' }),
      ]);
      const since = await baton.request('GET', '/api/v1/executions?since=99999999999999h');
      expect(since.statusCode).toBe(400);
      expect(since.json().error.problems).toEqual([
        expect.objectContaining({
          path: 'querystring.since',
          message: 'at most 3650d ago, got 99999999999999h',
        }),
      ]);
      expect((await baton.request('GET', '/api/v1/executions?since=30d')).statusCode).toBe(200);
    });
  });

  describe('keys that name the prototype', () => {
    it('refuses __proto__ in labels, at its key', async () => {
      const content = `apiVersion: baton/v1
kind: Job
metadata:
  name: proto
  project: bounds
  labels:
    team: ops
    __proto__: evil
spec:
  steps: [{name: s, script: 'true'}]
`;
      const problems = await applyProblems(content);
      expect(problems).toEqual([
        expect.objectContaining({
          file: 'bounds.yaml',
          line: 8,
          column: 5,
          path: 'metadata.labels.__proto__',
          message: expect.stringContaining('"__proto__" may not be a key'),
        }),
      ]);
    });

    it('refuses __proto__ and constructor in a step env', async () => {
      const proto = await applyProblems(
        job('env', '  timeout: 1m').replace("script: 'true'}", "script: 'true', env: {__proto__: x}}"),
      );
      expect(proto[0]).toMatchObject({ line: 7, path: 'spec.steps[0].env.__proto__' });
      const constructor = await applyProblems(
        job('env', '  timeout: 1m').replace("script: 'true'}", "script: 'true', env: {constructor: x}}"),
      );
      expect(constructor[0]).toMatchObject({ line: 7, path: 'spec.steps[0].env.constructor' });
    });
  });

  describe('ids and text', () => {
    it('answers 400 naming the id parameter for an id that is not strict decimal', async () => {
      for (const id of ['0x10', '1e1', '016', '+16', '99999999999999999', '-1']) {
        const response = await baton.request('GET', `/api/v1/executions/${encodeURIComponent(id)}`);
        expect(response.statusCode, id).toBe(400);
        expect(response.json().error.problems, id).toEqual([expect.objectContaining({ path: 'params.id' })]);
      }
      const known = (await run({ name: 'ada' })).json().execution.id as number;
      expect((await baton.request('GET', `/api/v1/executions/${known}`)).statusCode).toBe(200);
      expect((await baton.request('GET', '/api/v1/executions/9007199254740991')).statusCode).toBe(404);
    });

    it('refuses a lone surrogate in a request body with 400 naming the field', async () => {
      const before = await executionCount();
      const response = await baton.http.inject({
        method: 'POST',
        url: '/api/v1/jobs/bounds/greet/executions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: '{"options": {"name": "half \\ud800 a pair"}}',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.problems).toEqual([
        expect.objectContaining({
          path: 'body.options.name',
          message: expect.stringContaining('not well-formed Unicode'),
        }),
      ]);
      expect(await executionCount()).toBe(before);
      // A well-formed pair is ordinary text.
      expect((await run({ name: 'smile \ud83d\ude00' })).statusCode).toBe(201);
    });

    it('refuses a lone surrogate written as a YAML escape, at its position', async () => {
      const [problem] = await applyProblems(
        job('text', '  timeout: 1m').replace("script: 'true'", 'script: "echo \\ud800"'),
      );
      expect(problem).toMatchObject({
        line: 7,
        path: 'spec.steps[0].script',
        message: expect.stringContaining('not well-formed Unicode'),
      });
    });
  });
});
