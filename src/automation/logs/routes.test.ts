/** The log search route on both databases: paging, input errors, and who may search. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';

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
