/**
 * The OpenAPI document is the API as it is sent. For every route a real Baton registers, the
 * response schema GET /api/openapi.json documents is the JSON schema of the zod schema the route's
 * serializer was compiled with, the document lists the routes the app has (no more, no fewer), and
 * no route answers without a response schema unless it is named below with why it sends no JSON.
 *
 * Nothing is mocked away: the two wrappers only watch. One records each route as Fastify registers
 * it (an onRoute hook, added before createBaton registers any); the other records each schema the
 * zod serializer compiler is handed, then compiles it as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RouteOptions } from 'fastify';
import type * as TypeProvider from 'fastify-type-provider-zod';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { $ZodType } from 'zod/v4/core';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import type * as HttpAppModule from './app.js';

const seen = vi.hoisted(() => ({
  routes: [] as RouteOptions[],
  serializers: [] as { schema: unknown; method: string; url: string; httpStatus?: string }[],
}));

vi.mock('fastify-type-provider-zod', async (importOriginal) => {
  const original = await importOriginal<typeof TypeProvider>();
  const serializerCompiler: typeof original.serializerCompiler = (route) => {
    seen.serializers.push(route);
    return original.serializerCompiler(route);
  };
  return { ...original, serializerCompiler };
});

vi.mock('./app.js', async (importOriginal) => {
  const original = await importOriginal<typeof HttpAppModule>();
  const createHttpApp: typeof original.createHttpApp = async (options) => {
    const app = await original.createHttpApp(options);
    app.addHook('onRoute', (route) => void seen.routes.push(route as RouteOptions));
    return app;
  };
  return { ...original, createHttpApp };
});

/** Routes that answer without a JSON body, so they have no response schema to document. */
const NOT_JSON: Record<string, string> = {
  'GET /metrics': 'Prometheus text exposition, hidden from the document',
  'GET /api/openapi.json': 'the document itself, hidden from it',
  'GET /': 'the web UI (index.html), hidden from the document',
  'GET /*': 'the web UI (index.html) for every page path, hidden from the document',
  'GET /assets/*': "the web UI's built files, hidden from the document",
  'POST /api/v1/sign-out': '204 without a body, and a cookie',
  'GET /api/v1/oidc/login': "a redirect to the identity provider's sign-in page",
  'GET /api/v1/oidc/callback': 'a redirect into the web UI, with the session cookie',
  'GET /api/v1/audit/export': 'JSON lines (application/x-ndjson), streamed',
  'GET /api/v1/executions/:id/log/download': 'the log as plain text, streamed',
  'GET /api/v1/executions/:id/log/stream': 'Server-Sent Events (text/event-stream)',
  'GET /api/v1/slos/rules': 'Prometheus rules as YAML (application/yaml)',
};

interface Route {
  key: string;
  method: string;
  url: string;
  hide: boolean;
  response: Record<string, unknown>;
}

/** Each method of each registered route, without the HEAD twin Fastify adds to every GET. */
function registeredRoutes(): Route[] {
  const routes = seen.routes.flatMap((route) =>
    [route.method].flat().map((method) => {
      const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
      return {
        key: `${method} ${route.url}`,
        method,
        url: route.url,
        hide: schema.hide === true,
        response: schema.response ?? {},
      };
    }),
  );
  const keys = new Set(routes.map((route) => route.key));
  return routes.filter((route) => !(route.method === 'HEAD' && keys.has(`GET ${route.url}`)));
}

/** `/api/v1/nodes/{name}` → `/api/v1/nodes/:name`; `{*}` → `*`. */
function fastifyPath(openapiPath: string): string {
  return openapiPath.replace(/\{\*\}/g, '*').replace(/\{([^}]+)\}/g, ':$1');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The schema with every `#/components/schemas/…` reference replaced by what it names, so the
 * document and a fresh derivation compare by content, whatever their components are called. A
 * reference met again inside itself (a recursive schema) becomes `{ recursive: <name> }`.
 */
function inline(schema: Json, components: Record<string, Json>, open: string[] = []): Json {
  if (Array.isArray(schema)) return schema.map((item) => inline(item, components, open));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (target === undefined) throw new Error(`unresolved reference ${ref}`);
    if (open.includes(name)) return { recursive: open.indexOf(name) };
    return inline(target, components, [...open, name]);
  }
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, inline(value, components, open)]),
  );
}

