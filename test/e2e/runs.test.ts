/**
 * Running jobs from the browser: the run form built from a job's option types, the execution page
 * with its live log, cancelling a long run, approving a waiting one, and secrets that never reach
 * the page. In Chromium against a real server whose worker runs real processes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { jobYaml, PHONE, saveScreenshot, useBrowserTests, type Person, eventually } from './harness.js';

const ui = useBrowserTests();
let operator: Person;

beforeAll(async () => {
  operator = await ui.createPerson('operator', { admin: true });
});

/** The id in an execution page's address, once the page is there. */
async function executionIdOf(page: Page): Promise<number> {
  await page.waitForURL(/\/executions\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

describe('the run form', () => {
  beforeAll(async () => {
    await ui.apply(
      jobYaml(
        'release',
        'deploy-app',
        `
options:
  - { name: env, type: enum, values: [staging, prod], required: true, default: staging }
  - { name: dry_run, type: boolean, default: true, description: Only say what would change }
  - { name: batch_size, type: integer, min: 1, max: 10, default: 3 }
steps:
  - { name: deploy, command: [echo, deployed] }
`,
        'Deploy the application',
      ),
    );
  });

  test('shows an enum as a select, a boolean as a switch, and fills in the defaults', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs/release/deploy-app');
    const form = page.getByRole('form', { name: 'Run this job' });

    const env = form.getByRole('combobox', { name: /^env/ });
    expect(await env.inputValue()).toBe('staging');
    expect(await env.locator('option').allInnerTexts()).toEqual(['staging', 'prod']);
    expect(await form.getByRole('switch', { name: /^dry_run/ }).isChecked()).toBe(true);
    expect(await form.getByRole('spinbutton', { name: /^batch_size/ }).inputValue()).toBe('3');
    await saveScreenshot(page, 'job-run-form');

    // On a phone the form fits the screen: nothing to scroll sideways to reach a field.
    const phone = await ui.newPage({ as: operator, viewport: PHONE });
    await phone.goto('/jobs/release/deploy-app');
    await phone.getByRole('form', { name: 'Run this job' }).getByRole('combobox', { name: /^env/ }).waitFor();
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    await saveScreenshot(phone, 'job-phone');
  });

  test('an invalid value is explained before submitting, and nothing is submitted', async () => {
    const page = await ui.newPage({ as: operator });
    const runRequests: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/executions'))
        runRequests.push(request.url());
    });
    await page.goto('/jobs/release/deploy-app');
    const form = page.getByRole('form', { name: 'Run this job' });
    const batchSize = form.getByRole('spinbutton', { name: /^batch_size/ });

    await batchSize.fill('50');
    await batchSize.blur();

    await eventually(() => form.getByRole('alert').innerText()).toBe('expected an integer between 1 and 10');
    expect(await batchSize.getAttribute('aria-invalid')).toBe('true');
    await saveScreenshot(page, 'job-run-form-invalid');

    // Submitting anyway is refused by the page: the button turns off and no request leaves.
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await eventually(() => form.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    expect(runRequests).toEqual([]);
    const executions = await ui.api<{ executions: unknown[] }>(
      'GET',
      '/api/v1/executions?job=release/deploy-app',
    );
    expect(executions.body.executions).toEqual([]);
  });

  test('a valid run starts an execution with the chosen options and opens its page', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs/release/deploy-app');
    const form = page.getByRole('form', { name: 'Run this job' });

    await form.getByRole('combobox', { name: /^env/ }).selectOption('prod');
    await form.getByRole('switch', { name: /^dry_run/ }).uncheck();
    await form.getByRole('spinbutton', { name: /^batch_size/ }).fill('5');
    await form.getByRole('button', { name: 'Run', exact: true }).click();

    const id = await executionIdOf(page);
    const execution = await ui.waitForExecution(id, ['succeeded']);
    expect(execution).toMatchObject({
      project: 'release',
      job: 'deploy-app',
      requestedBy: 'operator',
      options: { env: 'prod', dry_run: false, batch_size: 5 },
    });
    await page.getByRole('heading', { name: new RegExp(`#${id}\\b`) }).waitFor();
  });
});

