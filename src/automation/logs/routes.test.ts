/** The log search route on both databases: paging, input errors, and who may search. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { eventually } from '../../../test/eventually.js';
import { ADMIN_TOKEN, startTestBaton, type TestBaton } from '../../../test/baton.js';

const DOCUMENTS = `apiVersion: baton/v1
kind: Job
metadata: {name: noisy, project: logs}
spec:
  steps:
    - name: print
      script: |
        for i in $(seq 0 299); do
          if [ $((i % 50)) -eq 0 ]; then printf '\\033[31mError\\033[0m at %s\\n' "$i"; else echo "fine $i"; fi
        done
---
apiVersion: baton/v1
kind: Policy
metadata: {name: log-readers}
spec:
  rules:
    - {subjects: [user/viewer], actions: [view], resources: [job/logs/noisy], effect: allow}
    - {subjects: [user/reader], actions: [read-logs], resources: [job/logs/noisy], effect: allow}
`;

describe.each(DIALECTS)('log search API on %s', (dialect) => {
  let baton: TestBaton;
  let id: number;
  let viewer: Record<string, string>;
  let reader: Record<string, string>;
  /** Line numbers of the script's "Error at N" lines, and of the log's end (Baton adds lines of its own). */
  let errorLines: number[];
  let end: number;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    viewer = (await baton.addUser('viewer')).headers;
    reader = (await baton.addUser('reader')).headers;
    await baton.applyYaml(DOCUMENTS);
    id = (await baton.run('logs/noisy')).id;
    expect((await baton.waitFor(id)).state).toBe('succeeded');
    const lines = await baton.logText(id);
    const first = lines.indexOf('\u001b[31mError\u001b[0m at 0');
    expect(first).toBeGreaterThanOrEqual(0);
    errorLines = [0, 50, 100, 150, 200, 250].map((n) => first + n);
    end = lines.length;
  });
  afterAll(() => baton.stop());

  const search = (query: string, headers?: Record<string, string>) =>
    baton.request('GET', `/api/v1/executions/${id}/log/search?${query}`, undefined, headers);

  it('returns the numbers of the lines that show the text, ignoring case and colours', async () => {
    const response = await search('q=ERROR');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ matches: errorLines, next: end, done: true, scanned: end });
    const numbers = (await search('q=fine%2029')).json();
    const first = errorLines[0]!;
    expect(numbers.matches).toEqual(
      [29, ...Array.from({ length: 10 }, (_, i) => 290 + i)].map((n) => first + n),
    );
  });

  it('pages a search with a resume cursor', async () => {
    const found: number[] = [];
    let from = 0;
    for (let page = 0; page < 20; page++) {
      const body = (await search(`q=error&from=${from}&scan=70&limit=2`)).json();
      found.push(...body.matches);
      from = body.next;
      if (body.done) break;
    }
    expect(found).toEqual(errorLines);
    expect(from).toBe(end);
  });

  it('says what is wrong with a search that names nothing to find or asks for too much', async () => {
    const empty = await search('from=0');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.problems).toEqual([expect.objectContaining({ path: 'querystring.q' })]);
    const huge = await search('q=x&scan=50001');
    expect(huge.statusCode).toBe(400);
    expect(huge.json().error.message).toContain('querystring.scan');
  });

  it('lets search only those who may read the log', async () => {
    const refused = await search('q=error', viewer);
    expect(refused.statusCode).toBe(403);
    // The same answer as the range route gives, so neither tells more than the other.
    const range = await baton.request('GET', `/api/v1/executions/${id}/log`, undefined, viewer);
    expect(range.statusCode).toBe(403);
    expect(refused.json().error).toEqual(range.json().error);

    const allowed = await search('q=error', reader);
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().matches).toHaveLength(6);
  });
});

const RUNNING_JOB = `apiVersion: baton/v1
kind: Job
metadata: {name: busy, project: streams}
spec:
  steps:
    - name: print
      script: |
        for i in $(seq 0 99); do echo "busy $i"; done
        sleep 300
---
apiVersion: baton/v1
kind: Policy
metadata: {name: stream-readers}
spec:
  rules:
    - {subjects: [user/ada], actions: [view, read-logs], resources: [job/streams/busy], effect: allow}
    - {subjects: [user/viewer], actions: [view], resources: [job/streams/busy], effect: allow}
`;

