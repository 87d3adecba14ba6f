/**
 * Looking back: the History page's filters (in the URL, so a view is a link) and the Usage page's
 * numbers and chart, after a known set of runs. In Chromium against a real server of its own, so
 * that every execution counted here is one this file started.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { jobYaml, PHONE, saveScreenshot, useBrowserTests, type Person, eventually } from './harness.js';

const ui = useBrowserTests();
let operator: Person;

/** Execution ids by job and outcome, as this file ran them. */
const runs = {
  nightlyPassed: [] as number[],
  nightlyFailed: [] as number[],
  weeklyPassed: [] as number[],
  weeklyFailed: [] as number[],
};

/** A job that succeeds or fails as its `outcome` option says. */
const outcomeJob = (name: string) =>
  jobYaml(
    'reports',
    name,
    `
options:
  - { name: outcome, type: enum, values: [pass, fail], default: pass }
steps:
  - name: check
    script: |
      #!/usr/bin/env bash
      echo "outcome: $BATON_OPTION_OUTCOME"
      [ "$BATON_OPTION_OUTCOME" = pass ]
`,
  );

beforeAll(async () => {
  operator = await ui.createPerson('operator', { admin: true });
  await ui.apply([outcomeJob('nightly'), outcomeJob('weekly')].join('---\n'));
  const start = async (job: string, outcome: 'pass' | 'fail', into: number[]) => {
    const answer = await ui.api<{ execution: { id: number } }>(
      'POST',
      `/api/v1/jobs/reports/${job}/executions`,
      {
        options: { outcome },
      },
    );
    into.push(answer.body.execution.id);
  };
  // nightly runs three times, weekly twice: nightly is the most-run job.
  await start('nightly', 'pass', runs.nightlyPassed);
  await start('nightly', 'pass', runs.nightlyPassed);
  await start('nightly', 'fail', runs.nightlyFailed);
  await start('weekly', 'pass', runs.weeklyPassed);
  await start('weekly', 'fail', runs.weeklyFailed);
  for (const id of [...runs.nightlyPassed, ...runs.weeklyPassed])
    await ui.waitForExecution(id, ['succeeded']);
  for (const id of [...runs.nightlyFailed, ...runs.weeklyFailed]) await ui.waitForExecution(id, ['failed']);
});

/** The executions the History table lists, as "#id", newest first. */
function listedExecutions(page: Page): Promise<string[]> {
  return page
    .getByRole('table')
    .locator('tbody tr')
    .getByRole('link', { name: /^#\d+$/ })
    .allInnerTexts();
}

const asListed = (ids: number[]) => [...ids].sort((a, b) => b - a).map((id) => `#${id}`);

describe('the History page', () => {
  test('filters by job and state narrow the rows and are written into the URL', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/executions');
    await eventually(() => listedExecutions(page)).toEqual(
      asListed([...runs.nightlyPassed, ...runs.nightlyFailed, ...runs.weeklyPassed, ...runs.weeklyFailed]),
    );
    await saveScreenshot(page, 'history');

    await page.getByRole('combobox', { name: 'Job', exact: true }).fill('reports/nightly');
    await eventually(() => listedExecutions(page)).toEqual(
      asListed([...runs.nightlyPassed, ...runs.nightlyFailed]),
    );
    expect(new URL(page.url()).searchParams.get('job')).toBe('reports/nightly');

    await page
      .getByRole('group', { name: 'States' })
      .getByRole('checkbox', { name: 'failed', exact: true })
      .check();
    await eventually(() => listedExecutions(page)).toEqual(asListed(runs.nightlyFailed));
    expect(new URL(page.url()).searchParams.get('states')).toBe('failed');
    await saveScreenshot(page, 'history-filtered');
  });

  test('a link with filters opens with them applied', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/executions?job=reports/weekly&states=failed');

    await eventually(() => listedExecutions(page)).toEqual(asListed(runs.weeklyFailed));
    expect(await page.getByRole('combobox', { name: 'Job', exact: true }).inputValue()).toBe(
      'reports/weekly',
    );
    const states = page.getByRole('group', { name: 'States' });
    expect(await states.getByRole('checkbox', { name: 'failed', exact: true }).isChecked()).toBe(true);
    expect(await states.getByRole('checkbox', { name: 'succeeded', exact: true }).isChecked()).toBe(false);
  });

  test('at phone width the rows stay readable', async () => {
    const page = await ui.newPage({ as: operator, viewport: PHONE });
    await page.goto('/executions?job=reports/nightly');
    await eventually(() => listedExecutions(page)).toEqual(
      asListed([...runs.nightlyPassed, ...runs.nightlyFailed]),
    );
    // Nothing wider than the screen: a person reads the list without scrolling sideways.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    await saveScreenshot(page, 'history-phone');
  });
});

describe('the Usage page', () => {
  test('counts the executions, names the most-run job first, and draws them', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/usage');

    // Five runs, three succeeded of the five with a verdict, two jobs, one requester (admin).
    const totals = page.getByRole('region', { name: 'Totals' });
    await eventually(() => totals.innerText()).toMatch(/\b5\s+executions\b/);
    expect(await totals.innerText()).toMatch(/\b60%\s+success rate\b/);
    expect(await totals.innerText()).toMatch(/\b2\s+jobs run\b/);

    const mostRun = page.getByRole('region', { name: 'Most-run jobs' });
    const chart = mostRun.getByRole('img', {
      name: /^Executions per job: reports\/nightly 3, reports\/weekly 2/,
    });
    await chart.waitFor();
    // uPlot drew into a canvas of real size, not an empty box.
    const canvas = await chart.locator('canvas').first().boundingBox();
    expect(canvas?.width).toBeGreaterThan(100);
    expect(canvas?.height).toBeGreaterThan(50);
    await mostRun.getByText('Numbers behind this chart').click();
    const rows = mostRun.getByRole('row');
    expect(await rows.nth(1).getByRole('rowheader').innerText()).toBe('reports/nightly');
    expect(await rows.nth(1).getByRole('cell').first().innerText()).toBe('3');
    await saveScreenshot(page, 'usage');

    const dark = await ui.newPage({ as: operator, colorScheme: 'dark' });
    await dark.goto('/usage');
    await dark
      .getByRole('region', { name: 'Most-run jobs' })
      .getByRole('img')
      .locator('canvas')
      .first()
      .waitFor();
    await saveScreenshot(dark, 'usage-dark');
  });
});
