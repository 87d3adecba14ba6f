/**
 * Notifications end to end on both databases, against real receivers started here: a local
 * HTTP server that checks webhook signatures and records Slack messages, and an SMTP server
 * (smtp-server) on an ephemeral port. Backoff is a few milliseconds so retries are quick; the
 * tests assert attempts and their order, never how long anything took.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { eventually } from '../../../test/eventually.js';
import { ForbiddenError, InputError } from '../../platform/errors.js';
import { redact, retryDelay } from './dispatcher.js';
import { listDeliveries } from './store.js';
import { MASK } from '../logs/masking.js';
import type { NotificationDelivery } from './model.js';

const HOOK_KEY = 'hook-key-5f1c9d0e7a';
const SLACK_TOKEN = 'T000SLACKTOKEN9b2e4';
/** The timeout a hanging receiver is cut at; long enough that an echo job finishes well within it. */
const TIMEOUT_MS = 5_000;

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Set when Baton gave up on the request before it was answered. */
  abandoned: boolean;
}

/** A local receiver: records every request; `plan` decides the answer to the next ones. */
class Receiver {
  readonly received: Received[] = [];
  /** Status codes for the next requests, in order; 200 once exhausted; 'hang' never answers. */
  plan: (number | 'hang')[] = [];
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: Received = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        abandoned: false,
      };
      this.received.push(entry);
      const answer = this.plan.shift() ?? 200;
      if (answer === 'hang') {
        response.on('close', () => (entry.abandoned = true));
        return;
      }
      response.statusCode = answer;
      response.end('ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  on(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }
}

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP server on an ephemeral port that keeps what it receives. */
async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mails };
}

function job(name: string, spec: string): string {
  return `---
apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: ops}
spec:
${spec}`;
}

describe('retry delays', () => {
  it('follow the backoff list with ±20% jitter and stop after its last entry', () => {
    const backoff = [10_000, 60_000];
    expect(retryDelay(backoff, 1, () => 0)).toBe(8_000);
    expect(retryDelay(backoff, 1, () => 1)).toBe(12_000);
    expect(retryDelay(backoff, 2, () => 0.5)).toBe(60_000);
    expect(retryDelay(backoff, 3, () => 0.5)).toBeNull();
  });

  it('redacts every occurrence of a secret value from an error message', () => {
    expect(redact('GET https://hooks.example/T1/abc failed: abc', ['abc'])).toBe(
      'GET https://hooks.example/T1/*** failed: ***',
    );
  });
});