/** A live log stream over real HTTP, read to its end (or until closed) in the background. */
interface OpenStream {
  status: number;
  close(): void;
  /** Every `lines` event's lines, once the stream ended. */
  lines: Promise<{ n: number; text: string }[]>;
}

describe.each(DIALECTS)('log stream API on %s', (dialect) => {
  let baton: TestBaton;
  let url: string;
  let id: number;
  let ada: Record<string, string>;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { logStreamsPerUser: 2, logStreams: 3 });
    url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
    ada = (await baton.addUser('ada')).headers;
    viewer = (await baton.addUser('viewer')).headers;
    await baton.applyYaml(RUNNING_JOB);
    id = (await baton.run('streams/busy')).id;
    await baton.waitFor(id, 'running');
    // The test cancels this execution and expects every follower to have seen all 100 lines: on a
    // loaded machine the step may not have printed them yet when it is running, so wait for them.
    await eventually('all 100 busy lines in the stored log', async () => {
      const log = (await baton.request('GET', `/api/v1/executions/${id}/log?limit=1000`)).json() as {
        lines: { text: string }[];
      };
      return log.lines.some((line) => line.text === 'busy 99') ? true : undefined;
    });
  });
  afterAll(() => baton.stop());

  const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

  async function open(headers: Record<string, string>): Promise<OpenStream> {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/v1/executions/${id}/log/stream`, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const lines = (async () => {
      const text = await response.text().catch(() => '');
      return text
        .split('\n\n')
        .filter((event) => event.includes('event: lines'))
        .flatMap((event) => JSON.parse(event.split('\ndata: ')[1]!) as { n: number; text: string }[]);
    })();
    return { status: response.status, close: () => controller.abort(), lines };
  }

  async function gauge(name: string): Promise<number> {
    const text = (await baton.request('GET', '/metrics')).body;
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  }

  async function waitForGauge(name: string, value: number): Promise<void> {
    while ((await gauge(name)) !== value) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('caps streams per user and in total with 429 naming the limit, and frees a closed stream’s slot', async () => {
    const first = await open(adminHeaders);
    const second = await open(adminHeaders);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await gauge('baton_log_followers')).toBe(2);
    // Two followers of one execution: one reader.
    expect(await gauge('baton_log_follow_readers')).toBe(1);

    const third = await baton.request('GET', `/api/v1/executions/${id}/log/stream`);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.json().error.message).toContain('BATON_LOG_STREAMS_PER_USER is 2');

    const adas = await open(ada);
    expect(adas.status).toBe(200);
    const full = await baton.request('GET', `/api/v1/executions/${id}/log/stream`, undefined, ada);
    expect(full.statusCode).toBe(429);
    expect(full.json().error.message).toContain('BATON_LOG_STREAMS is 3');
    // Who may not read the log hears so, not that the server is busy.
    const refused = await baton.request('GET', `/api/v1/executions/${id}/log/stream`, undefined, viewer);
    expect(refused.statusCode).toBe(403);

    second.close();
    await waitForGauge('baton_log_followers', 2);
    const again = await open(adminHeaders);
    expect(again.status).toBe(200);

    // Every follower still open gets the same lines, in order, up to the end of the execution.
    expect((await baton.request('POST', `/api/v1/executions/${id}/cancel`)).statusCode).toBeLessThan(300);
    const [firstLines, againLines, adaLines] = await Promise.all([first.lines, again.lines, adas.lines]);
    expect(firstLines.map((line) => line.n)).toEqual(firstLines.map((_, index) => index));
    expect(firstLines.map((line) => line.text)).toEqual(
      expect.arrayContaining(Array.from({ length: 100 }, (_, i) => `busy ${i}`)),
    );
    expect(againLines).toEqual(firstLines);
    expect(adaLines).toEqual(firstLines);
    await waitForGauge('baton_log_followers', 0);
    expect(await gauge('baton_log_follow_readers')).toBe(0);
  });
});
