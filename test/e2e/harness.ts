/**
 * The web UI as people use it, for the browser tests: a real Baton listening on a port, Debian's
 * Chromium driven by playwright-core, and the HTTP API beside them to set the scene (users, jobs,
 * secrets) and to check what a click really did.
 *
 * The server is SQLite only: the UI talks to the same API on either database, and the API and
 * storage tests already run on both; a second dialect here would double the slowest tests and
 * prove nothing about the pages.
 *
 * One server and one Chromium per test file (launching Chromium costs about a second of CPU on
 * this machine); a fresh browser context per test, so cookies and storage never leak between
 * tests. Tests that share a server name their own jobs, so they do not see each other's runs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { startCliServer, type CliServer } from '../cli-harness.js';
import type { Db } from '../../src/platform/db/database.js';
import type { ConfigOverrides } from '../../src/platform/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the tests leave pictures of the main pages for a person to look at (git-ignored). */
export const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'screenshots');

/** Debian's Chromium, installed by scripts/install-test-deps.sh before `npm test` runs. */
const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

/**
 * This machine has no internet: without these flags Chromium keeps trying to reach Google
 * (component updates, sync, safe browsing), which costs CPU and slows every page. No sandbox:
 * tests run as root in containers, where Chromium's sandbox cannot start.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Desktop first; the phone size is the narrowest the UI promises to be readable at. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * How long one wait for the page may take before the test fails with Playwright's own message
 * (which names the locator), rather than vitest's bare timeout. A condition, never a sleep.
 */
const WAIT_MS = 20_000;

/** An API answer: the status and the parsed JSON body (undefined when there was none). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** A person who can sign in to the UI. */
export interface Person {
  name: string;
  password: string;
}