/** The JSON schema of a zod response schema, derived again by the transform the app documents with. */
function derive(zod: unknown, status: string, url: string): Json {
  const { schema } = jsonSchemaTransform({
    schema: { response: { [status]: zod } },
    url,
    route: {},
    openapiObject: { openapi: '3.0.3' },
  } as never) as { schema: { response: Record<string, Json> } };
  return schema.response[status]!;
}

/** The named schemas (zod schemas with an id) as components, derived again the same way. */
function deriveComponents(): Record<string, Json> {
  const document = jsonSchemaTransformObject({ openapiObject: { openapi: '3.0.3' } } as never) as {
    components: { schemas: Record<string, Json> };
  };
  return document.components.schemas;
}

describe('the OpenAPI document', () => {
  let baton: TestBaton;
  let document: {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>
    >;
    components: { schemas?: Record<string, Json> };
  };

  beforeAll(async () => {
    baton = await startTestBaton('sqlite');
    document = (await baton.request('GET', '/api/openapi.json', undefined, {})).json();
  });
  afterAll(async () => baton?.stop());

  it('lists exactly the routes the app answers, apart from those hidden because they send no JSON', () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${fastifyPath(path)}`),
    );
    const shown = routes.filter((route) => !route.hide).map((route) => route.key);
    expect(documented.sort()).toEqual(shown.sort());
    const hidden = routes.filter((route) => route.hide).map((route) => route.key);
    expect(hidden.filter((key) => !(key in NOT_JSON))).toEqual([]);
  });

  it('has every route that answers JSON declare a zod schema for its success answer', () => {
    const routes = registeredRoutes();
    const undeclared = routes
      .filter((route) => !Object.keys(route.response).some((status) => /^2\d\d$/.test(status)))
      .map((route) => route.key);
    expect(undeclared.sort()).toEqual(Object.keys(NOT_JSON).sort());
    const notZod = routes.flatMap((route) =>
      Object.entries(route.response)
        .filter(([, schema]) => !(schema instanceof $ZodType))
        .map(([status]) => `${route.key} ${status}`),
    );
    expect(notZod).toEqual([]);
  });

  it('serialises each answer with the very zod schema the route declares', () => {
    const compiled = new Map(
      seen.serializers.map((entry) => [`${entry.method} ${entry.url} ${entry.httpStatus}`, entry.schema]),
    );
    const mismatched = registeredRoutes().flatMap((route) =>
      Object.entries(route.response)
        .filter(([status, schema]) => compiled.get(`${route.key} ${status}`) !== schema)
        .map(([status]) => `${route.key} ${status}`),
    );
    expect(mismatched).toEqual([]);
  });

  it('documents each named schema (a component) as the JSON schema of its zod schema', () => {
    expect(document.components.schemas ?? {}).toEqual(deriveComponents());
  });

  it('documents for each status the JSON schema of the zod schema the route serialises with', () => {
    const components = (document.components.schemas ?? {}) as Record<string, Json>;
    let compared = 0;
    for (const route of registeredRoutes().filter((candidate) => !candidate.hide)) {
      const path = route.url.replace(/:([^/]+)/g, '{$1}').replace(/\*/g, '{*}');
      const responses = document.paths[path]?.[route.method.toLowerCase()]?.responses ?? {};
      expect(Object.keys(responses).sort(), route.key).toEqual(
        Object.keys(route.response).length === 0 ? ['200'] : Object.keys(route.response).sort(),
      );
      for (const [status, zod] of Object.entries(route.response)) {
        const sent = inline(derive(zod, status, route.url), components);
        const documented = responses[status]?.content?.['application/json']?.schema;
        expect(documented, `${route.key} ${status}`).toBeDefined();
        expect(inline(documented!, components), `${route.key} ${status}`).toEqual(sent);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('takes every success answer from src/contract/, the schemas the CLI and the web read', async () => {
    const contract = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../contract');
    const exported = new Set<unknown>();
    for (const file of fs.readdirSync(contract).filter((name) => /(?<!\.test)\.ts$/.test(name))) {
      const module = (await import(path.join(contract, file))) as Record<string, unknown>;
      for (const value of Object.values(module)) exported.add(value);
    }
    const routes = registeredRoutes();
    const elsewhere = routes.flatMap((route) =>
      Object.entries(route.response)
        .filter(([status, schema]) => /^2\d\d$/.test(status) && !exported.has(schema))
        .map(([status]) => `${route.key} ${status}`),
    );
    expect(elsewhere).toEqual([]);
  });
});
