/**
 * SLO burn-rate alerts on both databases: a burn that crosses the page thresholds opens one
 * alert and raises one `slo` event that a Rule matches (its job runs, caused by the event), the
 * same burn seen again opens nothing new, the end of the burn resolves it with a resolved event,
 * a rule's job notifies a webhook of the alert, and two servers on one PostgreSQL database racing the same evaluation open one alert and raise
 * one event.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createBaton, type Baton } from '../../app.js';
import { loadConfig } from '../../platform/config.js';
import type { SloStatus } from '../../contract/slos.js';
import { getExecution } from '../../automation/executions/store.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import { alertWindows, evaluateAlerts, type AlertState } from './alert-windows.js';
import { SloAlerts } from './alerts.js';
import { listSloAlerts } from './alerts-store.js';
import type { SloModel } from './model.js';
import { readSloDocuments } from './resolve.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const JOBS = `
apiVersion: baton/v1
kind: Job
metadata: {name: diagnose-slo, project: ops}
spec:
  options:
    - {name: slo, type: string, required: true}
    - {name: summary, type: string, required: true}
  steps: [{name: look, script: 'echo "diagnosing $BATON_OPTION_SLO: $BATON_OPTION_SUMMARY"'}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: note, project: ops}
spec:
  options: [{name: text, type: string, required: true}]
  steps: [{name: a, script: 'true'}]
---
apiVersion: baton/v1
kind: Rule
metadata: {name: diagnose-page, project: ops}
spec:
  on: {slo: {service: 'web-*', severity: page}}
  job: diagnose-slo
  options: {slo: '{{ slo }}', summary: '{{ summary }}'}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: note-resolved, project: ops}
spec:
  on: {slo: {status: resolved}}
  job: note
  options: {text: '{{ slo }} {{ severity }} resolved'}
`;

/** SLOs as the evaluation gets them: a baton/v1 one in project ops, an OpenSLO one in none. */
function readSlos(): SloModel[] {
  const text = `
apiVersion: baton/v1
kind: SLO
metadata: {name: restarts, project: ops}
spec:
  service: web-shop
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: ops/note, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: ops/note}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99}]
---
apiVersion: baton/v1
kind: SLO
metadata: {name: payments, project: ops}
spec:
  service: checkout
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: ops/note, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: ops/note}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99.9}]
${[1, 2, 3, 4, 5, 6]
  .map(
    (round) => `---
apiVersion: openslo/v1
kind: SLO
metadata: {name: race-${round}}
spec:
  service: web-shop
  indicator:
    metadata: {name: race-${round}-sli}
    spec:
      ratioMetric:
        good: {metricSource: {type: Baton, spec: {job: ops/note, states: [succeeded]}}}
        total: {metricSource: {type: Baton, spec: {job: ops/note}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`,
  )
  .join('')}`;
  const reading = readSloDocuments(
    parseAllDocuments(text).map((document) => document.toJS()),
    {
      batonServices: new Map([
        ['web-shop', { owner: 'shop' }],
        ['checkout', { owner: 'shop' }],
      ]),
    },
  );
  expect(reading.problems).toEqual([]);
  return [...reading.slos];
}

const QUIET: Record<string, number> = {
  '5m': 0.2,
  '30m': 0.2,
  '1h': 0.2,
  '2h': 0.2,
  '6h': 0.2,
  '1d': 0.2,
  '3d': 0.2,
};
const BURNING = { ...QUIET, '1h': 15.24, '5m': 16 };
const WINDOW_NAMES: Record<number, string> = {
  [5 * MINUTE]: '5m',
  [30 * MINUTE]: '30m',
  [HOUR]: '1h',
  [2 * HOUR]: '2h',
  [6 * HOUR]: '6h',
  [DAY]: '1d',
  [3 * DAY]: '3d',
};

function alertStates(rates: Record<string, number>): AlertState[] {
  return evaluateAlerts(alertWindows(30 * DAY), (ms) => rates[WINDOW_NAMES[ms]!] ?? null);
}

function statusOf(slo: SloModel, rates: Record<string, number>, now: number): SloStatus {
  const burnRates = Object.entries(rates).map(([window, rate]) => ({
    window: window as SloStatus['burnRates'][number]['window'],
    rate,
  }));
  return {
    slo: `${slo.service}/${slo.name}`,
    service: slo.service,
    name: slo.name,
    displayName: null,
    description: null,
    format: slo.format,
    project: slo.project ?? null,
    window: '30d rolling',
    periodStart: new Date(now - 30 * DAY).toISOString(),
    periodEnd: new Date(now).toISOString(),
    budgetingMethod: 'Occurrences',
    source: 'executions',
    objectives: [],
    sli: 0.99,
    budgetRemainingRatio: 0.42,
    burnRates,
    timeToExhaustionMs: null,
    health: 'ok',
    openAlerts: [],
    noDataSince: null,
    lastError: null,
    evaluatedAt: new Date(now).toISOString(),
  };
}

async function sloEvents(baton: Baton, slo: string) {
  const rows = await baton.db
    .selectFrom('events')
    .selectAll()
    .where('format', '=', 'slo')
    .orderBy('id')
    .execute();
  return rows
    .map((row) => ({
      id: row.id,
      project: row.project,
      fields: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >,
    }))
    .filter((event) => event.fields.slo === slo);
}

async function matchesOf(baton: Baton, eventId: number) {
  return baton.db.selectFrom('event_matches').selectAll().where('event_id', '=', eventId).execute();
}

describe.each(DIALECTS)('SLO alerts on %s', (dialect) => {
  let baton: TestBaton;
  let slos: SloModel[];
  let alerts: SloAlerts;
  const named = (name: string) => slos.find((slo) => slo.name === name)!;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    await baton.applyYaml(JOBS);
    slos = readSlos();
    alerts = new SloAlerts({ db: baton.db, events: baton.eventService, project: 'ops' });
  });
  afterAll(() => baton.stop());

  it('opens one page alert on a burn over 14.4× (1h, 5m), raises one event a rule runs a job on, and resolves it', async () => {
    const slo = named('restarts');
    const key = 'web-shop/restarts';
    let now = Date.parse('2026-12-08T02:00:00Z');

    expect(await alerts.update(slo, statusOf(slo, QUIET, now), alertStates(QUIET), now)).toEqual([]);
    expect(await sloEvents(baton, key)).toEqual([]);

    now += MINUTE;
    const open = await alerts.update(slo, statusOf(slo, BURNING, now), alertStates(BURNING), now);
    expect(open).toEqual([
      {
        id: expect.any(Number),
        severity: 'page',
        openedAt: new Date(now).toISOString(),
        resolvedAt: null,
        summary: 'burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)',
      },
    ]);
    const [opened] = await sloEvents(baton, key);
    expect(opened).toBeDefined();
    expect(opened!.project).toBe('ops');
    expect(opened!.fields).toMatchObject({
      status: 'firing',
      severity: 'page',
      service: 'web-shop',
      slo: key,
      threshold: 14.4,
      budgetRemaining: 0.42,
      burnRate: { long: { window: '1h', rate: 15.24 }, short: { window: '5m', rate: 16 } },
      link: '/services/web-shop',
    });

    // The page rule matched and ran its job, caused by the event; the resolved-only rule did not.
    const matches = await matchesOf(baton, opened!.id);
    expect(matches.map((match) => [`${match.rule_project}/${match.rule_name}`, match.outcome])).toEqual([
      ['ops/diagnose-page', 'triggered'],
    ]);
    const execution = await getExecution(baton.db, matches[0]!.execution_id!);
    expect(execution).toMatchObject({
      job: 'diagnose-slo',
      cause: { eventId: opened!.id, rule: 'ops/diagnose-page' },
      options: { slo: key, summary: 'burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)' },
    });
    expect((await baton.waitFor(execution!.id)).state).toBe('succeeded');

    // The API shows the event as the alert it is, and the rule with its filters.
    const listed = (await baton.request('GET', '/api/v1/events?project=ops')).json();
    expect(listed.events.find((event: { id: number }) => event.id === opened!.id)).toMatchObject({
      format: 'slo',
      hook: null,
      summary: `firing page ${key}: burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)`,
      matches: [{ rule: 'ops/diagnose-page', outcome: 'triggered', executionId: execution!.id }],
    });
    const rules = (await baton.request('GET', '/api/v1/rules?project=ops')).json();
    expect(rules.rules.find((rule: { name: string }) => rule.name === 'diagnose-page').on).toBe(
      'slo:service=web-*,severity=page,status=firing',
    );

    // The same burn at the next evaluation: the alert stays open, nothing new is raised.
    now += MINUTE;
    expect(await alerts.update(slo, statusOf(slo, BURNING, now), alertStates(BURNING), now)).toEqual(open);
    expect(await sloEvents(baton, key)).toHaveLength(1);

    // Windows without data say nothing about the burn: the alert stays open, unresolved.
    now += MINUTE;
    expect(await alerts.update(slo, statusOf(slo, {}, now), alertStates({}), now)).toEqual(open);

    // The burn ends: the alert resolves and a resolved event goes to the resolved rule only.
    now += MINUTE;
    expect(await alerts.update(slo, statusOf(slo, QUIET, now), alertStates(QUIET), now)).toEqual([]);
    const rows = await listSloAlerts(baton.db, key);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ severity: 'page', resolvedAt: now });
    const events = await sloEvents(baton, key);
    expect(events.map((event) => event.fields.status)).toEqual(['firing', 'resolved']);
    expect(events[1]!.fields).toMatchObject({
      severity: 'page',
      openedAt: open[0]!.openedAt,
      resolvedAt: new Date(now).toISOString(),
    });
    const resolvedMatches = await matchesOf(baton, events[1]!.id);
    expect(resolvedMatches.map((match) => `${match.rule_project}/${match.rule_name}`)).toEqual([
      'ops/note-resolved',
    ]);
    expect(await baton.waitFor(resolvedMatches[0]!.execution_id!)).toMatchObject({
      state: 'succeeded',
      options: { text: `${key} page resolved` },
    });

    // A new burn opens a new alert.
    now += MINUTE;
    const again = await alerts.update(slo, statusOf(slo, BURNING, now), alertStates(BURNING), now);
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(open[0]!.id);
    expect(await sloEvents(baton, key)).toHaveLength(3);
  });

  it('puts events of an SLO without a project (OpenSLO) in the configured project', async () => {
    const slo = named('race-1');
    const now = Date.parse('2026-12-08T03:00:00Z');
    const ticketBurn = { ...QUIET, '1d': 4, '2h': 5 };
    const open = await alerts.update(slo, statusOf(slo, ticketBurn, now), alertStates(ticketBurn), now);
    expect(open.map((alert) => alert.severity)).toEqual(['ticket']);
    const [event] = await sloEvents(baton, 'web-shop/race-1');
    expect(event).toMatchObject({ project: 'ops', fields: { project: null, severity: 'ticket' } });
    // The page rule does not match a ticket.
    expect(await matchesOf(baton, event!.id)).toEqual([]);

    // Its document is deleted: the evaluation retires its alert, without an event (it did not recover).
    const keep = slos
      .filter((other) => other.name !== 'race-1')
      .map((other) => `${other.service}/${other.name}`);
    expect(await alerts.retire(keep, now + MINUTE)).toBe(1);
    expect(await alerts.openAlerts('web-shop/race-1')).toEqual([]);
    expect(await sloEvents(baton, 'web-shop/race-1')).toHaveLength(1);
    // Open alerts of SLOs that still exist are left alone.
    expect(await alerts.openAlerts('web-shop/restarts')).toHaveLength(1);
  });

  it('refuses an SLO rule with an unknown severity, naming the field', async () => {
    await expect(
      baton.applyYaml(
        `apiVersion: baton/v1
kind: Rule
metadata: {name: bad, project: ops}
spec:
  on: {slo: {severity: urgent}}
  job: note
  options: {text: x}
`,
        'bad.yaml',
      ),
    ).rejects.toMatchObject({
      problems: [expect.objectContaining({ file: 'bad.yaml', path: expect.stringContaining('spec.on') })],
    });
  });

  it('notifies through a rule: the job it runs sends the alert to its webhook', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: request.headers['x-baton-signature'] as string | undefined,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const put = await baton.request('PUT', '/api/v1/secrets/notify/key', {
        value: 'notify-key-0123456789',
      });
      expect(put.statusCode).toBeLessThan(300);
      await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: page-oncall, project: ops}
