/**
 * `baton run`, `approve`, `reject` and `approvals` as users run them: the compiled CLI in child
 * processes against a real Baton listening on a random port (SQLite, embedded worker).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaton, type Baton } from '../../app.js';
import { admin } from '../../../test/baton.js';
import { bootstrapAdmin } from '../../access/bootstrap.js';
import { insertToken, insertUser } from '../../access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../../access/tokens.js';
import { loadConfig } from '../../platform/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'baton.js');

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

let baton: Baton;
let url: string;
let tmp: string;
const tokens: Record<string, string> = {};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(person: string, args: string[]): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('BATON_') && name !== 'XDG_CONFIG_HOME') env[name] = value;
  }
  Object.assign(env, { HOME: tmp, BATON_URL: url, BATON_TOKEN: tokens[person] });
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env });
  child.stdin.end();
  return child;
}

function finished(child: ChildProcessWithoutNullStreams): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (person: string, args: string[]) => finished(start(person, args));

/** Resolves with what a started CLI printed on stderr once it matches. */
function stderrMatching(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        child.stderr.off('data', onData);
        resolve(text);
      }
    };
    child.stderr.on('data', onData);
    child.once('close', (code) =>
      reject(new Error(`baton exited (${code}) before printing ${pattern}: ${text}`)),
    );
  });
}

const executionId = (text: string) => Number(/execution (\d+) awaiting_approval/.exec(text)?.[1]);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-approvals-cli-'));
  baton = await createBaton(
    loadConfig({ dataDir: tmp, port: 0, host: '127.0.0.1', applyExamples: false, killGraceMs: 1000 }, {}),
  );
  await bootstrapAdmin(baton.db, 'test-admin-token');
  for (const person of ['alice', 'bob']) {
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
  url = await baton.http.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await baton?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
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
    const id = executionId(await stderrMatching(follower, /execution \d+ awaiting_approval/));

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
    const id = executionId(await stderrMatching(follower, /execution \d+ awaiting_approval/));

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
