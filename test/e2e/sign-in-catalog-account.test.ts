/**
 * Signing in and out, finding a job in the catalog (as an administrator and as someone a policy
 * lets see only part of it), the phone and dark layouts, and API tokens on the account page,
 * in Chromium against a real server.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  jobYaml,
  PHONE,
  saveScreenshot,
  signInWithForm,
  useBrowserTests,
  type Person,
  eventually,
} from './harness.js';

const ui = useBrowserTests();
let operator: Person;
let viewer: Person;

const JOBS = [
  jobYaml(
    'payments',
    'refund-order',
    'steps: [{name: refund, command: [echo, refunded]}]',
    'Refund one order',
  ),
  jobYaml(
    'payments',
    'reconcile-ledger',
    'steps: [{name: reconcile, command: [echo, reconciled]}]',
    'Compare the ledger with the bank statement',
  ),
  jobYaml(
    'ops',
    'restart-web',
    'steps: [{name: restart, command: [echo, restarted]}]',
    'Restart the web tier',
  ),
  jobYaml(
    'ops',
    'rotate-logs',
    'steps: [{name: rotate, command: [echo, rotated]}]',
    'Rotate application logs',
  ),
].join('---\n');

beforeAll(async () => {
  operator = await ui.createPerson('operator', { admin: true });
  viewer = await ui.createPerson('viewer');
  await ui.apply(JOBS);
  // The viewer may see the payments project and nothing else (nothing is allowed by default).
  await ui.apply(`
apiVersion: baton/v1
kind: Policy
metadata: { name: viewer-sees-payments }
spec:
  rules:
    - { subjects: [user/viewer], actions: [view], resources: [project/payments], effect: allow }
`);
});

/** The jobs the catalog lists, as "project/name", in the order shown. */
function listedJobs(page: Page): Promise<string[]> {
  return page.getByRole('table').locator('tbody tr').getByRole('link', { name: /\// }).allInnerTexts();
}

describe('signing in', () => {
  test('a wrong password shows an error and stays on the sign-in page', async () => {
    const page = await ui.newPage();
    await page.goto('/jobs');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await saveScreenshot(page, 'sign-in');

    await signInWithForm(page, { name: operator.name, password: 'not-the-password' });

    await eventually(() => page.getByRole('alert').innerText()).toBe('Wrong name or password.');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    const session = await page.context().request.get('/api/v1/session');
    expect(session.status()).toBe(401);
  });

  test('a deep link survives signing in: the person lands on the page and filter they asked for', async () => {
    const page = await ui.newPage();
    await page.goto('/jobs?q=refund');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('returnTo')).toBe('/jobs?q=refund');

    await signInWithForm(page, operator);

    await page.waitForURL((url) => url.pathname === '/jobs' && url.searchParams.get('q') === 'refund');
    await eventually(() => listedJobs(page)).toEqual(['payments/refund-order']);
    await eventually(() => page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('refund');
  });

  test('signing out returns to the sign-in page and ends the session on the server', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs');
    await page.getByRole('link', { name: 'ops/restart-web' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await page.context().request.get('/api/v1/session')).status()).toBe(401);
    // A reload does not bring the person back in.
    await page.goto('/jobs');
    await page.waitForURL((url) => url.pathname === '/sign-in');
  });
});

describe('the job catalog', () => {
  test('search narrows the list, the URL carries it, and a reload keeps it', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto('/jobs');
    await eventually(() => listedJobs(page)).toEqual(
      expect.arrayContaining([
        'ops/restart-web',
        'ops/rotate-logs',
        'payments/reconcile-ledger',
        'payments/refund-order',
      ]),
    );
    await saveScreenshot(page, 'catalog');

    // "ledger" is only in a description: the search reads names, projects and descriptions.
    await page.getByRole('searchbox', { name: 'Search' }).fill('ledger');

    await eventually(() => listedJobs(page)).toEqual(['payments/reconcile-ledger']);
    expect(new URL(page.url()).searchParams.get('q')).toBe('ledger');
    await page.reload();
    await eventually(() => listedJobs(page)).toEqual(['payments/reconcile-ledger']);
    expect(await page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('ledger');

    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-job');
    await page.getByText('No job matches these filters.').waitFor();
  });

  test('a person sees only the jobs a policy lets them view, where the admin sees every job', async () => {
    const admin = await ui.newPage({ as: operator });
    await admin.goto('/jobs');
    await eventually(async () => (await listedJobs(admin)).sort()).toContain('ops/restart-web');

    const page = await ui.newPage({ as: viewer });
    await page.goto('/jobs');
    await page.getByRole('link', { name: 'payments/refund-order' }).waitFor();
    expect((await listedJobs(page)).sort()).toEqual(['payments/reconcile-ledger', 'payments/refund-order']);

    // Nor can they open it by its address.
    await page.goto('/jobs/ops/restart-web');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('heading', { name: 'Run' }).count()).toBe(0);
    expect(await page.getByText('restarted').count()).toBe(0);
  });

  test('at phone width the navigation folds into a menu, and the dark theme follows the system', async () => {
    const phone = await ui.newPage({ as: operator, viewport: PHONE });
    await phone.goto('/jobs');
    await phone.getByRole('link', { name: 'payments/refund-order' }).waitFor();
    const history = phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' });
    expect(await history.isVisible()).toBe(false);
    await saveScreenshot(phone, 'catalog-phone');
    await phone.getByRole('button', { name: 'Menu' }).click();
    await history.waitFor({ state: 'visible' });
    await saveScreenshot(phone, 'catalog-phone-menu');

    const dark = await ui.newPage({ as: operator, colorScheme: 'dark' });
    await dark.goto('/jobs');
    await dark.getByRole('link', { name: 'payments/refund-order' }).waitFor();
    expect(await dark.locator('html').getAttribute('data-theme')).toBe('dark');
    await saveScreenshot(dark, 'catalog-dark');
  });
});

describe('the account page', () => {
  test('a new token is shown once, works against the API, and stops working once revoked', async () => {
    const owner = await ui.createPerson('token-owner');
    const page = await ui.newPage({ as: owner });
    await page.goto('/account');
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();

    await page.getByLabel('What it is for').fill('e2e laptop');
    await page.getByRole('button', { name: 'Create token' }).click();

    const shown = page.getByRole('status').locator('code');
    await shown.waitFor();
    const token = (await shown.innerText()).trim();
    expect(token).toMatch(/^baton_/);
    await saveScreenshot(page, 'account-token-created');
    const whoami = await ui.api<{ name?: string; user?: { name: string } }>(
      'GET',
      '/api/v1/whoami',
      undefined,
      token,
    );
    expect(whoami.status).toBe(200);
    expect(JSON.stringify(whoami.body)).toContain('token-owner');

    // Shown once: after a reload the page lists the token by name and prefix, never its value.
    await page.reload();
    const row = page.getByRole('row', { name: /e2e laptop/ });
    await row.waitFor();
    expect(await page.content()).not.toContain(token);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();

    await row.getByText('revoked').waitFor();
    expect((await ui.api('GET', '/api/v1/whoami', undefined, token)).status).toBe(401);
  });
});