spec:
  options:
    - {name: summary, type: string, required: true}
    - {name: link, type: string, required: true}
  notifications: [{on: [started], webhook: {url: "http://127.0.0.1:${port}/pager", secret: notify/key}}]
  steps: [{name: a, script: 'true'}]
---
apiVersion: baton/v1
kind: Rule
metadata: {name: page-checkout, project: ops}
spec:
  on: {slo: {service: checkout, severity: page}}
  job: page-oncall
  options: {summary: '{{ slo }}: {{ summary }}', link: '{{ link }}'}
`);
      const slo = named('payments');
      const now = Date.parse('2026-12-08T05:00:00Z');
      await alerts.update(slo, statusOf(slo, BURNING, now), alertStates(BURNING), now);
      const delivery = await eventually('the webhook delivery', async () => received[0]);
      const body = JSON.parse(delivery.body) as {
        event: string;
        execution: { job: string; options: unknown };
      };
      expect(body).toMatchObject({
        event: 'started',
        execution: {
          job: 'page-oncall',
          options: {
            summary: 'checkout/payments: burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)',
            link: '/services/checkout',
          },
        },
      });
      expect(delivery.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('lets only those who may view the service apply a rule on its alerts', async () => {
    const carol = await baton.addUser('carol');
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: carol-rules}
spec:
  rules:
    - {subjects: [user/carol], actions: [edit], resources: ["rule/ops/*"], effect: allow}
    - {subjects: [user/carol], actions: [run], resources: [job/ops/note], effect: allow}
`);
    const rule = (on: string) => ({
      files: [
        {
          name: 'carol.yaml',
          content: `apiVersion: baton/v1
kind: Rule
metadata: {name: carol-slo, project: ops}
spec:
  on: ${on}
  job: note
  options: {text: '{{ summary }}'}
`,
        },
      ],
    });
    await expect(baton.apply.apply(rule('{slo: {service: web-shop}}'), carol.principal)).rejects.toThrow(
      'forbidden: no rule allows user/carol view on service/web-shop (needed by carol.yaml:5:',
    );
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: carol-sees-web-shop}
spec:
  rules:
    - {subjects: [user/carol], actions: [view], resources: [service/web-shop], effect: allow}
