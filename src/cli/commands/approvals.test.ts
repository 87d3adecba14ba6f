/**
 * `baton run`, `approve`, `reject` and `approvals` as users run them: the compiled CLI in child
 * processes against a real Baton listening on a random port (SQLite, embedded worker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../../test/baton.js';
import { insertToken, insertUser } from '../../access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../../access/tokens.js';
import { finished, startCliServer, waitForText, type CliServer } from '../../../test/cli-harness.js';

const DOCUMENTS = `apiVersion: baton/v1
kind: Team
metadata: {name: sre}
spec: {members: [bob]}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: requesters}
spec:
  rules:
    - {subjects: [user/alice], actions: [run, read-logs], resources: [project/cli], effect: allow}
---
apiVersion: baton/v1
kind: Job
metadata: {name: guarded, project: cli}
spec:
  approval: {approvers: team/sre, expires: 2h}
  steps:
    - name: ship
      command: [echo, shipped]
`;

let server: CliServer;
type Person = 'alice' | 'bob';
const tokens = {} as Record<Person, string>;

/** Starts `baton ARGS…` as PERSON, with their token. */
const start = (person: Person, args: string[]) => server.start(args, { token: tokens[person] });
const cli = (person: Person, args: string[]) => finished(start(person, args));

const executionId = (text: string) => Number(/execution (\d+) awaiting_approval/.exec(text)?.[1]);

beforeAll(async () => {
  server = await startCliServer({ config: { killGraceMs: 1000 } });
  const { baton } = server;
  for (const person of ['alice', 'bob'] as const) {
    const userId = await insertUser(baton.db, { name: person, isAdmin: false, now: Date.now() });
    tokens[person] = generateToken();
    await insertToken(baton.db, {
      userId,
      name: 'test',
      prefix: tokenPrefix(tokens[person]),
      hash: hashToken(tokens[person]),
      now: Date.now(),
    });
  }
  await baton.apply.apply({ files: [{ name: 'approvals.yaml', content: DOCUMENTS }] }, admin);
});

afterAll(async () => {
  await server?.stop();
});

describe('baton approve, reject and approvals', () => {
  it('says a run awaits approval, lists it for approvers, and refuses the requester approving it', async () => {
    const run = await cli('alice', ['run', 'cli/guarded']);
    expect(run.code, run.stderr).toBe(0);
    const id = executionId(run.stdout);
    expect(id).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/requires approval: waiting for 1 more approval from team\/sre \(expires in/);
    expect(run.stderr).toContain(`baton approve ${id}`);

    const listed = await cli('bob', ['approvals']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+cli/guarded\\s+alice\\s+0/1\\s+team/sre`, 'm'));
    const none = await cli('alice', ['approvals']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'no executions await your approval\n' });

    const own = await cli('alice', ['approve', String(id)]);
    expect(own.code).toBe(3);
    expect(own.stderr).toContain('cannot decide on their own request');
  });

  it('follows a run through approval to its output, exiting 0', async () => {
    const follower = start('alice', ['run', 'cli/guarded', '--follow']);
    const outcome = finished(follower);
    const id = executionId(await waitForText(follower, 'stderr', /execution \d+ awaiting_approval/));

    const approved = await cli('bob', ['approve', String(id), '--comment', 'go ahead']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(
      new RegExp(`^approved execution ${id}; it is (queued|running|succeeded)\\n$`),
    );

    const followed = await outcome;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('shipped\n');

    const shown = await cli('alice', ['execution', String(id)]);
    expect(shown.stdout).toMatch(/approval:\s+required 1 of team\/sre/);
    expect(shown.stdout).toMatch(/bob\s+approved\s+.*go ahead/);
  });

  it('requires a comment to reject, and a followed run that is rejected exits 1 saying why', async () => {
    const follower = start('alice', ['run', 'cli/guarded', '--follow']);
    const outcome = finished(follower);
    const id = executionId(await waitForText(follower, 'stderr', /execution \d+ awaiting_approval/));

    const bare = await cli('bob', ['reject', String(id)]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--comment');

    const rejected = await cli('bob', ['reject', String(id), '--comment', 'not during the freeze']);
    expect(rejected).toMatchObject({ code: 0, stdout: `rejected execution ${id}\n` });

    const followed = await outcome;
    expect(followed.code).toBe(1);
    expect(followed.stdout).toBe('');
    expect(followed.stderr).toContain(`execution ${id} never ran: rejected by bob: not during the freeze`);

    const again = await cli('bob', ['approve', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no longer awaits approval (it is rejected)');
  });
});