describe('secrets', () => {
  const DB_PASSWORD = 'hunter2-e2e-database-password';
  const API_TOKEN = 'e2e-api-token-7f3a9c51d2';

  beforeAll(async () => {
    await ui.setSecret('e2e/db-password', DB_PASSWORD);
    await ui.setSecret('e2e/api-token', API_TOKEN);
    // Prints its secrets, then waits for the test: the page sees them first through the live
    // stream, then (after a reload) through the stored log.
    await ui.apply(
      jobYaml(
        'release',
        'use-secrets',
        `
secrets:
  - { path: e2e/db-password, env: DB_PASSWORD }
options:
  - { name: api_token, type: secret, required: true }
  - { name: gate, type: string, required: true }
steps:
  - name: print-them
    script: |
      #!/usr/bin/env bash
      echo "password is $DB_PASSWORD"
      echo "token is $BATON_OPTION_API_TOKEN"
      printf '%s' "$DB_PASSWORD" | base64
      while [ ! -e "$BATON_OPTION_GATE/finish" ]; do sleep 0.05; done
`,
      ),
    );
  });

  test('a run that prints its secrets shows them masked, live and stored: no value reaches the page', async () => {
    const gate = await gateDirectory('use-secrets');
    const page = await ui.newPage({ as: operator });
    // Every API answer the page receives, read in full (the live stream only through the page,
    // since its body ends when the execution does).
    const answers: Promise<string>[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/api/') && !url.pathname.endsWith('/stream')) {
        answers.push(response.text().catch(() => ''));
      }
    });
    const forbidden = [DB_PASSWORD, API_TOKEN, Buffer.from(DB_PASSWORD).toString('base64')];
    const expectNoSecretIn = (text: string) => {
      for (const value of forbidden) expect(text).not.toContain(value);
    };
    await page.goto('/jobs/release/use-secrets');
    await page.getByRole('textbox', { name: /^api_token/ }).fill('e2e/api-token');
    await page.getByRole('textbox', { name: /^gate/ }).fill(gate);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const id = await executionIdOf(page);

    // Live: the lines came through the stream while the step still runs.
    await logLine(page, 'password is *****').waitFor();
    await logLine(page, 'token is *****').waitFor();
    expect(await shownState(page)).toBe('running');
    expectNoSecretIn(await page.content());
    await saveScreenshot(page, 'execution-secrets-masked');

    await fs.writeFile(path.join(gate, 'finish'), '');
    await ui.waitForExecution(id, ['succeeded']);
    // The step did receive both values (masked, not missing: an empty one would print nothing).
    const log = await ui.api<{ lines: { text: string }[] }>('GET', `/api/v1/executions/${id}/log`);
    expect(log.body.lines.map((line) => line.text)).toEqual(
      expect.arrayContaining(['password is *****', 'token is *****']),
    );

    // Stored: a fresh load reads the log by ranges.
    await page.reload();
    await logLine(page, 'password is *****').waitFor();
    await logLine(page, 'token is *****').waitFor();
    expectNoSecretIn(await page.content());
    const bodies = await Promise.all(answers);
    expect(bodies.some((body) => body.includes('password is *****'))).toBe(true);
    for (const body of bodies) expectNoSecretIn(body);
  });
});