`);
    await baton.apply.apply(rule('{slo: {service: web-shop}}'), carol.principal);
    // A glob (or no service) reaches every service: it needs view on service/*.
    await expect(baton.apply.apply(rule("{slo: {service: 'web-*'}}"), carol.principal)).rejects.toThrow(
      'forbidden: no rule allows user/carol view on service/* (needed by carol.yaml:5:',
    );
  });

  if (dialect === 'postgres') {
    it('opens one alert and raises one event when two servers evaluate the same burn at once', async () => {
      const config = loadConfig(
        {
          dataDir: baton.location.dir,
          databaseUrl: baton.location.url,
          applyExamples: false,
          embeddedWorker: false,
        },
        {},
      );
      const second: Baton = await createBaton(config);
      try {
        const other = new SloAlerts({ db: second.db, events: second.eventService, project: 'ops' });
        for (const slo of slos.filter((slo) => /^race-[2-6]$/.test(slo.name))) {
          const key = `web-shop/${slo.name}`;
          const now = Date.parse('2026-12-08T04:00:00Z');
          const status = statusOf(slo, BURNING, now);
          const states = alertStates(BURNING);
          const answers = await Promise.all([
            alerts.update(slo, status, states, now),
            other.update(slo, status, states, now),
            alerts.update(slo, status, states, now),
            other.update(slo, status, states, now),
          ]);
          const rows = await listSloAlerts(baton.db, key);
          expect(rows).toHaveLength(1);
          for (const answer of answers) expect(answer.map((alert) => alert.id)).toEqual([rows[0]!.id]);
          const events = await sloEvents(baton, key);
          expect(events).toHaveLength(1);
          // Each rule fired once (rules applied by the tests above listen too).
          const matches = await matchesOf(baton, events[0]!.id);
          const fired = matches.map((match) => `${match.rule_name} ${match.outcome}`);
          expect(fired).toContain('diagnose-page triggered');
          expect(new Set(fired).size).toBe(fired.length);

          // Both see the burn end at once: one resolution, one resolved event.
          const later = now + MINUTE;
          const quiet = statusOf(slo, QUIET, later);
          await Promise.all([
            alerts.update(slo, quiet, alertStates(QUIET), later),
            other.update(slo, quiet, alertStates(QUIET), later),
          ]);
          expect((await sloEvents(baton, key)).map((event) => event.fields.status)).toEqual([
            'firing',
            'resolved',
          ]);
        }
      } finally {
        await second.close();
      }
    });
  }
});
