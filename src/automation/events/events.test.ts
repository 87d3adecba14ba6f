/**
 * Hooks, events and rules on both databases: the key checks that keep strangers out (and store
 * nothing of theirs), dedup and throttle, the chain from a diagnostic job's output to a
 * remediation that waits for approval, and dedup holding when two servers get the same alert.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaton, type Baton } from '../../app.js';
import { loadConfig } from '../../platform/config.js';
import { ADMIN_TOKEN, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { getExecution } from '../executions/store.js';
import { eventRetentionDuty } from './retention.js';
import { countEvents } from './store.js';

const TOKEN = 'alertmanager-hook-token-0123456789';
const HMAC_KEY = 'hmac-hook-key-abcdefghijklmnop';

const DOCUMENTS = `
apiVersion: baton/v1
kind: Job
metadata: {name: diagnose-disk, project: ops}
spec:
  options:
    - {name: host, type: string, required: true}
    - {name: mountpoint, type: string, default: /}
  steps:
    - name: look
      script: |
        echo "diagnosing $BATON_OPTION_HOST $BATON_OPTION_MOUNTPOINT"
        printf '{"cause": "disk_full", "host": "%s", "token": "%s"}' "$BATON_OPTION_HOST" "$LEAKED" > "$BATON_OUTPUT"
      env: {LEAKED: "not a secret"}
---
apiVersion: baton/v1
kind: Job
metadata: {name: clean-disk, project: ops}
spec:
  options:
    - {name: host, type: string, required: true}
    - {name: cause, type: string, required: true}
  approval: {approvers: user/oncall}
  steps:
    - {name: clean, script: 'echo "cleaning $BATON_OPTION_HOST because $BATON_OPTION_CAUSE"'}
---
apiVersion: baton/v1
kind: Job
metadata: {name: note, project: ops}
spec:
  options: [{name: text, type: string, required: true}, {name: count, type: integer, default: 1}]
  steps: [{name: a, script: 'true'}]
---
apiVersion: baton/v1
kind: Hook
metadata: {name: alerts, project: ops}
spec: {format: alertmanager, auth: {token: {secret: hooks/alerts}}}
---
apiVersion: baton/v1
kind: Hook
metadata: {name: generic, project: ops}
spec: {format: json, auth: {hmac: {secret: hooks/generic}}, maxBytes: 2048}
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
  on: {execution: {job: ops/diagnose-disk}}
  when: 'state == "succeeded" && output.cause == "disk_full"'
  job: clean-disk
  options: {host: '{{ event.labels.instance }}', cause: '{{ output.cause }}'}
---
apiVersion: baton/v1
kind: Rule
metadata: {name: generic-note, project: ops}
spec:
  on: {hook: generic}
  when: 'kind == "note"'
  job: note
  options: {text: '{{ text }}', count: '{{ count }}'}
  dedup: {key: '{{ text }}', window: '{{ window }}'}
`;

function alertPayload(alerts: { fingerprint: string; labels: Record<string, string>; status?: string }[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    status: 'firing',
    receiver: 'baton',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((alert) => ({
      status: alert.status ?? 'firing',
      labels: { alertname: 'DiskFull', severity: 'critical', ...alert.labels },
      annotations: { summary: 'disk full' },
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph',
      fingerprint: alert.fingerprint,
    })),
  };
}

function signed(body: string, key = HMAC_KEY, timestamp = String(Math.floor(Date.now() / 1000))) {
  return {
    'content-type': 'application/json',
    'x-baton-timestamp': timestamp,
    'x-baton-signature': `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(DIALECTS)('events and rules on %s', (dialect) => {
  let baton: TestBaton;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    await baton.addUser('oncall');
    for (const [path, value] of [
      ['hooks/alerts', TOKEN],
      ['hooks/generic', HMAC_KEY],
    ]) {
      const response = await baton.request('PUT', `/api/v1/secrets/${path}`, { value });
      expect(response.statusCode).toBeLessThan(300);
    }
    // The generic rule's dedup window is a template here only to prove the apply refuses it below;
    // the real document uses a fixed window.
    await baton.applyYaml(DOCUMENTS.replace("window: '{{ window }}'", 'window: 1h'));
  });
  afterAll(() => baton.stop());

  const hook = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    baton.http.inject({
      method: 'POST',
      url: `/api/v1/hooks/${path}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('refuses unknown hooks, missing, wrong or stale keys with 401 and stores nothing', async () => {
    const before = await countEvents(baton.db);
    const body = JSON.stringify({ kind: 'note', text: 'hello' });
    const oversized = JSON.stringify({ kind: 'note', text: 'x'.repeat(4000) });
    const attempts = [
      await hook('ops/nope', alertPayload([{ fingerprint: 'f0', labels: {} }]), {
        authorization: `Bearer ${TOKEN}`,
      }),
      await hook('ops/alerts', alertPayload([{ fingerprint: 'f0', labels: {} }])),
      await hook('ops/alerts', alertPayload([{ fingerprint: 'f0', labels: {} }]), {
        authorization: 'Bearer wrong',
      }),
      // A Baton API token is not the hook's key.
      await hook('ops/alerts', alertPayload([{ fingerprint: 'f0', labels: {} }]), {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      }),
      await hook('ops/generic', body),
      await hook('ops/generic', body, signed(body, 'the wrong key')),
      await hook('ops/generic', body, signed(JSON.stringify({ kind: 'note', text: 'tampered' }))),
      await hook('ops/generic', body, signed(body, HMAC_KEY, String(Math.floor(Date.now() / 1000) - 600))),
      // Over ops/generic's own limit (2048) without its key: refused like an unknown hook, not
      // with the 413 that would say the hook exists and how much it takes.
      await hook('ops/generic', oversized, signed(oversized, 'the wrong key')),
      await hook('ops/nope', oversized, signed(oversized, 'the wrong key')),
      await hook('ops/alerts', oversized, {
        authorization: 'Bearer wrong',
        'content-type': 'application/json',
      }),
    ];
    for (const response of attempts) {
      expect(response.statusCode, response.body).toBe(401);
      expect(response.json().error.code).toBe('unauthenticated');
      expect(response.body).not.toContain(TOKEN);
      expect(response.body).not.toContain(HMAC_KEY);
    }
    // One answer for all: which check failed would tell a prober that the hook exists.
    for (const response of attempts) {
      expect(response.json().error.message).toBe('unknown hook, or a missing or invalid key');
    }
    expect(await countEvents(baton.db)).toBe(before);
    // /metrics is public: it counts refusals without naming hooks, so it cannot tell a prober which
    // of its guesses exist (the unknown ops/nope counts exactly like the real ones).
    const metrics = (await baton.request('GET', '/metrics')).body;
    expect(metrics).toContain(`baton_events_received_total{outcome="unauthorized"} ${attempts.length}`);
    expect(metrics).not.toMatch(/baton_events_received_total\{[^}]*hook=/);
    for (const name of ['ops/nope', 'ops/alerts', 'ops/generic']) expect(metrics).not.toContain(name);
  });

  it('refuses bodies over the hook limit with 413 and malformed payloads with 400, storing nothing', async () => {
    const before = await countEvents(baton.db);
    const big = JSON.stringify({ kind: 'note', text: 'x'.repeat(4000) });
    const tooLarge = await hook('ops/generic', big, signed(big));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.message).toMatch(/at most 2048/);
    const notJson = await hook('ops/generic', 'not json', signed('not json'));
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.message).toMatch(/not valid JSON/);
    const array = await hook('ops/generic', '[1]', signed('[1]'));
    expect(array.statusCode).toBe(400);
    expect(array.json().error.problems[0].expected).toMatch(/JSON object/);
    const noAlerts = await hook('ops/alerts', { version: '4' }, { authorization: `Bearer ${TOKEN}` });
    expect(noAlerts.statusCode).toBe(400);
    expect(noAlerts.json().error.problems[0].path).toBe('body.alerts');
    expect(await countEvents(baton.db)).toBe(before);
  });

  it('refuses rules whose expressions do not parse, with the column, and changes nothing', async () => {
    const bad = DOCUMENTS.split('---').find((part) => part.includes('name: disk-full'))!;
    await expect(
      baton.applyYaml(bad.replace(`labels.alertname == "DiskFull"`, 'labels.alertname == '), 'rules.yaml'),
    ).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'spec.when',
          file: 'rules.yaml',
          message: expect.stringMatching(
            /expected a value after '==', found '&&' \(column \d+ of the expression\)/,
          ),
        }),
      ],
    });
    await expect(
      baton.applyYaml(bad.replace(`'{{ labels.instance }}'`, `'{{ labels. }}'`), 'rules.yaml'),
    ).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: 'spec.options.host' })],
    });
    await expect(
      baton.applyYaml(bad.replace('job: diagnose-disk', 'job: diagnose-dsk')),
    ).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'spec.job',
          message: 'unknown job ops/diagnose-dsk (did you mean "diagnose-disk"?)',
        }),
      ],
    });
    const rules = await baton.request('GET', '/api/v1/rules?project=ops');
    expect(rules.json().rules.find((rule: { name: string }) => rule.name === 'disk-full').when).toContain(
      'DiskFull',
    );
  });

  it('evaluates a nested-quantifier condition on a long value (RE2), and refuses a backreference at its position', async () => {
    // `(a+)+$` against a 30-character value kept /healthz waiting 24 s when JavaScript's
    // backtracking engine ran it; each extra character doubles that. Here 64 characters.
    await baton.applyYaml(`apiVersion: baton/v1
kind: Rule
metadata: {name: nested-quantifiers, project: ops}
spec:
  on: {hook: generic}
  when: 'kind == "nested" && text =~ "(a+)+$"'
  job: note
  options: {text: '{{ text }}'}
`);
    const send = (text: string) => {
      const body = JSON.stringify({ kind: 'nested', text });
      return hook('ops/generic', body, signed(body));
    };
    const missed = await send(`${'a'.repeat(64)}!`);
    expect(missed.statusCode).toBe(202);
    expect(missed.json().events[0].rules).toEqual([]);
    const matched = await send(`!${'a'.repeat(64)}`);
    expect(matched.json().events[0].rules[0]).toMatchObject({
      rule: 'ops/nested-quantifiers',
      outcome: 'triggered',
    });

    const backreference = `apiVersion: baton/v1
kind: Rule
metadata: {name: repeated, project: ops}
spec:
  on: {hook: generic}
  when: 'text =~ "(a)\\\\1"'
  job: note
  options: {text: '{{ text }}'}
`;
    await expect(baton.applyYaml(backreference, 'rules.yaml')).rejects.toMatchObject({
      problems: [
        expect.objectContaining({
          path: 'spec.when',
          file: 'rules.yaml',
          line: 6,
          column: expect.any(Number),
          message: expect.stringMatching(
            /invalid escape sequence `\\1`; RE2 syntax is expected .*\(column 9 of the expression\)/,
          ),
        }),
      ],
    });
    const rules = await baton.request('GET', '/api/v1/rules?project=ops');
    expect(rules.json().rules.map((rule: { name: string }) => rule.name)).not.toContain('repeated');
  });

  it('deduplicates by key within the window and fires again after it', async () => {
    const send = (text: string) => {
      const body = JSON.stringify({ kind: 'note', text, count: 2 });
      return hook('ops/generic', body, signed(body));
    };
    const first = await send('dedup-me');
    expect(first.statusCode).toBe(202);
    const [outcome] = first.json().events[0].rules;
    expect(outcome).toMatchObject({ rule: 'ops/generic-note', outcome: 'triggered' });
    const execution = await getExecution(baton.db, outcome.executionId);
    expect(execution?.options).toEqual({ text: 'dedup-me', count: 2 });
    expect(execution?.cause).toEqual({ eventId: first.json().events[0].id, rule: 'ops/generic-note' });

    const second = await send('dedup-me');
    expect(second.json().events[0].rules[0]).toMatchObject({ outcome: 'deduplicated', executionId: null });
    // Another key is another alert.
    expect((await send('other')).json().events[0].rules[0].outcome).toBe('triggered');

    // The window passes (moved back in the database, not waited for): the key fires again.
    await baton.db
      .updateTable('rule_dedup')
      .set({ until: Date.now() - 1 })
      .execute();
    expect((await send('dedup-me')).json().events[0].rules[0].outcome).toBe('triggered');

    // Events that match no rule are stored too, with no matches.
    const body = JSON.stringify({ kind: 'other' });
    const unmatched = await hook('ops/generic', body, signed(body));
    expect(unmatched.json().events[0].rules).toEqual([]);
    const listed = await baton.request('GET', '/api/v1/events?project=ops&hook=generic&limit=2');
    expect(listed.json().events.map((event: { id: number }) => event.id)[0]).toBe(
      unmatched.json().events[0].id,
    );
    expect(listed.json().next).not.toBeNull();
  });

  it('throttles a rule to max executions per window, and records a refused fire', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: Rule
metadata: {name: throttled, project: ops}
spec:
  on: {hook: generic}
  when: 'kind == "burst"'
  job: note
  options: {text: '{{ text }}', count: '{{ count }}'}
  throttle: {max: 2, per: 1h}
`);
    const outcomes: string[] = [];
    for (let index = 0; index < 4; index++) {
      const body = JSON.stringify({ kind: 'burst', text: `burst ${index}`, count: index + 1 });
      const response = await hook('ops/generic', body, signed(body));
      outcomes.push(response.json().events[0].rules[0].outcome);
    }
    expect(outcomes).toEqual(['triggered', 'triggered', 'throttled', 'throttled']);
    // An option that does not fit the job at fire time is refused and recorded, not run.
    await baton.db.updateTable('rule_throttle').set({ window_start: 0 }).execute();
    const body = JSON.stringify({ kind: 'burst', text: 'bad count', count: 'many' });
    const refused = (await hook('ops/generic', body, signed(body))).json().events[0].rules[0];
    expect(refused.outcome).toBe('refused');
    expect(refused.reason).toMatch(/count/);
  });

  it('chains a diagnosis to a remediation that waits for approval, and shows the whole tree', async () => {
    const payload = alertPayload([
      { fingerprint: 'disk-1', labels: { instance: 'db-1', mountpoint: '/var' } },
      { fingerprint: 'warn-1', labels: { instance: 'db-2', severity: 'warning' } },
    ]);
    const response = await hook('ops/alerts', payload, { authorization: `Bearer ${TOKEN}` });
    expect(response.statusCode, response.body).toBe(202);
    const [critical, warning] = response.json().events;
    expect(warning.rules).toEqual([]);
    const diagnosisId = critical.rules[0].executionId as number;
    const diagnosis = await baton.waitFor(diagnosisId);
    expect(diagnosis.state).toBe('succeeded');
    expect(diagnosis.output).toEqual({ cause: 'disk_full', host: 'db-1', token: 'not a secret' });

    const remediationId = await eventually('the remediation', async () => {
      const detail = (await baton.request('GET', `/api/v1/events/${critical.id}`)).json();
      return detail.chain[0]?.next[0]?.execution?.id as number | undefined;
    });
    const waiting = await baton.waitFor(remediationId, 'awaiting_approval');
    expect(waiting.options).toEqual({ host: 'db-1', cause: 'disk_full' });
    expect(waiting.cause).toEqual({ eventId: critical.id, rule: 'ops/remediate-disk' });

    const oncall = await baton.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', 'oncall')
      .executeTakeFirstOrThrow();
    await baton.approvals.approve(
      { kind: 'user', id: oncall.id, name: 'oncall', isAdmin: false, via: 'internal' },
      remediationId,
      'go',
    );
    expect((await baton.waitFor(remediationId)).state).toBe('succeeded');
    expect(await baton.logText(remediationId)).toContain('cleaning db-1 because disk_full');

    const detail = (await baton.request('GET', `/api/v1/events/${critical.id}`)).json();
    expect(detail.event.payload.labels.instance).toBe('db-1');
    // Lists say what an event is about without its payload: the alert's status and telling labels first.
    const listed = (await baton.request('GET', '/api/v1/events?project=ops&hook=alerts')).json().events;
    expect(listed.find((event: { id: number }) => event.id === critical.id).summary).toMatch(
      /^firing: alertname=DiskFull severity=critical instance=db-1 mountpoint=\/var/,
    );
    expect(detail.chain).toMatchObject([
      {
        rule: 'ops/disk-full',
        outcome: 'triggered',
        execution: {
          id: diagnosisId,
          job: 'ops/diagnose-disk',
          state: 'succeeded',
          output: { cause: 'disk_full' },
        },
        next: [
          {
            rule: 'ops/remediate-disk',
            outcome: 'triggered',
            execution: { id: remediationId, job: 'ops/clean-disk', state: 'succeeded' },
            next: [],
          },
        ],
      },
    ]);
    // The same alert again within the window: deduplicated, nothing new runs.
    const again = await hook('ops/alerts', payload, { authorization: `Bearer ${TOKEN}` });
    expect(again.json().events[0].rules[0].outcome).toBe('deduplicated');
  });

  it('clears the chain flag of a finish no rule watches, without making an event of it', async () => {
    const eventsBefore = (await baton.db.selectFrom('events').select('id').execute()).length;
    const note = await baton.waitFor((await baton.run('ops/note', { text: 'nobody watches this job' })).id);
    expect(note.state).toBe('succeeded');
    await eventually('the chain flag to clear', async () => {
      const row = await baton.db
        .selectFrom('executions')
        .select('chain_pending')
        .where('id', '=', note.id)
        .executeTakeFirstOrThrow();
      return Number(row.chain_pending) === 0 ? true : undefined;
    });
    expect((await baton.db.selectFrom('events').select('id').execute()).length).toBe(eventsBefore);
  });

  it('records invalid output as a note on the execution and masks secrets in output', async () => {
    await baton.request('PUT', '/api/v1/secrets/ops/db-password', { value: 'hunter2-very-secret' });
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: outputs, project: ops}
spec:
  options: [{name: mode, type: string, required: true}]
  secrets: [{path: ops/db-password, env: DB_PASSWORD}]
  steps:
    - name: write
      script: |
        if [ "$BATON_OPTION_MODE" = bad ]; then echo 'not json' > "$BATON_OUTPUT"
        else printf '{"password": "%s", "ok": true}' "$DB_PASSWORD" > "$BATON_OUTPUT"; fi
`);
    const good = await baton.waitFor((await baton.run('ops/outputs', { mode: 'good' })).id);
    expect(good.output).toEqual({ password: '*****', ok: true });
    const bad = await baton.waitFor((await baton.run('ops/outputs', { mode: 'bad' })).id);
    expect(bad.state).toBe('succeeded');
    expect(bad.output).toBeNull();
    expect(bad.outputError).toMatch(/not valid JSON/);
    const api = (await baton.request('GET', `/api/v1/executions/${good.id}`)).json().execution;
    expect(api.output).toEqual({ password: '*****', ok: true });
    expect(JSON.stringify(api)).not.toContain('hunter2');
  });

  it('lists hooks without their keys, and hides events of projects the caller cannot view', async () => {
    const hooks = (await baton.request('GET', '/api/v1/hooks')).json().hooks;
    expect(hooks.map((item: { name: string }) => item.name).sort()).toEqual(['alerts', 'generic']);
    expect(JSON.stringify(hooks)).not.toContain(TOKEN);
    const stranger = await baton.addUser('stranger');
    const events = await baton.request('GET', '/api/v1/events', undefined, stranger.headers);
    expect(events.json().events).toEqual([]);
    const one = await baton.request('GET', '/api/v1/events/1', undefined, stranger.headers);
    expect(one.statusCode).toBe(404);
  });

  it('deletes events (with their matches) older than the retention, and keeps newer ones', async () => {
    const before = await countEvents(baton.db);
    const old = await baton.db
      .insertInto('events')
      .values({
        project: 'ops',
        hook: 'generic',
        format: 'json',
        received_at: Date.now() - 40 * 24 * 3600_000,
        fingerprint: 'old',
        payload: '{}',
        payload_bytes: 2,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await baton.db
      .insertInto('event_matches')
      .values({
        event_id: old.id,
        rule_project: 'ops',
        rule_name: 'generic-note',
        outcome: 'triggered',
        at: 0,
      })
      .execute();
    await eventRetentionDuty({ db: baton.db, metrics: baton.metrics }, { defaultMs: 30 * 24 * 3600_000 }).run(
      Date.now(),
    );
    expect(await countEvents(baton.db)).toBe(before);
    const matches = await baton.db
      .selectFrom('event_matches')
      .select('id')
      .where('event_id', '=', old.id)
      .execute();
    expect(matches).toEqual([]);
  });

  if (dialect === 'postgres') {
    it('fires once when two servers get the same alert at the same moment', async () => {
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
        for (let round = 0; round < 5; round++) {
          const payload = alertPayload([
            { fingerprint: `race-${round}`, labels: { instance: `race-${round}`, mountpoint: '/' } },
          ]);
          const send = (server: Baton) =>
            server.http.inject({
              method: 'POST',
              url: '/api/v1/hooks/ops/alerts',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
              payload: JSON.stringify(payload),
            });
          const answers = await Promise.all([send(baton), send(second), send(baton), send(second)]);
          const outcomes = answers.map((answer) => answer.json().events[0].rules[0].outcome).sort();
          expect(outcomes).toEqual(['deduplicated', 'deduplicated', 'deduplicated', 'triggered']);
          const executions = await baton.db
            .selectFrom('executions')
            .select('id')
            .where('job_name', '=', 'diagnose-disk')
            .where('options', '@>' as '=', JSON.stringify({ host: `race-${round}` }))
            .execute();
          expect(executions).toHaveLength(1);
        }
      } finally {
        await second.close();
      }
    });
  }
});
