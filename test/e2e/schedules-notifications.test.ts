/**
 * What runs on its own and who was told: the Schedules page (plain-words timing, countdown,
 * refused fires standing out, disabled ones last), a job's own schedules on its page, and an
 * execution's notification deliveries with every attempt. In Chromium against a real server,
 * whose scheduler and notification dispatcher do the work.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, jobYaml, saveScreenshot, useBrowserTests, type Person } from './harness.js';

const ui = useBrowserTests();
let operator: Person;

/** A webhook receiver that takes every notification. */
let receiver: http.Server;
let received = 0;

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  operator = await ui.createPerson('operator', { admin: true });
  await ui.createPerson('intern');
  await ui.setSecret('hooks/signing-key', 'a-signing-key-for-tests');
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('the Schedules page', () => {
  beforeAll(async () => {
    await ui.apply(
      [
        jobYaml(
          'maint',
          'rotate-logs',
          `
options:
  - { name: env, type: enum, values: [staging, prod], required: true }
schedules:
  - name: hourly
    cron: '* * * * *'
    options: { env: prod }
steps:
  - name: rotate
    command: [echo, rotated]
`,
        ),
        // Fires every second as someone who may not run the job: every fire is refused.
        `apiVersion: baton/v1
kind: Schedule
metadata: { name: as-intern, project: maint, description: runs as someone without permission }
spec:
  job: rotate-logs
  cron: '* * * * * *'
  options: { env: staging }
  runAs: intern
`,
        `apiVersion: baton/v1
kind: Schedule
metadata: { name: paused, project: maint }
spec:
  job: rotate-logs
  cron: '30 2 * * *'
  timezone: Europe/Paris
  options: { env: staging }
  enabled: false
`,
      ].join('---\n'),
    );
  });

  test('lists every schedule with plain-words timing, its next time, its owner and how its last fire went', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/schedules`);
    const rows = page.getByRole('table').locator('tbody tr');
    // The refused one fires every second, so it soon has a last fire to show.
    await eventually(() => rows.filter({ hasText: 'as-intern' }).innerText()).toMatch(/refused/);

    const names = await rows.locator('.schedule-name').allInnerTexts();
    expect(names).toHaveLength(3);
    // Enabled ones by next fire time (the every-second one is always due first), disabled last.
    expect(names.map((name) => name.replace(/\s+/g, ''))).toEqual([
      'maint/as-intern',
      'maint/rotate-logs.hourly',
      'maint/paused',
    ]);

    const hourly = rows.filter({ hasText: 'rotate-logs.hourly' });
    await expect(hourly.innerText()).resolves.toMatch(/every minute/);
    await expect(hourly.innerText()).resolves.toMatch(/env=prod/);
    await expect(hourly.innerText()).resolves.toMatch(/in job rotate-logs/);
    await expect(hourly.locator('time').first().innerText()).resolves.toMatch(/^(in \d+ (s|min)|due now)$/);

    const refused = rows.filter({ hasText: 'as-intern' });
    await expect(refused.innerText()).resolves.toMatch(/intern/);
    await expect(refused.locator('.fire-detail').innerText()).resolves.toMatch(
      /may not run maint\/rotate-logs/,
    );

    const paused = rows.filter({ hasText: 'paused' });
    await expect(paused.innerText()).resolves.toMatch(/disabled/);
    await expect(paused.innerText()).resolves.toMatch(/every day at 02:30/);
    await expect(paused.innerText()).resolves.toMatch(/Europe\/Paris/);

    // The count of refused schedules stands out at the top.
    await expect(
      page
        .getByRole('region', { name: 'Schedules at a glance' })
        .getByText('last fire refused')
        .locator('..')
        .innerText(),
    ).resolves.toMatch(/1/);
    await saveScreenshot(page, 'schedules');

    // The search narrows the list, and lives in the URL.
    await page.getByRole('searchbox').fill('paused');
    await eventually(() => rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('paused');
  });

  test("a job's page shows its own schedules", async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/jobs/maint/rotate-logs`);
    const section = page.getByRole('region', { name: 'Schedules' });
    await eventually(() => section.locator('tbody tr').count()).toBe(3);
    // The job column is left out: every row is this job's.
    expect(await section.getByRole('columnheader').allInnerTexts()).not.toContain('Job');
  });
});

describe('notification deliveries on the execution page', () => {
  test('show where each notification went and every attempt, open when one is failing', async () => {
    // Nothing listens on the port of a server that was started and closed.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const livePort = (receiver.address() as AddressInfo).port;
    await ui.apply(
      jobYaml(
        'maint',
        'told',
        `
notifications:
  - on: [succeeded]
    webhook: { url: 'http://127.0.0.1:${livePort}/baton', secret: hooks/signing-key }
  - on: [succeeded]
    webhook: { url: 'http://127.0.0.1:${deadPort}/nobody', secret: hooks/signing-key }
steps:
  - name: work
    command: [echo, done]
`,
      ),
    );
    const started = await ui.api<{ execution: { id: number } }>(
      'POST',
      '/api/v1/jobs/maint/told/executions',
      {
        options: {},
      },
    );
    const id = started.body.execution.id;
    await ui.waitForExecution(id, ['succeeded']);

    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/executions/${id}`);
    const section = page.getByRole('region', { name: 'Notifications' });
    await eventually(() => section.locator('summary').innerText()).toMatch(
      /1 delivered, 1 retrying or waiting/,
    );
    // A failing delivery opens the section by itself.
    expect(await section.locator('details').getAttribute('open')).not.toBeNull();
    const items = section.locator('.delivery-list > li');
    const delivered = items.filter({ hasText: `${livePort}/baton` });
    await expect(delivered.innerText()).resolves.toMatch(/delivered\s+webhook on succeeded/);
    await expect(delivered.locator('.delivery-attempts li').innerText()).resolves.toMatch(/HTTP 200/);
    const failing = items.filter({ hasText: `${deadPort}/nobody` });
    await expect(failing.innerText()).resolves.toMatch(/retrying/);
    await expect(failing.innerText()).resolves.toMatch(/next attempt at/);
    expect(received).toBeGreaterThanOrEqual(1);
    // The signing key is a secret: its value never reaches the page.
    expect(await page.content()).not.toContain('a-signing-key-for-tests');
    await saveScreenshot(page, 'execution-notifications');
  });
});
