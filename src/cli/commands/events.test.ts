/**
 * `baton events`, `baton event ID` and `baton rules` as users run them: the compiled CLI against
 * a real Baton (SQLite) that received an alert, ran the diagnosis and chained the remediation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';
import { admin } from '../../../test/baton.js';

let server: CliServer;
let eventId: number;

const TOKEN = 'cli-hook-token-0123456789';

const DOCUMENTS = `
apiVersion: baton/v1
kind: Job
metadata: {name: diagnose, project: ops}
spec:
  options: [{name: host, type: string, required: true}]
  steps: [{name: look, script: 'echo "{\\"cause\\": \\"disk_full\\"}" > "$BATON_OUTPUT"'}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: clean, project: ops}
spec:
  options: [{name: host, type: string, required: true}]
  steps: [{name: clean, script: 'true'}]
---
apiVersion: baton/v1
kind: Hook
metadata: {name: alerts, project: ops}
spec: {format: alertmanager, auth: {token: {secret: hooks/cli}}}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: disk-full, project: ops}
spec:
  on: {hook: alerts}
  when: 'labels.alertname == "DiskFull"'
  job: diagnose
  options: {host: '{{ labels.instance }}'}
  dedup: {window: 10m}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: remediate, project: ops}
spec:
  on: {execution: {job: diagnose}}
  when: 'output.cause == "disk_full"'
  job: clean
  options: {host: '{{ event.labels.instance }}'}
  throttle: {max: 3, per: 1h}
`;

beforeAll(async () => {
  server = await startCliServer();
  await server.baton.secrets.set(admin, 'hooks/cli', { value: TOKEN });
  await server.baton.apply.apply({ files: [{ name: 'events.yaml', content: DOCUMENTS }] }, admin);
  const response = await server.baton.http.inject({
    method: 'POST',
    url: '/api/v1/hooks/ops/alerts',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    payload: {
      version: '4',
      alerts: [
        { status: 'firing', labels: { alertname: 'DiskFull', instance: 'db-1' }, fingerprint: 'fp-1' },
      ],
    },
  });
  expect(response.statusCode, response.body).toBe(202);
  eventId = response.json().events[0].id;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const detail = (
      await server.baton.http.inject({
        method: 'GET',
        url: `/api/v1/events/${eventId}`,
        headers: { authorization: `Bearer ${server.adminToken}` },
      })
    ).json();
    if (detail.chain[0]?.next[0]?.execution?.state === 'succeeded') break;
    if (Date.now() > deadline) throw new Error(`the chain did not finish: ${JSON.stringify(detail)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  await server?.stop();
});

describe('baton events', () => {
  it('lists events with what each rule did', async () => {
    const result = await server.cli(['events', '--project', 'ops']);
    expect(result.code, result.stderr).toBe(0);
    const [header, row] = result.stdout.split('\n');
    expect(header).toMatch(/^ID\s+RECEIVED\s+SOURCE\s+SUMMARY\s+RULES$/);
    expect(row).toMatch(
      new RegExp(
        `^${eventId}\\s+.*ops/alerts\\s+firing: alertname=DiskFull instance=db-1\\s+ops/disk-full triggered #\\d+$`,
      ),
    );
  });

  it('shows one event with its chain as a tree', async () => {
    const result = await server.cli(['event', String(eventId)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`event ${eventId}  hook ops/alerts (alertmanager)`);
    expect(result.stdout).toContain('summary:      firing: alertname=DiskFull instance=db-1');
    expect(result.stdout).toMatch(
      /└─ rule ops\/disk-full: triggered → execution \d+ ops\/diagnose succeeded output \{"cause":"disk_full"\}\n {3}└─ rule ops\/remediate: triggered → execution \d+ ops\/clean succeeded\n/,
    );
  });

  it('refuses a malformed id with a one-line message, and a missing event with not found', async () => {
    const bad = await server.cli(['event', 'abc']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/event id must be a positive whole number/);
    const missing = await server.cli(['event', '999999']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/event 999999 not found/);
  });

  it('lists rules', async () => {
    const result = await server.cli(['rules']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^RULE\s+ON\s+WHEN\s+JOB\s+DEDUP\s+THROTTLE\s+OWNER\s+ENABLED$/);
    expect(lines[1]).toMatch(
      /^ops\/disk-full\s+hook:alerts\s+labels\.alertname == "DiskFull"\s+diagnose\s+\{\{ fingerprint \}\} \/ 10m\s+-\s+admin\s+yes$/,
    );
    expect(lines[2]).toMatch(
      /^ops\/remediate\s+execution:ops\/diagnose\s+.*clean\s+-\s+3 per 1h\s+admin\s+yes$/,
    );
  });
});
