/**
 * Events and nodes in the web UI: an Alertmanager alert posted to a hook fires a diagnosis whose
 * output fires a remediation, and the Events, Event and Execution pages show that chain; a job
 * on two real sshd nodes fans out, and the execution page lists each node's run with a link to
 * its own log, while the Nodes page lists and filters the nodes. In Chromium against a real
 * server, real OpenSSH servers on loopback ports.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startSshdFleet, type SshdFleet } from '../sshd.js';
import {
  DESKTOP,
  PHONE,
  eventually,
  jobYaml,
  saveScreenshot,
  useBrowserTests,
  type Person,
} from './harness.js';

const ui = useBrowserTests();
let operator: Person;

const HOOK_TOKEN = 'hook-token-for-e2e-4d2f9a';

beforeAll(async () => {
  operator = await ui.createPerson('operator', { admin: true });
});

describe('events, rules and their chain', () => {
  let eventId: number;
  let diagnosisId: number;
  let remediationId: number;

  beforeAll(async () => {
    await ui.setSecret('hooks/alertmanager', HOOK_TOKEN);
    await ui.apply(
      [
        `apiVersion: baton/v1
kind: Hook
metadata: { name: alerts, project: ops, description: Alertmanager of the prod cluster }
spec:
  format: alertmanager
  auth: { token: { secret: hooks/alertmanager } }
`,
        jobYaml(
          'ops',
          'diagnose-disk',
          `
options:
  - { name: host, type: string, required: true }
steps:
  - name: look
    script: |
      echo "looking at $BATON_OPTION_HOST"
      printf '{"cause":"disk_full","mountpoint":"/var"}' > "$BATON_OUTPUT"
`,
        ),
        jobYaml(
          'ops',
          'clean-disk',
          `
options:
  - { name: mountpoint, type: string, required: true }
steps:
  - name: clean
    command: [echo, cleaned]
`,
        ),
        `apiVersion: baton/v1
kind: Rule
metadata: { name: disk-full, project: ops }
spec:
  on: { hook: alerts }
  when: 'status == "firing" && labels.alertname == "DiskFull"'
  job: diagnose-disk
  options: { host: '{{ labels.instance }}' }
  dedup: { window: 30m }
`,
        `apiVersion: baton/v1
kind: Rule
metadata: { name: remediate-disk, project: ops }
spec:
  on: { execution: { job: diagnose-disk } }
  when: 'state == "succeeded" && output.cause == "disk_full"'
  job: clean-disk
  options: { mountpoint: '{{ output.mountpoint }}' }
`,
      ].join('---\n'),
    );
    const response = await fetch(new URL('/api/v1/hooks/ops/alerts', ui.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${HOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'baton',
        groupLabels: { alertname: 'DiskFull' },
        commonLabels: { alertname: 'DiskFull' },
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' },
            annotations: { summary: 'disk /var is 97% full' },
            startsAt: '2026-01-01T00:00:00Z',
          },
        ],
      }),
    });
    expect(response.status).toBe(202);
    const receipt = (await response.json()) as {
      events: { id: number; rules: { executionId: number | null }[] }[];
    };
    eventId = receipt.events[0]!.id;
    diagnosisId = receipt.events[0]!.rules[0]!.executionId!;
    await ui.waitForExecution(diagnosisId, ['succeeded']);
    // The chained rule fires from a loop on the server once the diagnosis has finished.
    remediationId = await vi.waitFor(
      async () => {
        const answer = await ui.api<{ chain: { next: { execution: { id: number } | null }[] }[] }>(
          'GET',
          `/api/v1/events/${eventId}`,
        );
        const id = answer.body.chain[0]?.next[0]?.execution?.id;
        if (id === undefined) throw new Error(`event ${eventId} has no chained execution yet`);
        return id;
      },
      { timeout: 20_000, interval: 100 },
    );
    await ui.waitForExecution(remediationId, ['succeeded']);
  });

  test('the Events page lists the event, what each rule did and the executions it caused', async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/events`);
    const row = page.locator(`tr[data-event="${eventId}"]`);
    await eventually(() => row.count()).toBe(1);
    const text = await row.innerText();
    expect(text).toMatch(/ops\/\s*alerts/);
    expect(text).toMatch(/alertmanager/);
    expect(text).toMatch(/triggered\s+ops\/disk-full/);
    expect(text).toMatch(/triggered\s+ops\/remediate-disk/);
    expect(
      await row
        .locator('td[data-label="Executions"]')
        .getByRole('link', { name: `#${diagnosisId}`, exact: true })
        .count(),
    ).toBe(1);
    expect(
      await row
        .locator('td[data-label="Executions"]')
        .getByRole('link', { name: `#${remediationId}`, exact: true })
        .count(),
    ).toBe(1);
    await saveScreenshot(page, 'events');

    // The hook filter lives in the URL and narrows to that hook.
    await page.locator('label', { hasText: /^Hook/ }).locator('select').selectOption('ops/alerts');
    await eventually(() => new URL(page.url()).searchParams.get('hook')).toBe('alerts');
    expect(new URL(page.url()).searchParams.get('project')).toBe('ops');
    await eventually(() => row.count()).toBe(1);

    // Rules: the condition in code, the job linked, the limits in words; hooks: the URL, never the key.
    await page.getByRole('link', { name: /^Rules/ }).click();
    const rule = page.locator('tr[data-rule="ops/disk-full"]');
    await eventually(() => rule.count()).toBe(1);
    await expect(rule.innerText()).resolves.toMatch(/events of hook alerts/);
    await expect(rule.locator('code.rule-when').innerText()).resolves.toBe(
      'status == "firing" && labels.alertname == "DiskFull"',
    );
    await expect(rule.innerText()).resolves.toMatch(/once per fingerprint within 30m/);
    expect(await rule.getByRole('link', { name: 'diagnose-disk' }).getAttribute('href')).toBe(
      '/jobs/ops/diagnose-disk',
    );
    await expect(page.locator('tr[data-rule="ops/remediate-disk"]').innerText()).resolves.toMatch(
      /finished executions of ops\/diagnose-disk/,
    );
    await saveScreenshot(page, 'events-rules');
    await page.getByRole('link', { name: /^Hooks/ }).click();
    const hook = page.locator('tr[data-hook="ops/alerts"]');
    await eventually(() => hook.count()).toBe(1);
    await expect(hook.innerText()).resolves.toContain(`${ui.url}/api/v1/hooks/ops/alerts`);
    await expect(hook.innerText()).resolves.toMatch(/bearer token\s+from secret hooks\/alertmanager/);
    expect(await page.content()).not.toContain(HOOK_TOKEN);
  });

  test('the Event page shows the chain as a tree: the diagnosis with its output, then the remediation', async () => {
    for (const [name, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const page = await ui.newPage({ as: operator, viewport });
      await page.goto(`${ui.url}/events/${eventId}`);
      await eventually(() => page.locator('.event-summary').innerText()).toMatch(
        /^firing: alertname=DiskFull severity=critical instance=db-1:9100/,
      );
      // The top level is the hook's rule; what its execution caused is nested under it.
      const top = page.locator('.chain-root > .chain-node');
      await eventually(() => top.count()).toBe(1);
      const diagnosis = top.locator(':scope > .chain-entry');
      await expect(diagnosis.innerText()).resolves.toMatch(/rule\s+ops\/disk-full\s+triggered/);
      await expect(diagnosis.locator(`[data-execution="${diagnosisId}"]`).innerText()).resolves.toMatch(
        /ops\/diagnose-disk\s+succeeded/,
      );
      await expect(diagnosis.locator('.chain-output').innerText()).resolves.toBe(
        'output cause=disk_full mountpoint=/var',
      );
      const nested = top.locator(':scope > .chain-tree > .chain-node > .chain-entry');
      await expect(nested.innerText()).resolves.toMatch(/rule\s+ops\/remediate-disk\s+triggered/);
      await expect(nested.locator(`[data-execution="${remediationId}"]`).innerText()).resolves.toMatch(
        /ops\/clean-disk\s+succeeded/,
      );
      // The payload is there, pretty-printed.
      await expect(page.locator('.json-block pre').innerText()).resolves.toMatch(
        /"summary": "disk \/var is 97% full"/,
      );
      await saveScreenshot(page, `event-${name}`);
      if (name === 'desktop') {
        await nested.getByRole('link', { name: `#${remediationId}`, exact: true }).click();
        await eventually(() => page.locator('.execution-lead').innerText()).toMatch(
          new RegExp(`Triggered by event #${eventId}\\s+\\(rule ops/remediate-disk\\)`),
        );
        expect(await page.getByRole('link', { name: `event #${eventId}` }).getAttribute('href')).toBe(
          `/events/${eventId}`,
        );
      }
    }
  });

  test("the diagnosis' execution page shows its output", async () => {
    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/executions/${diagnosisId}`);
    const output = page.getByRole('region', { name: 'Output' });
    await eventually(() => output.locator('pre').innerText()).toMatch(/"cause": "disk_full"/);
    await expect(page.locator('.execution-lead').innerText()).resolves.toMatch(
      new RegExp(`Triggered by event #${eventId}\\s+\\(rule ops/disk-full\\)`),
    );
    await saveScreenshot(page, 'execution-output');
  });
});

describe('nodes', () => {
  let fleet: SshdFleet;

  beforeAll(async () => {
    fleet = await startSshdFleet(2);
    await ui.setSecret('ssh/client', fleet.clientKey);
    const [a, b] = fleet.servers;
    const node = (name: string, spec: Record<string, unknown>) => `apiVersion: baton/v1
kind: Node
metadata: { name: ${name} }
spec: ${JSON.stringify({ user: 'root', key: 'ssh/client', hostname: '127.0.0.1', ...spec })}
`;
    await ui.apply(
      [
        node('web-1', { port: a!.port, hostKey: a!.hostKey, tags: ['web'], attributes: { env: 'prod' } }),
        node('web-2', {
          port: b!.port,
          trustOnFirstUse: true,
          tags: ['web', 'canary'],
          attributes: { env: 'staging' },
        }),
        jobYaml(
          'ops',
          'hello-nodes',
          `
nodes: { tags: [web], parallelism: 2 }
steps:
  - name: greet
    script: 'echo "hello from $BATON_NODE"'
`,
        ),
      ].join('---\n'),
    );
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  test('a fan-out lists each node with its state and a link to its own log', async () => {
    const started = await ui.api<{ execution: { id: number } }>(
      'POST',
      '/api/v1/jobs/ops/hello-nodes/executions',
      {
        options: {},
      },
    );
    const parentId = started.body.execution.id;
    await ui.waitForExecution(parentId, ['succeeded']);

    const page = await ui.newPage({ as: operator });
    await page.goto(`${ui.url}/executions/${parentId}`);
    const nodes = page.getByRole('region', { name: 'Nodes' });
    const rows = nodes.locator('tbody tr');
    await eventually(() => rows.count()).toBe(2);
    for (const name of ['web-1', 'web-2']) {
      await expect(rows.filter({ hasText: name }).locator('.state').innerText()).resolves.toBe('succeeded');
    }
    await saveScreenshot(page, 'execution-nodes');

    const web2 = rows.filter({ hasText: 'web-2' });
    await web2.getByRole('link', { name: /log/ }).click();
    await eventually(() => page.locator('.execution-lead').innerText()).toMatch(
      new RegExp(`on node\\s+web-2\\s+of #${parentId}`),
    );
    await eventually(() => page.locator('.execution-log').innerText()).toMatch(/hello from web-2/);
    expect(await page.locator('.execution-log').innerText()).not.toMatch(/hello from web-1/);

    // The job page says where it runs, and links to those nodes.
    await page.goto(`${ui.url}/jobs/ops/hello-nodes`);
    const section = page.getByRole('region', { name: 'Nodes' });
    await eventually(() => section.innerText()).toMatch(/the nodes tagged web, up to 2 at once/);
    expect(await section.getByRole('link').getAttribute('href')).toBe(
      `/nodes?filter=${encodeURIComponent('tags=web')}`,
    );
  });

  test('the Nodes page lists the nodes, the filter narrows them, and a bad key shows the server message', async () => {
    for (const [name, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const page = await ui.newPage({ as: operator, viewport });
      await page.goto(`${ui.url}/nodes`);
      const rows = page.locator('table.node-table tbody tr');
      await eventually(() => rows.count()).toBe(2);
      const web1 = page.locator('tr[data-node="web-1"]');
      await expect(web1.innerText()).resolves.toMatch(/127\.0\.0\.1:\d+/);
      await expect(web1.innerText()).resolves.toMatch(/env=prod/);
      await expect(web1.locator('.host-key').innerText()).resolves.toBe('pinned');
      // web-2 learned its key on first use during the fan-out above.
      await expect(page.locator('tr[data-node="web-2"] .host-key').innerText()).resolves.toMatch(
        /pinned on first use, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*SHA256:/,
      );
      await saveScreenshot(page, `nodes-${name}`);
      if (name === 'phone') continue;

      await page.getByLabel('Filter').fill('tags=canary');
      await eventually(() => new URL(page.url()).searchParams.get('filter')).toBe('tags=canary');
      await eventually(() => rows.count()).toBe(1);
      await expect(rows.innerText()).resolves.toMatch(/web-2/);

      await page.getByLabel('Filter').fill('env=prod');
      await eventually(() => page.locator('#node-filter-error').innerText()).toMatch(
        /unknown node filter key "env".*attr\.KEY/,
      );
      expect(await rows.count()).toBe(0);
      await saveScreenshot(page, 'nodes-filter-error');
    }
  });
});
