/**
 * The real thing: a real Prometheus scrapes a gauge this test serves, its alert rule fires, a
 * real Alertmanager sends the webhook (with bearer credentials) to a listening Baton, the
 * diagnostic job runs, its output triggers the remediation, and the event shows the chain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBaton, type TestBaton } from './baton.js';

const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const TOKEN = 'am-bearer-token-for-baton-0123456789';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A child in its own process group, so afterAll can end it with everything it started. */
function start(command: string, args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  return spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000).unref();
  });
}

const DOCUMENTS = `
apiVersion: baton/v1
kind: Job
metadata: {name: diagnose-disk, project: ops}
spec:
  options: [{name: host, type: string, required: true}, {name: mountpoint, type: string, default: /}]
  steps:
    - name: look
      script: |
        echo "checking $BATON_OPTION_MOUNTPOINT on $BATON_OPTION_HOST"
        printf '{"cause": "disk_full", "mountpoint": "%s"}' "$BATON_OPTION_MOUNTPOINT" > "$BATON_OUTPUT"
---
apiVersion: baton/v1
kind: Job
metadata: {name: clean-disk, project: ops}
spec:
  options: [{name: host, type: string, required: true}, {name: mountpoint, type: string, required: true}]
  steps:
    - {name: clean, script: 'echo "cleaning $BATON_OPTION_MOUNTPOINT on $BATON_OPTION_HOST"'}
---
apiVersion: baton/v1
kind: Hook
metadata: {name: alerts, project: ops}
spec: {format: alertmanager, auth: {token: {secret: hooks/alertmanager}}}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: disk-full, project: ops}
spec:
  on: {hook: alerts}
  when: 'status == "firing" && labels.alertname == "DiskFull" && labels.severity =~ "^(critical|page)$"'
  job: diagnose-disk
  options: {host: '{{ labels.instance }}', mountpoint: '{{ labels.mountpoint }}'}
  dedup: {window: 30m}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: remediate-disk, project: ops}
spec:
  on: {execution: {job: diagnose-disk}}
  when: 'state == "succeeded" && output.cause == "disk_full"'
  job: clean-disk
  options: {host: '{{ event.labels.instance }}', mountpoint: '{{ output.mountpoint }}'}
`;

describe('Prometheus and Alertmanager to Baton', () => {
  let baton: TestBaton;
  let metricsServer: http.Server;
  let prometheus: ChildProcess | undefined;
  let alertmanager: ChildProcess | undefined;
  let workDir: string;
  let diskUsed = 0.5;

  beforeAll(async () => {
    baton = await startTestBaton('sqlite');
    workDir = baton.location.dir;
    await baton.request('PUT', '/api/v1/secrets/hooks/alertmanager', { value: TOKEN });
    await baton.applyYaml(DOCUMENTS);
    await baton.http.listen({ host: '127.0.0.1', port: 0 });
    const batonPort = (baton.http.server.address() as AddressInfo).port;

    metricsServer = http.createServer((_request, response) => {
      response.setHeader('content-type', 'text/plain; version=0.0.4');
      response.end(
        `# HELP disk_used_ratio Used fraction of a filesystem.\n# TYPE disk_used_ratio gauge\ndisk_used_ratio{mountpoint="/var"} ${diskUsed}\n`,
      );
    });
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    const metricsPort = (metricsServer.address() as AddressInfo).port;
    const [promPort, amPort] = [await freePort(), await freePort()];

    fs.writeFileSync(
      path.join(workDir, 'alertmanager.yml'),
      `route:
  receiver: baton
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: baton
    webhook_configs:
      - url: http://127.0.0.1:${batonPort}/api/v1/hooks/ops/alerts
        send_resolved: false
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`,
    );
    fs.writeFileSync(
      path.join(workDir, 'rules.yml'),
      `groups:
  - name: disks
    rules:
      - alert: DiskFull
        expr: disk_used_ratio > 0.9
        for: 0s
        labels: {severity: critical}
        annotations: {summary: 'filesystem {{ $labels.mountpoint }} is full'}
`,
    );
    fs.writeFileSync(
      path.join(workDir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [${path.join(workDir, 'rules.yml')}]
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:${amPort}']}]
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:${metricsPort}']}]
`,
    );
    alertmanager = start(
      ALERTMANAGER,
      [
        `--config.file=${path.join(workDir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(workDir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      path.join(workDir, 'alertmanager.log'),
    );
    prometheus = start(
      PROMETHEUS,
      [
        `--config.file=${path.join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(workDir, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      path.join(workDir, 'prometheus.log'),
    );
    await eventually('Alertmanager to be ready', async () =>
      (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined,
    );
    await eventually('Prometheus to be ready', async () =>
      (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await stop(prometheus);
    await stop(alertmanager);
    await new Promise((resolve) => metricsServer?.close(resolve));
    await baton?.stop();
  }, 60_000);

  it('runs the diagnosis when the alert fires, then the remediation its output calls for', async () => {
    const before = (await baton.request('GET', '/api/v1/events?project=ops')).json().events;
    expect(before).toEqual([]);
    diskUsed = 0.97;

    const event = await eventually(
      'the alert to reach Baton',
      async () => (await baton.request('GET', '/api/v1/events?project=ops&hook=alerts')).json().events[0],
      120_000,
    );
    expect(event.format).toBe('alertmanager');
    expect(event.matches[0]).toMatchObject({ rule: 'ops/disk-full', outcome: 'triggered' });

    const chain = await eventually('the remediation to finish', async () => {
      const detail = (await baton.request('GET', `/api/v1/events/${event.id}`)).json();
      const remediation = detail.chain[0]?.next[0]?.execution;
      return remediation && ['succeeded', 'failed'].includes(remediation.state) ? detail : undefined;
    });
    expect(chain.event.payload).toMatchObject({
      status: 'firing',
      labels: { alertname: 'DiskFull', severity: 'critical', mountpoint: '/var' },
      annotations: { summary: 'filesystem /var is full' },
    });
    expect(chain.event.fingerprint).toBe(chain.event.payload.fingerprint);
    const instance = chain.event.payload.labels.instance as string;
    expect(instance).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(chain.chain).toMatchObject([
      {
        rule: 'ops/disk-full',
        outcome: 'triggered',
        execution: {
          job: 'ops/diagnose-disk',
          state: 'succeeded',
          output: { cause: 'disk_full', mountpoint: '/var' },
        },
        next: [
          {
            rule: 'ops/remediate-disk',
            outcome: 'triggered',
            execution: { job: 'ops/clean-disk', state: 'succeeded' },
          },
        ],
      },
    ]);
    const remediationId = chain.chain[0].next[0].execution.id as number;
    expect(await baton.logText(remediationId)).toContain(`cleaning /var on ${instance}`);
  }, 180_000);
});