export interface PageOptions {
  /** Signed in as this person before the page opens (through the API, as a quick start). */
  as?: Person;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** A Baton, a browser and the means to act on both; see `useBrowserTests`. */
export interface UiTestBed {
  /** Where the server listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** The admin's API token. */
  readonly adminToken: string;
  /** The server's data directory (removed at the end), for files steps and tests share. */
  readonly dir: string;
  /** The server's database, to set a scene the API has no verb for (an SLO's stored status). */
  readonly db: Db;
  /** Calls the API as the admin, or with the given token; never throws on a status. */
  api<T = unknown>(method: string, apiPath: string, body?: unknown, token?: string): Promise<ApiAnswer<T>>;
  /** Applies YAML documents as the admin; a refusal fails the test with the server's message. */
  apply(yaml: string): Promise<void>;
  /** Creates a person with a password through the API (as `baton users create` does). */
  createPerson(name: string, options?: { admin?: boolean }): Promise<Person>;
  /** Sets a secret's value through the API, as the admin. */
  setSecret(secretPath: string, value: string): Promise<void>;
  /** A fresh browser context (no cookies, no storage) and a page in it. */
  newPage(options?: PageOptions): Promise<Page>;
  /** Waits until an execution is in one of the given states, through the API, and returns it. */
  waitForExecution(id: number, states: readonly string[]): Promise<ExecutionView>;
  /**
   * Evaluates every SLO now, as a round of the evaluation duty does, and fails on a round's error.
   * With `sloIntervalMs: 0` in the file's config no round runs by itself, so none can store an
   * older status after this one.
   */
  evaluateSlos(): Promise<void>;
}

export interface BrowserTestOptions {
  /** Over the test server's configuration (e.g. `sloIntervalMs: 0`). */
  config?: ConfigOverrides;
}

/** The fields of GET /api/v1/executions/:id the tests read. */
export interface ExecutionView {
  id: number;
  job: string;
  project: string;
  state: string;
  options: Record<string, unknown>;
  requestedBy: string;
}

/**
 * Starts a server and Chromium before the file's tests and stops them after; closes each test's
 * browser contexts after it, keeping a screenshot of every page of a failed test.
 */
export function useBrowserTests(options: BrowserTestOptions = {}): UiTestBed {
  let server: CliServer | undefined;
  let browser: Browser | undefined;
  const contexts = new Set<BrowserContext>();

  beforeAll(async () => {
    // Pictures of an earlier failure of this file would mislead whoever looks next.
    const stale = `failed-${path.basename(expect.getState().testPath ?? 'unknown', '.test.ts')}-`;
    const files = await fs.readdir(SCREENSHOT_DIR).catch(() => [] as string[]);
    await Promise.all(
      files.filter((file) => file.startsWith(stale)).map((file) => fs.rm(path.join(SCREENSHOT_DIR, file))),
    );
    [server, browser] = await Promise.all([
      startCliServer({ config: { killGraceMs: 1000, ...options.config } }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      let index = 0;
      for (const page of [...contexts].flatMap((open) => open.pages())) {
        const file = path.basename(context.task.file.name, '.test.ts');
        await saveScreenshot(page, `failed-${file}-${context.task.name}-${index++}`).catch(() => undefined);
      }
    }
    await Promise.all([...contexts].map((open) => open.close()));
    contexts.clear();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const started = (): CliServer => {
    if (!server) throw new Error('the test server is not started (use the test bed inside tests)');
    return server;
  };

  const api = async <T>(method: string, apiPath: string, body?: unknown, token?: string) => {
    const response = await fetch(new URL(apiPath, started().url), {
      method,
      headers: {
        authorization: `Bearer ${token ?? started().adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  /** Fails with the API's own message when the status is not the expected one. */
  const expectStatus = (answer: ApiAnswer<unknown>, status: number, what: string) => {
    if (answer.status !== status) {
      throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  };

  return {
    get url() {
      return started().url;
    },
    get adminToken() {
      return started().adminToken;
    },
    get dir() {
      return started().dir;
    },
    get db() {
      return started().baton.db;
    },
    api,
    async apply(yaml) {
      expectStatus(
        await api('POST', '/api/v1/apply', { files: [{ name: 'e2e.yaml', content: yaml }] }),
        200,
        'apply',
      );
    },
    async createPerson(name, options = {}) {
      // At least 12 characters, as the server requires.
      const person = { name, password: `${name}-e2e-password` };
      expectStatus(
        await api('POST', '/api/v1/users', { ...person, admin: options.admin ?? false }),
        201,
        `create user ${name}`,
      );
      return person;
    },
    async setSecret(secretPath, value) {
      expectStatus(
        await api('PUT', `/api/v1/secrets/${secretPath}`, { value }),
        200,
        `set secret ${secretPath}`,
      );
    },
    async newPage(options = {}) {
      if (!browser) throw new Error('the browser is not started (use the test bed inside tests)');
      const context = await browser.newContext({
        baseURL: started().url,
        viewport: options.viewport ?? DESKTOP,
        // Light unless asked: the system theme of the machine must not change the screenshots.
        colorScheme: options.colorScheme ?? 'light',
      });
      contexts.add(context);
      context.setDefaultTimeout(WAIT_MS);
      if (options.as) {
        // The context's request API shares its cookie jar: the session cookie set here is the
        // page's. The sign-in form itself is tested once, in its own test.
        const answer = await context.request.post('/api/v1/sign-in', { data: options.as });
        if (!answer.ok()) throw new Error(`sign in as ${options.as.name}: HTTP ${answer.status()}`);
      }
      return context.newPage();
    },
    async waitForExecution(id, states) {
      // vi.waitFor, unlike expect.poll, also works in beforeAll hooks that set a scene.
      return vi.waitFor(
        async () => {
          const answer = await api<{ execution: ExecutionView }>('GET', `/api/v1/executions/${id}`);
          const execution = answer.body.execution;
          if (!states.includes(execution.state)) {
            throw new Error(`execution ${id} is ${execution.state}, not ${states.join(' or ')}`);
          }
          return execution;
        },
        { timeout: WAIT_MS, interval: 100 },
      );
    },
    async evaluateSlos() {
      const report = await started().baton.sloEvaluation.evaluateNow(Date.now());
      if (report.errors.length > 0) throw new Error(`SLO evaluation: ${report.errors.join('; ')}`);
    },
  };
}

/**
 * `expect.poll` with the patience of a page: its own default (one second) is shorter than a busy
 * two-core machine needs to run a step and redraw. Polls a condition; never sleeps a fixed time.
 */
export function eventually<T>(read: () => T | Promise<T>, message?: string) {
  return expect.poll(read, { timeout: WAIT_MS, interval: 100, ...(message ? { message } : {}) });
}

/** Saves a full-page screenshot as test-output/screenshots/NAME.png for a person to look at. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = `${name.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 120)}.png`;
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, file), fullPage: true });
}

/** Signs in through the sign-in form, as a person does. */
export async function signInWithForm(page: Page, person: Person): Promise<void> {
  await page.getByLabel('Name').fill(person.name);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A job document for the tests; `spec` is the YAML under `spec:`. Join documents with `---`. */
export function jobYaml(project: string, name: string, spec: string, description = ''): string {
  return [
    'apiVersion: baton/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    `  project: ${project}`,
    ...(description ? [`  description: ${JSON.stringify(description)}`] : []),
    'spec:',
    spec.replace(/^\n+|\s+$/g, '').replace(/^(?=.)/gm, '  '),
    '',
  ].join('\n');
}
