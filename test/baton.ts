/**
 * A real Baton for tests: real database (SQLite or PostgreSQL), real worker, real child
 * processes, with the HTTP API reached in-process through `inject`.
 */
import type { LightMyRequestResponse } from 'fastify';
import { createBaton, type Baton } from '../src/app.js';
import { bootstrapAdmin } from '../src/access/bootstrap.js';
import { insertToken } from '../src/access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../src/access/tokens.js';
import type { Principal } from '../src/access/model.js';
import { loadConfig, type ConfigOverrides } from '../src/platform/config.js';
import { TERMINAL_STATES, type Execution } from '../src/automation/executions/model.js';
import { getExecution } from '../src/automation/executions/store.js';
import { readLog } from '../src/automation/logs/reader.js';
import { createTestLocation, type DialectName, type TestLocation } from './databases.js';

export const ADMIN_TOKEN = 'baton_test_admin_token';
export const admin: Principal = { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' };

export interface TestBaton extends Baton {
  location: TestLocation;
  /** Calls the API as the admin (or with the given headers). */
  request(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** Applies YAML as the admin. */
  applyYaml(content: string, name?: string): Promise<void>;
  /** Queues a run as the admin. */
  run(job: string, options?: Record<string, unknown>): Promise<Execution>;
  /** Waits until the execution is in a terminal state (or the given one). */
  waitFor(id: number, state?: Execution['state']): Promise<Execution>;
  /**
   * Creates a user (or service account) with a token, straight in the database, and returns
   * headers that authenticate as it. It may do nothing until a policy allows it.
   */
  addUser(
    name: string,
    options?: { kind?: 'user' | 'service'; admin?: boolean },
  ): Promise<{ id: number; token: string; headers: Record<string, string>; principal: Principal }>;
  /** The text of every log line of an execution. */
  logText(id: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts Baton on a fresh database of the dialect, with the admin token bootstrapped. */
export async function startTestBaton(
  dialect: DialectName,
  overrides: ConfigOverrides = {},
): Promise<TestBaton> {
  const location = await createTestLocation(dialect);
  const config = loadConfig(
    {
      dataDir: location.dir,
      databaseUrl: location.url,
      applyExamples: false,
      killGraceMs: 1000,
      // SLOs are evaluated when a test asks (`baton.sloEvaluation.evaluateNow(now)`): a round on
      // its own timer would overwrite the statuses a test writes, at a moment no test controls.
      sloIntervalMs: 0,
      ...overrides,
    },
    {},
  );
  const baton = await createBaton(config);
  await bootstrapAdmin(baton.db, ADMIN_TOKEN);
  const test: TestBaton = {
    ...baton,
    location,
    request: (method, url, body, headers = { authorization: `Bearer ${ADMIN_TOKEN}` }) =>
      baton.http.inject({
        method: method as 'GET',
        url,
        headers,
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    applyYaml: async (content, name = 'test.yaml') => {
      await baton.apply.apply({ files: [{ name, content }] }, admin);
    },
    run: (job, options = {}) => {
      const [project, name] = job.split('/') as [string, string];
      return baton.executions.run(admin, project, name, options);
    },
    waitFor: async (id, state) =>
      new Promise<Execution>((resolve, reject) => {
        const check = async () => {
          const execution = await getExecution(baton.db, id);
          if (execution && (state ? execution.state === state : TERMINAL_STATES.has(execution.state))) {
            unsubscribe();
            clearInterval(poll);
            resolve(execution);
          }
        };
        const unsubscribe = baton.events.subscribe('execution', () => void check().catch(reject));
        // Events are hints; a slow poll guarantees progress (e.g. lease recovery in a sweep).
        const poll = setInterval(() => void check().catch(reject), 200);
        void check().catch(reject);
      }),
    addUser: async (name, options = {}) => {
      const now = Date.now();
      const { id } = await baton.db
        .insertInto('users')
        .values({ name, kind: options.kind ?? 'user', is_admin: options.admin ? 1 : 0, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const token = generateToken();
      await insertToken(baton.db, {
        userId: id,
        name: 'test',
        prefix: tokenPrefix(token),
        hash: hashToken(token),
        now,
      });
      const principal: Principal = {
        kind: options.kind ?? 'user',
        id,
        name,
        isAdmin: options.admin ?? false,
        via: 'token',
      };
      return { id, token, headers: { authorization: `Bearer ${token}` }, principal };
    },
    logText: async (id) =>
      (await readLog({ db: baton.db, registry: baton.logs }, id, 0, 100_000)).map((line) => line.text),
    stop: async () => {
      await baton.close();
      await location.drop();
    },
  };
  return test;
}
