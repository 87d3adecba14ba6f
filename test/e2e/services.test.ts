/**
 * Where people see SLOs and meet the error budget, driven end to end: the SLO and the policy are
 * applied as documents, health checks run through the API and fail, the evaluation duty measures
 * them, and then, in Chromium, the Services page, one Service page with its charts, the run form's
 * answer from the budget gate (approval needed, then refused and overridden) and the execution
 * page's note of what the gate said.
 *
 * The budget is a 75% SLO over the health checks' outcomes: one failed check in six leaves a third
 * of it (the policy asks for an approval below a half), a second in seven spends it (refused).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import type { CorrectionResponse } from '../../src/contract/slos.js';
import { eventually, jobYaml, saveScreenshot, useBrowserTests, type Person } from './harness.js';

// No round of the evaluation runs by itself: each is asked for, after the runs it must count.
const ui = useBrowserTests({ config: { sloIntervalMs: 0 } });
let operator: Person;

const HOUR = 3_600_000;

const catalog = (members: string) => `apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [${members}]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout, description: Takes the money.}
spec: {owner: payments, lifecycle: production}
---
${jobYaml(
  'shop',
  'health-check',
  `service: checkout
purpose: diagnostic
options:
  - {name: fail, type: boolean, default: false}
steps:
  - {name: check, script: 'if [ "$BATON_OPTION_FAIL" = "true" ]; then echo "503"; exit 1; fi; echo "200 OK"'}`,
)}---
${jobYaml('shop', 'deploy', 'service: checkout\npurpose: change\nsteps:\n  - {name: main, script: "true"}')}---
apiVersion: baton/v1
kind: SLO
metadata: {name: checks, displayName: Health checks pass}
spec:
  service: checkout
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: shop/health-check, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: shop/health-check}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.75}]
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: checkout-budget}
spec:
  services: [checkout]
  rules:
    - {name: spent, when: {budgetExhausted: true}, then: refuse}
    - {name: low, when: {budgetRemainingBelow: 50%}, then: approve, approvers: [owner]}
  override: {holdsFor: 1h}
---
apiVersion: openslo/v1
kind: Service
metadata: {name: legacy}
spec: {description: The old shop (only an OpenSLO document names it)}
`;

/** Starts a run through the API and waits for it to end in `state`; its id. */
async function run(job: string, options: Record<string, unknown>, state: string): Promise<number> {
  const answer = await ui.api<{ execution: { id: number } }>('POST', `/api/v1/jobs/shop/${job}/executions`, {
    options,
  });
  if (answer.status !== 201)
    throw new Error(`run ${job}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  await ui.waitForExecution(answer.body.execution.id, [state]);
  return answer.body.execution.id;
}

async function executionIdOf(page: Page): Promise<number> {
  await page.waitForURL(/\/executions\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

let deployId: number;

beforeAll(async () => {
  operator = await ui.createPerson('operator', { admin: true });
  await ui.apply(catalog('operator'));
  // One at a time: each run's outcome must be counted, not raced.
  for (let index = 0; index < 5; index++) await run('health-check', {}, 'succeeded');
  await ui.evaluateSlos();
  // A change while the budget is whole: the gate lets it through, and the charts mark it.
  deployId = await run('deploy', {}, 'succeeded');
  await run('health-check', { fail: true }, 'failed');
  await ui.evaluateSlos();
});

describe('a budget running low', () => {
  test('a job that is not a change: the run form says nothing about the budget', async () => {
    const page = await ui.newPage({ as: operator });
    const checked = page.waitForResponse((response) => response.url().endsWith('/api/v1/budget/check'));
    await page.goto('/jobs/shop/health-check');
    // The form asks the gate, which lets a diagnostic job through whatever the budget.
    await expect((await checked).json()).resolves.toMatchObject({ purpose: 'diagnostic', gated: false });
    await eventually(() => page.getByRole('button', { name: 'Run', exact: true }).isEnabled()).toBe(true);
    await expect(page.getByRole('status', { name: 'Error budget' }).count()).resolves.toBe(0);
  });

  test('the run form says a change needs approval, and the run waits for it', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs/shop/deploy');
    const gate = page.getByRole('status', { name: 'Error budget' });
    await eventually(() => gate.innerText()).toMatch(/^This change needs approval from .*payments/);
    // One bad check in six against a budget of 1.5: a third left, below the policy's half.
    await expect(gate.innerText()).resolves.toContain(
      'SLO checkout/checks has 33.3% of its error budget left (0.5 of 1.5 bad events)',
    );
    // The terminal's `baton run --override-budget` hint is the form's checkbox here.
    await expect(gate.innerText()).resolves.not.toContain('baton run');
    await saveScreenshot(page, 'run-form-budget-approval');
    const runButton = page.getByRole('button', { name: 'Run', exact: true });
    await expect(runButton.isEnabled()).resolves.toBe(true);
    await runButton.click();

    const id = await executionIdOf(page);
    await ui.waitForExecution(id, ['awaiting_approval']);
    const note = page.getByRole('region', { name: 'Error budget', exact: true });
    await eventually(() => note.innerText()).toMatch(/approval required: .*33\.3% of its error budget left/);
    await eventually(() => page.getByRole('region', { name: 'Approval' }).innerText()).toMatch(/payments/);
    await saveScreenshot(page, 'execution-budget-approval');
  });
});

describe('a spent budget', () => {
  beforeAll(async () => {
    // Two bad checks in seven: the budget of 1.75 bad events is overspent by a quarter.
    await run('health-check', { fail: true }, 'failed');
    // Yesterday's maintenance, taken out of the SLI: nothing ran then, so the numbers stay.
    const now = Date.now();
    const correction = await ui.api<CorrectionResponse>('POST', '/api/v1/services/checkout/corrections', {
      slo: 'checks',
      startsAt: new Date(now - 30 * HOUR).toISOString(),
      endsAt: new Date(now - 26 * HOUR).toISOString(),
      reason: 'planned database maintenance',
    });
    if (correction.status !== 201) throw new Error(`correction: HTTP ${correction.status}`);
    await ui.evaluateSlos();
  });

  test('the Services page shows the service frozen; filters and sort go in the URL', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/services');
    const rows = page.locator('.services-table tbody tr');
    await eventually(() => rows.allInnerTexts()).toHaveLength(2);
    const checkout = rows.filter({ hasText: 'checkout' });
    await expect(checkout.locator('td[data-label="Owner"]').innerText()).resolves.toBe('payments');
    await expect(checkout.locator('td[data-label="Lifecycle"]').innerText()).resolves.toBe('production');
    // 5 good of 7 against a 75% target.
    await expect(checkout.locator('td[data-label="Attainment"]').innerText()).resolves.toMatch(
      /^95\.2%\s+1 SLO · exhausted$/,
    );
    await expect(checkout.locator('td[data-label="Budget left"]').innerText()).resolves.toBe('-14.3%');
    await expect(checkout.locator('td[data-label="Gate"]').innerText()).resolves.toBe('frozen');
    const legacy = rows.filter({ hasText: 'legacy' });
    await expect(legacy.locator('td[data-label="Owner"]').innerText()).resolves.toBe('no owner');
    await expect(legacy.locator('td[data-label="Gate"]').innerText()).resolves.toBe('open');
    await saveScreenshot(page, 'services');

    await page.getByLabel('Owner').selectOption('none');
    await eventually(() => new URL(page.url()).searchParams.get('owner')).toBe('none');
    await eventually(() => rows.allInnerTexts()).toEqual([expect.stringContaining('legacy')]);

    await page.goto('/services?gate=frozen');
    await eventually(() => rows.locator('td[data-label="Service"] a').allInnerTexts()).toEqual(['checkout']);

    await page.goto('/services');
    await page.getByRole('button', { name: 'Budget left' }).click();
    await eventually(() => new URL(page.url()).searchParams.get('sort')).toBe('budget');
    // Ascending budget puts the service in trouble first; one without data goes last.
    await eventually(() => rows.locator('td[data-label="Service"] a').allInnerTexts()).toEqual([
      'checkout',
      'legacy',
    ]);
  });

  test("a service's page shows its gate, its SLO's numbers, and the charts with the change and the correction", async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/services');
    await page.getByRole('link', { name: 'checkout' }).click();
    await eventually(() => new URL(page.url()).pathname).toBe('/services/checkout');
    await eventually(() => page.getByRole('status', { name: 'Budget gate' }).innerText()).toMatch(
      /^Budget gate: frozen\. Error budget policy checkout-budget rule spent \(budget exhausted → refuse\): SLO checkout\/checks has -14\.3% of its error budget left/,
    );
    const card = page.getByRole('article', { name: 'SLO checks' });
    await eventually(() => card.getByRole('heading', { name: 'Health checks pass' }).isVisible()).toBe(true);
    await expect(card.innerText()).resolves.toMatch(/SLI\s+71\.429%/);
    await expect(card.innerText()).resolves.toMatch(/Budget left\s+-14\.3% · -0\.25 of 1\.8 events left/);
    await expect(card.getByRole('list', { name: 'Burn rates' }).innerText()).resolves.toMatch(/1h: \d/);

    for (const chart of ['SLI chart', 'Budget left chart']) {
      const figure = card.getByRole('figure', { name: chart });
      await eventually(() => figure.isVisible()).toBe(true);
      // The series of the evaluated slices, the change run before the failures, the correction.
      await eventually(() => figure.locator('path.line').count(), chart).toBe(1);
      await expect(figure.locator('path.line').getAttribute('d')).resolves.toMatch(/^M[\d.]+[ ,][\d.]+/);
      await eventually(() => figure.locator('[data-kind="change"]').count(), chart).toBe(1);
      await expect(figure.locator('[data-kind="change"] title').textContent()).resolves.toBe(
        `Change #${deployId} shop/deploy by admin`,
      );
      await expect(figure.locator('[data-kind="correction"]').count()).resolves.toBe(1);
      await expect(figure.locator('[data-kind="correction"] title').textContent()).resolves.toBe(
        'Correction: planned database maintenance',
      );
    }
    await expect(card.locator('figure[aria-label="SLI chart"] line.target').count()).resolves.toBe(1);
    await expect(card.innerText()).resolves.toContain('planned database maintenance');
    await saveScreenshot(page, 'service');
  });

  test('the run form shows the refusal before Run; an override with a reason runs, and the execution says so', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs/shop/deploy');
    const gate = page.getByRole('status', { name: 'Error budget' });
    await eventually(() => gate.innerText()).toMatch(
      /^Refused: .*SLO checkout\/checks has -14\.3% of its error budget left \(-0\.25 of 1\.8 bad events\)/,
    );
    await expect(gate.innerText()).resolves.not.toContain('baton run');
    const runButton = page.getByRole('button', { name: 'Run', exact: true });
    await expect(runButton.isDisabled()).resolves.toBe(true);

    await gate.getByLabel('Override the error budget').check();
    await page.getByLabel('Why (kept in the audit trail)').fill('hotfix for INC-42');
    await eventually(() => runButton.isEnabled()).toBe(true);
    await saveScreenshot(page, 'run-form-budget-gate');
    await runButton.click();

    const id = await executionIdOf(page);
    const execution = await ui.waitForExecution(id, ['succeeded']);
    expect(execution).toMatchObject({ job: 'deploy', requestedBy: 'operator' });
    const note = page.getByRole('region', { name: 'Error budget', exact: true });
    await eventually(() => note.innerText()).toMatch(
      /^Error budget\s+overridden: .*-14\.3% of its error budget left/,
    );
    await expect(note.innerText()).resolves.toMatch(/Overridden by operator until .+: “?hotfix for INC-42”?/);
    // What the change cost, asked of the SLO side: the checks after it have not run yet.
    const cost = page.getByRole('region', { name: 'Error budget cost' });
    await eventually(() => cost.innerText()).toMatch(/checkout\/checks/);
    await saveScreenshot(page, 'execution-budget-override');
  });
});