/** A fresh directory a step and the test share (the step waits for files the test creates). */
async function gateDirectory(name: string): Promise<string> {
  const dir = path.join(ui.dir, 'gates', name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** The content of a file a step writes, once it is there. */
async function fileWritten(file: string): Promise<string> {
  let text = '';
  await eventually(
    async () => (text = (await fs.readFile(file, 'utf8').catch(() => '')).trim()),
    `${file} is never written`,
  ).not.toBe('');
  return text;
}

/** A process that runs: it exists and is not a zombie waiting to be reaped. */
async function running(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return status !== '' && !/^State:\s+Z/m.test(status);
}

/** The state an execution page shows, from the badge in its heading. */
function shownState(page: Page): Promise<string | null> {
  return page.getByRole('heading', { level: 1 }).locator('[data-state]').getAttribute('data-state');
}

/** A line of the log view, by its whole text. */
function logLine(page: Page, text: string): Locator {
  return page.getByRole('region', { name: /^Log lines/ }).getByText(text, { exact: true });
}

describe('the execution page', () => {
  let approver: Person;

  beforeAll(async () => {
    approver = await ui.createPerson('approver');
    await ui.apply(
      [
        // Prints a line, waits until the test lets it go on, prints another, waits again: the
        // second line is seen while the execution still runs, with no sleep in the test.
        jobYaml(
          'ops',
          'two-lines',
          `
options:
  - { name: gate, type: string, required: true, description: directory the test writes release files to }
steps:
  - name: print
    script: |
      #!/usr/bin/env bash
      echo "first line"
      while [ ! -e "$BATON_OPTION_GATE/first" ]; do sleep 0.05; done
      echo "second line"
      while [ ! -e "$BATON_OPTION_GATE/second" ]; do sleep 0.05; done
      echo "done"
`,
        ),
        // Runs until cancelled, leaving the ids of its shell and of its child to check after.
        jobYaml(
          'ops',
          'long-run',
          `
options:
  - { name: gate, type: string, required: true }
steps:
  - name: wait
    script: |
      #!/usr/bin/env bash
      sleep 600 &
      echo $! > "$BATON_OPTION_GATE/child.pid"
      echo $$ > "$BATON_OPTION_GATE/shell.pid"
      echo "waiting for ten minutes"
      wait
`,
        ),
        jobYaml(
          'ops',
          'guarded',
          `
approval: { approvers: user/approver }
steps:
  - { name: act, command: [echo, approved and done] }
`,
        ),
      ].join('---\n'),
    );
  });

  test('the live log shows each line as the job prints it, while the execution runs', async () => {
    const gate = await gateDirectory('two-lines');
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs/ops/two-lines');
    await page.getByRole('textbox', { name: /^gate/ }).fill(gate);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const id = await executionIdOf(page);

    await logLine(page, 'first line').waitFor();
    await eventually(() => shownState(page)).toBe('running');
    expect(await logLine(page, 'second line').count()).toBe(0);
    await saveScreenshot(page, 'execution-running');

    await fs.writeFile(path.join(gate, 'first'), '');
    await logLine(page, 'second line').waitFor();
    // The step is held before its end, so the page must have shown the line while it ran.
    expect(
      (await ui.api<{ execution: { state: string } }>('GET', `/api/v1/executions/${id}`)).body.execution
        .state,
    ).toBe('running');
    expect(await shownState(page)).toBe('running');

    await fs.writeFile(path.join(gate, 'second'), '');
    await eventually(() => shownState(page)).toBe('succeeded');
    await logLine(page, 'done').waitFor();
    await saveScreenshot(page, 'execution-succeeded');
  });

  test('cancelling a long run ends it as cancelled, with its whole process tree', async () => {
    const gate = await gateDirectory('long-run');
    const started = await ui.api<{ execution: { id: number } }>(
      'POST',
      '/api/v1/jobs/ops/long-run/executions',
      {
        options: { gate },
      },
    );
    const id = started.body.execution.id;
    const shell = Number(await fileWritten(path.join(gate, 'shell.pid')));
    const child = Number(await fileWritten(path.join(gate, 'child.pid')));
    expect(await running(shell)).toBe(true);
    expect(await running(child)).toBe(true);

    const page = await ui.newPage({ as: operator });
    await page.goto(`/executions/${id}`);
    await logLine(page, 'waiting for ten minutes').waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page
      .getByRole('group', { name: 'Stop it and its whole process tree?' })
      .getByRole('button', { name: 'Yes, cancel' })
      .click();

    await eventually(() => shownState(page)).toBe('cancelled');
    expect((await ui.waitForExecution(id, ['cancelled'])).state).toBe('cancelled');
    await eventually(async () => [await running(shell), await running(child)]).toEqual([false, false]);
    await saveScreenshot(page, 'execution-cancelled');
  });

  test('a run that needs approval waits until another person approves it in the UI, then runs', async () => {
    const requester = await ui.newPage({ as: operator });
    await requester.goto('/jobs/ops/guarded');
    await requester.getByRole('button', { name: 'Run', exact: true }).click();
    const id = await executionIdOf(requester);
    await eventually(() => shownState(requester)).toBe('awaiting_approval');
    // Nobody approves their own request, administrators included.
    await requester.getByText('You requested this run, so someone else must approve or reject it').waitFor();
    expect(await requester.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await saveScreenshot(requester, 'execution-awaiting-approval');

    // The approver follows the link they were sent.
    const approverPage = await ui.newPage({ as: approver });
    await approverPage.goto(`/executions/${id}`);
    await approverPage.getByRole('button', { name: 'Approve' }).click();

    await eventually(() => shownState(requester)).toBe('succeeded');
    await logLine(requester, 'approved and done').waitFor();
    expect((await ui.waitForExecution(id, ['succeeded'])).state).toBe('succeeded');
  });
});