describe.each(DIALECTS)('notifications on %s', (dialect) => {
  let baton: TestBaton;
  const receiver = new Receiver();
  let base: string;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  beforeAll(async () => {
    base = await receiver.start();
    smtp = await startSmtp();
    baton = await startTestBaton(dialect, {
      publicUrl: 'https://baton.example.com/',
      notifications: { backoffMs: [20, 20, 20, 20], timeoutMs: TIMEOUT_MS, pollMs: 50 },
    });
    await baton.secrets.set(admin, 'hooks/key', { value: HOOK_KEY });
    await baton.secrets.set(admin, 'hooks/slack', { value: `${base}/slack/${SLACK_TOKEN}` });
  });
  afterAll(async () => {
    await baton?.stop();
    await receiver.stop();
    await new Promise<void>((resolve) => (smtp ? smtp.server.close(() => resolve()) : resolve()));
  });

  /** Waits until every delivery of the execution is delivered or failed, and returns them. */
  async function settled(executionId: number, count: number): Promise<NotificationDelivery[]> {
    return eventually(`${count} settled deliveries of execution ${executionId}`, async () => {
      const deliveries = await listDeliveries(baton.db, executionId);
      return deliveries.length === count && deliveries.every((delivery) => delivery.status !== 'pending')
        ? deliveries
        : undefined;
    });
  }

  it('refuses unknown events, non-http URLs, two channels at once and unknown secrets, with field paths', async () => {
    const error = await baton
      .applyYaml(
        job(
          'bad',
          `  notifications:
    - {on: [succeded], webhook: {url: "${base}/a", secret: hooks/key}}
    - {on: [failed], webhook: {url: "ftp://example.com/x", secret: hooks/key}}
    - {on: [failed], webhook: {url: "${base}/a", secret: hooks/key}, slack: {url: hooks/slack}}
    - {on: [failed], slack: {url: hooks/nope}}
  steps: [{name: main, script: "true"}]
`,
        ),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'spec.notifications[0].on[0]: unknown event "succeded" (did you mean "succeeded"?); events are started, succeeded, failed, timed_out, approval_needed',
      'spec.notifications[1].webhook.url: must be an http or https URL, not ftp:',
      'spec.notifications[2]: must have exactly one of webhook, slack or email',
    ]);
    const missing = await baton
      .applyYaml(
        job(
          'bad',
          `  notifications: [{on: [failed], slack: {url: hooks/nope}}]\n  steps: [{name: main, script: "true"}]\n`,
        ),
      )
      .catch((caught: unknown) => caught);
    expect((missing as InputError).problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'spec.notifications[0].slack.url: unknown secret "hooks/nope"',
    ]);
  });

  it('needs run on a secret a job or project notification names', async () => {
    const alice = await baton.addUser('alice');
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: alice-edits-ops}
spec:
  rules:
    - {subjects: [user/alice], actions: [edit, admin], resources: [job/ops/*, project/ops], effect: allow}
`);
    const asAlice = (content: string) =>
      baton.apply
        .apply({ files: [{ name: 'alice.yaml', content }] }, alice.principal)
        .catch((caught: unknown) => caught);
    const jobError = await asAlice(
      job(
        'alice-job',
        `  notifications: [{on: [failed], slack: {url: hooks/slack}}]\n  steps: [{name: main, script: "true"}]\n`,
      ),
    );
    expect(jobError).toBeInstanceOf(ForbiddenError);
    expect((jobError as Error).message).toContain('secret/hooks/slack');
    const projectError = await asAlice(`apiVersion: baton/v1
kind: Project
metadata: {name: ops}
spec:
  notifications: [{on: [failed], webhook: {url: "${base}/p", secret: hooks/key}}]
`);
    expect(projectError).toBeInstanceOf(ForbiddenError);
    expect((projectError as Error).message).toContain('secret/hooks/key');
  });

  it('shows a plain option equal to a secret the run receives as ***** in the API, audit and webhook', async () => {
    await baton.applyYaml(
      job(
        'leaky-option',
        `  options: [{name: target, type: string}, {name: note, type: string}, {name: safe, type: string}]
  secrets: [{path: hooks/key, env: HOOK}]
  notifications: [{on: [succeeded], webhook: {url: "${base}/leaky", secret: hooks/key}}]
  steps: [{name: main, script: 'test "$BATON_OPTION_TARGET" = "$HOOK" && echo same'}]
`,
      ),
    );
    const execution = await baton.run('ops/leaky-option', {
      target: HOOK_KEY,
      note: `key=${HOOK_KEY};`,
      safe: 'db',
    });
    // The step still ran with the value given.
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    expect(await baton.logText(execution.id)).toContain('same');
    const shown = { target: MASK, note: MASK, safe: 'db' };

    const detail = await baton.request('GET', `/api/v1/executions/${execution.id}`);
    expect(detail.json().execution.options).toEqual(shown);
    const listed = await baton.request('GET', '/api/v1/executions');
    expect(listed.statusCode).toBe(200);
    const audit = await baton.request(
      'GET',
      `/api/v1/audit?target=execution/${execution.id}&action=execution.run`,
    );
    expect(audit.json().records).toHaveLength(1);
    expect(audit.json().records[0].summary.options).toEqual(shown);
    await settled(execution.id, 1);
    const received = receiver
      .on('/leaky')
      .filter((entry) => JSON.parse(entry.body).execution.id === execution.id);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body).execution.options).toEqual(shown);
    for (const body of [detail.body, listed.body, audit.body, received[0]!.body])
      expect(body).not.toContain(HOOK_KEY);
  });

  it('posts a signed webhook on start and success, and a project webhook on failure only', async () => {
    await baton.applyYaml(
      `apiVersion: baton/v1
kind: Project
metadata: {name: ops}
spec:
  notifications: [{on: [failed], webhook: {url: "${base}/project", secret: hooks/key}}]
` +
        job(
          'hello',
          `  options: [{name: target, type: string, default: web}]
  notifications: [{on: [started, succeeded], webhook: {url: "${base}/hello", secret: hooks/key}}]
  steps: [{name: main, script: "echo hi"}]
`,
        ),
    );
    const execution = await baton.run('ops/hello', { target: 'db' });
    await baton.waitFor(execution.id);
    const deliveries = await settled(execution.id, 2);
    expect(deliveries.map((delivery) => [delivery.event, delivery.status, delivery.attempts])).toEqual([
      ['started', 'delivered', 1],
      ['succeeded', 'delivered', 1],
    ]);
    const received = receiver
      .on('/hello')
      .filter((entry) => JSON.parse(entry.body).execution.id === execution.id);
    // Deliveries are sent concurrently: receivers get no ordering guarantee, so neither does this test.
    received.sort((a, b) => Number(a.headers['x-baton-delivery']) - Number(b.headers['x-baton-delivery']));
    expect(received.map((entry) => entry.headers['x-baton-event']).sort()).toEqual(['started', 'succeeded']);
    for (const entry of received) {
      const timestamp = entry.headers['x-baton-timestamp'] as string;
      const expected = createHmac('sha256', HOOK_KEY).update(`${timestamp}.${entry.body}`).digest('hex');
      expect(entry.headers['x-baton-signature']).toBe(`sha256=${expected}`);
      expect(entry.headers['content-type']).toBe('application/json');
    }
    expect(
      received.map((entry) => [entry.headers['x-baton-delivery'], entry.headers['x-baton-event']]),
    ).toEqual(deliveries.map((delivery) => [String(delivery.id), delivery.event]));
    const body = JSON.parse(received.find((entry) => entry.headers['x-baton-event'] === 'succeeded')!.body);
    expect(body).toMatchObject({
      event: 'succeeded',
      execution: {
        id: execution.id,
        project: 'ops',
        job: 'hello',
        state: 'succeeded',
        requestedBy: 'admin',
        options: { target: 'db' },
        exitCode: 0,
        url: `https://baton.example.com/executions/${execution.id}`,
      },
    });
    expect(body.execution.finishedAt).toEqual(expect.any(String));
    // The project's notification is for failures: this success sent it nothing.
    expect(receiver.on('/project')).toEqual([]);

    await baton.applyYaml(job('broken', `  steps: [{name: main, script: "exit 3"}]\n`));
    const failed = await baton.run('ops/broken');
    await baton.waitFor(failed.id);
    const [projectDelivery] = await settled(failed.id, 1);
    expect(projectDelivery).toMatchObject({ event: 'failed', source: 'project', status: 'delivered' });
    const sent = JSON.parse(receiver.on('/project').at(-1)!.body);
    expect(sent.execution).toMatchObject({ id: failed.id, state: 'failed', exitCode: 3 });
  });

  it('retries a receiver that fails twice, recording three attempts in order', async () => {
    await baton.applyYaml(
      job(
        'flaky',
        `  notifications: [{on: [succeeded], webhook: {url: "${base}/flaky", secret: hooks/key}}]
  steps: [{name: main, script: "true"}]
`,
      ),
    );
    receiver.plan = [503, 500];
    const execution = await baton.run('ops/flaky');
    await baton.waitFor(execution.id);
    const [delivery] = await settled(execution.id, 1);
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
    });
    expect(delivery!.history.map((attempt) => [attempt.attempt, attempt.statusCode, attempt.error])).toEqual([
      [1, 503, 'receiver answered HTTP 503'],
      [2, 500, 'receiver answered HTTP 500'],
      [3, 200, null],
    ]);
    expect(receiver.on('/flaky')).toHaveLength(3);

    const api = await baton.request('GET', `/api/v1/executions/${execution.id}/notifications`);
    expect(api.statusCode).toBe(200);
    expect(api.json().deliveries[0]).toMatchObject({
      channel: 'webhook',
      event: 'succeeded',
      destination: `${base}/flaky`,
      status: 'delivered',
      attempts: 3,
    });
  });

  it('gives up after the last attempt of a receiver that always fails', async () => {
    await baton.applyYaml(
      job(
        'down',
        `  notifications: [{on: [succeeded], webhook: {url: "${base}/down", secret: hooks/key}}]
  steps: [{name: main, script: "true"}]
`,
      ),
    );
    receiver.plan = [500, 500, 500, 500, 500];
    const execution = await baton.run('ops/down');
    await baton.waitFor(execution.id);
    const [delivery] = await settled(execution.id, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 5, nextAttemptAt: null });
    expect(receiver.on('/down')).toHaveLength(5);
    const metrics = (await baton.request('GET', '/metrics')).body;
    expect(metrics).toContain('baton_notification_attempts_total{channel="webhook",outcome="gave_up"} 1');
  });

  it('finishes executions while a receiver hangs, and cuts the hanging attempt at the timeout', async () => {
    await baton.applyYaml(
      job(
        'patient',
        `  notifications: [{on: [started], webhook: {url: "${base}/hang", secret: hooks/key}}]
  steps: [{name: main, script: "echo done"}]
`,
      ),
    );
    receiver.plan = ['hang'];
    const execution = await baton.run('ops/patient');
    const finished = await baton.waitFor(execution.id);
    expect(finished.state).toBe('succeeded');
    // The execution ended while the receiver still held the start notice, unanswered.
    const held = await eventually(
      'the start notice to reach the receiver',
      async () => receiver.on('/hang')[0],
    );
    expect(held.abandoned).toBe(false);
    const [delivery] = await settled(execution.id, 1);
    expect(held.abandoned).toBe(true);
    expect(delivery!.history.map((attempt) => [attempt.statusCode, attempt.error])).toEqual([
      [null, `no answer within ${TIMEOUT_MS} ms`],
      [200, null],
    ]);
  }, 30_000);

  it('notifies a timeout as timed_out, not as a failure', async () => {
    await baton.applyYaml(
      job(
        'slow',
        `  timeout: 300ms
  notifications: [{on: [failed, timed_out], webhook: {url: "${base}/slow", secret: hooks/key}}]
  steps: [{name: main, script: "sleep 30"}]
`,
      ),
    );
    const execution = await baton.run('ops/slow');
    expect((await baton.waitFor(execution.id)).state).toBe('timed_out');
    // The project's failure webhook is not for timeouts; the job's own is.
    const [delivery] = await settled(execution.id, 1);
    expect(delivery).toMatchObject({ event: 'timed_out', source: 'job', status: 'delivered' });
    expect(JSON.parse(receiver.on('/slow')[0]!.body)).toMatchObject({
      event: 'timed_out',
      execution: { id: execution.id, state: 'timed_out' },
    });
  });

  it('sends Slack messages to the URL held in a secret, which is stored nowhere', async () => {
    await baton.applyYaml(
      job(
        'chatty',
        `  notifications: [{on: [failed], slack: {url: hooks/slack}}]
  steps: [{name: main, script: "exit 1"}]
`,
      ),
    );
    const execution = await baton.run('ops/chatty');
    await baton.waitFor(execution.id);
    // The project's failure webhook goes too; the Slack message is the job's own.
    const deliveries = await settled(execution.id, 2);
    expect(
      deliveries.map((delivery) => [
        delivery.source,
        delivery.channel,
        delivery.destination,
        delivery.status,
      ]),
    ).toEqual([
      ['job', 'slack', 'slack', 'delivered'],
      ['project', 'webhook', `${base}/project`, 'delivered'],
    ]);
    const message = JSON.parse(receiver.on(`/slack/${SLACK_TOKEN}`).at(-1)!.body);
    expect(message.text).toBe(
      `ops/chatty #${execution.id} failed (<https://baton.example.com/executions/${execution.id}|details>)`,
    );
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `*ops/chatty #${execution.id} failed*` },
    });
    expect(message.blocks[1].text.text).toContain('Exit code: 1');
  });

  it('emails over SMTP and asks for approval by notification in the same step as queueing', async () => {
    await baton.applyYaml(
      job(
        'gated',
        `  approval: {approvers: user/admin}
  notifications:
    - on: [approval_needed]
      email:
        to: [oncall@example.com, lead@example.com]
        smtp: {host: 127.0.0.1, port: ${smtp.port}, from: baton@example.com}
  steps: [{name: main, script: "true"}]
`,
      ),
    );
    const execution = await baton.run('ops/gated');
    expect(execution.state).toBe('awaiting_approval');
    // Queued with the execution: the delivery exists as soon as run() returns.
    const queued = await listDeliveries(baton.db, execution.id);
    expect(queued.map((delivery) => [delivery.event, delivery.channel])).toEqual([
      ['approval_needed', 'email'],
    ]);
    const [delivery] = await settled(execution.id, 1);
    expect(delivery).toMatchObject({
      status: 'delivered',
      destination: 'oncall@example.com, lead@example.com',
    });
    const mail = smtp.mails.at(-1)!;
    expect(mail.from).toBe('baton@example.com');
    expect(mail.to).toEqual(['oncall@example.com', 'lead@example.com']);
    expect(mail.raw).toContain(`Subject: [Baton] ops/gated #${execution.id} needs approval`);
    expect(mail.raw).toContain('Requested by: admin');
    expect(mail.raw).toContain('X-Baton-Event: approval_needed');
  });

  it('keeps secret values out of every stored delivery and attempt', async () => {
    const rows = [
      ...(await baton.db.selectFrom('notification_deliveries').selectAll().execute()),
      ...(await baton.db.selectFrom('notification_attempts').selectAll().execute()),
    ];
    expect(rows.length).toBeGreaterThan(10);
    const stored = JSON.stringify(rows);
    expect(stored).toContain('hooks/slack');
    expect(stored).not.toContain(HOOK_KEY);
    expect(stored).not.toContain(SLACK_TOKEN);
  });
});
