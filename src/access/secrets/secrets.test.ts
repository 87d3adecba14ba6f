/**
 * Secrets as users meet them, on both databases: written through the API and never shown again,
 * guarded by policies, handed to steps as env variables and files (never in argv), masked in
 * logs, audited, and still readable after the master key is rotated.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { listSteps } from '../../automation/executions/store.js';
import { insertToken, insertUser } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';
import { openExecutionSecrets, SecretUnavailableError } from '../../automation/secrets/delivery.js';
import { Keyring, KEY_FILE_NAME, parseMasterKey } from './keyring.js';
import { SecretService } from './service.js';
import { getSealedSecret } from './store.js';
import { MASK } from '../../automation/logs/masking.js';
import { visibleText } from '../../contract/visible-text.js';

const DB_PASSWORD = 'S3cr3t-Pa55-Value-one';
const API_TOKEN = 'tok-Ab9-XYZ-two-7781';
const APP_KEY = 'app-key-Value-three';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(DIALECTS)('secrets on %s', (dialect) => {
  let baton: TestBaton;
  let scratch: string;
  const tokens: Record<string, string> = {};
  /** Every raw response body of the secrets API seen in this file, to check none holds a value. */
  const bodies: string[] = [];

  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });
  const secretsApi = async (method: string, url: string, body?: unknown, user?: string) => {
    const response = await baton.request(method, url, body, user ? as(user) : undefined);
    bodies.push(response.body);
    return response;
  };
  const applyAs = (user: string, content: string) =>
    baton.request('POST', '/api/v1/apply', { files: [{ name: 'job.yaml', content }] }, as(user));

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-secrets-test-'));
    for (const name of ['viewer', 'writer', 'dev', 'runner']) {
      const userId = await insertUser(baton.db, { name, isAdmin: false, now: Date.now() });
      const token = generateToken();
      await insertToken(baton.db, {
        userId,
        name: 'test',
        prefix: tokenPrefix(token),
        hash: hashToken(token),
        now: Date.now(),
      });
      tokens[name] = token;
    }
    await baton.applyYaml(`apiVersion: baton/v1
kind: Policy
metadata: {name: secret-people}
spec:
  rules:
    - {subjects: [user/viewer], actions: [view], resources: [secret/app/*], effect: allow}
    - {subjects: [user/writer], actions: [edit], resources: [secret/app/*], effect: allow}
    - {subjects: [user/dev], actions: [edit, run], resources: [job/dev/*], effect: allow}
    - {subjects: [user/dev], actions: [run], resources: [job/sec/pick], effect: allow}
    - {subjects: [user/dev], actions: [run], resources: [secret/app/*], effect: allow}
    - {subjects: [user/runner], actions: [run], resources: [job/sec/pick, secret/app/*], effect: allow}
`);
    for (const [secretPath, value] of [
      ['db/prod/password', DB_PASSWORD],
      ['api/token', API_TOKEN],
      ['app/key', APP_KEY],
    ] as const) {
      const response = await secretsApi('PUT', `/api/v1/secrets/${secretPath}`, { value });
      expect(response.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await baton?.stop();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  it('stores values encrypted and answers with metadata only', async () => {
    const set = await secretsApi('PUT', '/api/v1/secrets/app/described', {
      value: 'first-value-xyz',
      description: 'a test secret',
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().secret).toMatchObject({
      path: 'app/described',
      version: 1,
      description: 'a test secret',
      updatedBy: 'admin',
    });
    const again = await secretsApi('PUT', '/api/v1/secrets/app/described', { value: 'second-value-xyz' });
    // A new value bumps the version; an omitted description is kept.
    expect(again.json().secret).toMatchObject({ version: 2, description: 'a test secret' });
    expect(set.body + again.body).not.toMatch(/first-value-xyz|second-value-xyz/);

    const stored = await getSealedSecret(baton.db, 'db/prod/password');
    expect(stored?.keyId).toBe(baton.keyring.current.id);
    expect(Buffer.from(stored!.sealed).includes(Buffer.from(DB_PASSWORD))).toBe(false);

    const list = await secretsApi('GET', '/api/v1/secrets');
    expect(list.statusCode).toBe(200);
    expect(list.json().secrets.map((secret: { path: string }) => secret.path)).toEqual([
      'api/token',
      'app/described',
      'app/key',
      'db/prod/password',
    ]);
    for (const secret of list.json().secrets) {
      expect(Object.keys(secret).sort()).toEqual([
        'createdAt',
        'description',
        'path',
        'updatedAt',
        'updatedBy',
        'version',
      ]);
    }
  });

  it('refuses path traversal and malformed paths with the field path', async () => {
    const service = baton.secrets;
    for (const bad of ['../x', 'a/../b', '/abs', 'a/./b', 'a//b', 'trailing/', 'sp ace', 'x'.repeat(201)]) {
      await expect(service.set(admin, bad, { value: 'v' }), bad).rejects.toMatchObject({
        status: 400,
        problems: [expect.objectContaining({ path: 'path' })],
      });
    }
    for (const url of ['/api/v1/secrets/..%2Fx', '/api/v1/secrets/a/..%2Fb', '/api/v1/secrets//abs']) {
      const response = await secretsApi('PUT', url, { value: 'traversal-value' });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.problems[0].path).toBe('path');
    }
    // A path that is only dots never reaches the route (the router answers 404); nothing is stored either way.
    expect(
      (await secretsApi('PUT', '/api/v1/secrets/%2E%2E', { value: 'traversal-value' })).statusCode,
    ).not.toBe(200);
    const listed = (await secretsApi('GET', '/api/v1/secrets'))
      .json()
      .secrets.map((s: { path: string }) => s.path);
    expect(listed.some((p: string) => p.includes('..') || p.startsWith('/'))).toBe(false);

    const job = await applyAs(
      'dev',
      `apiVersion: baton/v1
kind: Job
metadata: {name: traverse, project: dev}
spec:
  secrets: [{path: ../db/prod/password, env: PW}]
  steps: [{name: s, script: 'true'}]
`,
    );
    expect(job.statusCode).toBe(400);
    expect(job.body).toContain('spec.secrets[0].path');
  });

  it('checks the value without ever repeating it in an error', async () => {
    const big = 'B'.repeat(64 * 1024 + 1);
    const tooBig = await secretsApi('PUT', '/api/v1/secrets/app/big', { value: big });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error.problems[0].path).toBe('body.value');
    expect(tooBig.body).not.toContain('BBBBBBBB');
    const notString = await secretsApi('PUT', '/api/v1/secrets/app/num', { value: 918273645 });
    expect(notString.statusCode).toBe(400);
    expect(notString.body).not.toContain('918273645');
    const missing = await secretsApi('PUT', '/api/v1/secrets/app/none', { description: 'no value' });
    expect(missing.statusCode).toBe(400);
  });

  it('lets policies decide who may set, see and use which secret', async () => {
    // view only: sees app/* in the listing, cannot set.
    const viewerList = await secretsApi('GET', '/api/v1/secrets', undefined, 'viewer');
    expect(viewerList.json().secrets.map((s: { path: string }) => s.path)).toEqual(
      expect.arrayContaining(['app/key']),
    );
    expect(viewerList.json().secrets.every((s: { path: string }) => s.path.startsWith('app/'))).toBe(true);
    const viewerSet = await secretsApi(
      'PUT',
      '/api/v1/secrets/app/key',
      { value: 'overwrite-attempt' },
      'viewer',
    );
    expect(viewerSet.statusCode).toBe(403);
    expect((await secretsApi('DELETE', '/api/v1/secrets/app/key', undefined, 'viewer')).statusCode).toBe(403);

    // edit on app/*: may set there, not elsewhere.
    expect(
      (await secretsApi('PUT', '/api/v1/secrets/app/writer-made', { value: 'w-value-1' }, 'writer'))
        .statusCode,
    ).toBe(200);
    expect(
      (await secretsApi('PUT', '/api/v1/secrets/db/prod/password', { value: 'hijack' }, 'writer')).statusCode,
    ).toBe(403);
    expect(
      (await secretsApi('DELETE', '/api/v1/secrets/app/writer-made', undefined, 'writer')).statusCode,
    ).toBe(200);
    expect(
      (await secretsApi('DELETE', '/api/v1/secrets/app/writer-made', undefined, 'writer')).statusCode,
    ).toBe(404);

    // Rotation is for administrators.
    expect((await secretsApi('POST', '/api/v1/secrets/rotate-key', undefined, 'writer')).statusCode).toBe(
      403,
    );
  });

  it('refuses a job that uses a secret its author may not run, or one that does not exist', async () => {
    const job = (secretPath: string) => `apiVersion: baton/v1
kind: Job
metadata: {name: exfiltrate, project: dev}
spec:
  secrets: [{path: ${secretPath}, env: PW}]
  steps: [{name: s, script: 'echo "$PW"'}]
`;
    const forbidden = await applyAs('dev', job('db/prod/password'));
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.message).toContain('secret/db/prod/password');
    expect((await baton.request('GET', '/api/v1/jobs/dev/exfiltrate')).statusCode).toBe(404);

    const allowed = await applyAs('dev', job('app/key'));
    expect(allowed.statusCode).toBe(200);

    const unknown = await baton.request('POST', '/api/v1/apply', {
      files: [{ name: 'job.yaml', content: job('app/does-not-exist') }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.problems[0]).toMatchObject({
      message: 'unknown secret "app/does-not-exist"',
    });
    expect(unknown.body).toContain('spec.secrets[0].path');
  });

  it('hands secrets to a step as env and file, masks them in the log, and removes the file', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: leaky, project: sec}
spec:
  secrets:
    - {path: db/prod/password, env: DB_PASSWORD}
    - {path: api/token, file: token}
  steps:
    - name: leak
      script: |
        echo "env: $DB_PASSWORD"
        echo "file: $(cat "$BATON_SECRETS_DIR/token")"
        echo "base64: $(printf %s "$DB_PASSWORD" | base64)"
        echo "env-hash: $(printf %s "$DB_PASSWORD" | sha256sum | cut -d' ' -f1)"
        echo "file-hash: $(sha256sum < "$BATON_SECRETS_DIR/token" | cut -d' ' -f1)"
        echo "dir: $BATON_SECRETS_DIR"
        echo "modes: $(stat -c %a "$BATON_SECRETS_DIR") $(stat -c %a "$BATON_SECRETS_DIR/token")"
        exit 3
`);
    const execution = await baton.run('sec/leaky');
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('failed');
    const log = (await baton.logText(execution.id)).join('\n');
    // The step received the values (their hashes match)…
    expect(log).toContain(`env-hash: ${sha256(DB_PASSWORD)}`);
    expect(log).toContain(`file-hash: ${sha256(API_TOKEN)}`);
    expect(log).toContain('modes: 700 600');
    // …and the stored log shows neither, in any form printed. (Relies on logs/masking.ts.)
    expect(log).not.toContain(DB_PASSWORD);
    expect(log).not.toContain(API_TOKEN);
    expect(log).not.toContain(Buffer.from(DB_PASSWORD).toString('base64'));
    expect(log).toContain('env: *****');
    const secretsDir = /dir: (\S+)/.exec(log)?.[1];
    expect(secretsDir).toMatch(/baton-secrets-/);
    await expect(fs.stat(secretsDir!)).rejects.toThrow(/ENOENT/);

    const detail = await baton.request('GET', `/api/v1/executions/${execution.id}`);
    expect(detail.body).not.toContain(DB_PASSWORD);
    expect(detail.body).not.toContain(API_TOKEN);
  });

  it('masks a secret wrapped at any width, with escapes inside, and JSON-escaped to ASCII', async () => {
    const secret = 'Pässwört-sec-ret-42';
    expect((await secretsApi('PUT', '/api/v1/secrets/app/unicode', { value: secret })).statusCode).toBe(200);
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: forms, project: sec}
spec:
  secrets: [{path: app/unicode, env: S}]
  steps:
    - name: print
      script: |
        printf %s "$S" | base64 -w 8
        printf %s "$S" | base64 -w 5
        printf 'colour: %s\\033[0m%s\\n' "\${S%%-ret*}" "-ret\${S#*-ret}"
        if command -v python3 >/dev/null; then
          python3 -c 'import json, os; print(json.dumps({"p": os.environ["S"]}))'
        fi
        printf '{"p": "P\\\\u00E4ssw\\\\u00F6rt-sec-ret-42"}\\n'
        echo done
`);
    const execution = await baton.run('sec/forms');
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    const lines = await baton.logText(execution.id);
    expect(lines).toContain('done');
    const base64 = Buffer.from(secret).toString('base64');
    const pieces = [8, 5].flatMap((width) => base64.match(new RegExp(`.{3,${width}}`, 'g'))!);
    const forms = [secret, base64, 'P\\u00e4ssw\\u00f6rt', 'P\\u00E4ssw\\u00F6rt'];
    const shown = lines.map((line) => visibleText(line));
    for (const text of [...lines, ...shown]) {
      for (const form of forms) expect(text).not.toContain(form);
      expect(pieces).not.toContain(text.trim());
    }
    // The stars stand where the forms were printed: eight wrapped lines, the colour line, JSON.
    expect(lines.filter((line) => line === MASK).length).toBeGreaterThanOrEqual(8);
    expect(shown).toContain(`colour: ${MASK}`);
    expect(lines).toContain(`{"p": "${MASK}"}`);
    // What the log API answers and what a search finds hold none of it either.
    const api = await baton.request('GET', `/api/v1/executions/${execution.id}/log`);
    expect(api.statusCode).toBe(200);
    for (const form of [...forms, ...pieces.map((piece) => `"${piece}"`)])
      expect(api.body).not.toContain(form);
    for (const query of [secret, pieces[1]!, pieces[pieces.length - 2]!, 'P\\u00e4ssw']) {
      const search = await baton.request(
        'GET',
        `/api/v1/executions/${execution.id}/log/search?q=${encodeURIComponent(query)}`,
      );
      expect(search.statusCode).toBe(200);
      expect(search.json().matches, query).toEqual([]);
    }
  });

  it('never puts a secret in the argv of the step process', async () => {
    const pidFile = path.join(scratch, 'argv.pid');
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: argv, project: sec}
spec:
  env: {PID_FILE: ${pidFile}}
  secrets: [{path: db/prod/password, env: DB_PASSWORD}]
  steps:
    - name: hold
      script: |
        echo $$ > "$PID_FILE"
        sleep 60
        echo done
`);
    const execution = await baton.run('sec/argv');
    let pid: number | undefined;
    while (!pid) {
      pid = Number(await fs.readFile(pidFile, 'utf8').catch(() => '')) || undefined;
      if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`);
    const environ = await fs.readFile(`/proc/${pid}/environ`);
    // The same process holds the value in its environment, as delivered: the argv check looks at the right place.
    expect(environ.includes(Buffer.from(`DB_PASSWORD=${DB_PASSWORD}`))).toBe(true);
    expect(cmdline.includes(Buffer.from(DB_PASSWORD))).toBe(false);
    await baton.executions.cancel(admin, execution.id);
    expect((await baton.waitFor(execution.id)).state).toBe('cancelled');
  });

  it('records secret writes and each use by an execution in the audit trail, without values', async () => {
    const execution = await baton.run('sec/leaky');
    await baton.waitFor(execution.id);
    const records = await baton.db
      .selectFrom('audit_events')
      .select(['actor', 'action', 'target', 'summary'])
      .where('action', 'in', ['secret.write', 'secret.use'])
      .orderBy('seq')
      .execute();
    const summaryOf = (value: unknown) =>
      (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
    expect(records).toContainEqual(
      expect.objectContaining({ actor: 'admin', action: 'secret.write', target: 'secret/db/prod/password' }),
    );
    const uses = records
      .filter(
        (record) => record.action === 'secret.use' && summaryOf(record.summary).execution === execution.id,
      )
      .map((record) => record.target)
      .sort();
    expect(uses).toEqual(['secret/api/token', 'secret/db/prod/password']);
    const all = JSON.stringify(await baton.db.selectFrom('audit_events').selectAll().execute());
    for (const value of [DB_PASSWORD, API_TOKEN, APP_KEY]) expect(all).not.toContain(value);
  });

  it('gives a secret option the secret value, if the requester may run that secret', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: pick, project: sec}
spec:
  options: [{name: pw, type: secret, required: true}]
  steps:
    - name: show
      script: 'echo "hash: $(printf %s "$BATON_OPTION_PW" | sha256sum | cut -d" " -f1)"'
`);
    const run = (user: string, pw: string) =>
      baton.request('POST', '/api/v1/jobs/sec/pick/executions', { options: { pw } }, as(user));
    const forbidden = await run('runner', 'db/prod/password');
    expect(forbidden.statusCode).toBe(403);
    const traversal = await run('runner', '../app/key');
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().error.problems[0].path).toBe('options.pw');
    const unknown = await run('runner', 'app/nope');
    expect(unknown.statusCode).toBe(400);

    const allowed = await run('runner', 'app/key');
    expect(allowed.statusCode).toBe(201);
    const id = allowed.json().execution.id as number;
    expect(allowed.json().execution.options).toEqual({ pw: 'app/key' });
    expect((await baton.waitFor(id)).state).toBe('succeeded');
    expect((await baton.logText(id)).join('\n')).toContain(`hash: ${sha256(APP_KEY)}`);
  });

  it('lets no job step hand a secret it may not run to another job', async () => {
    // Named in a job: step's options: the author needs run on it, like spec.secrets.
    const direct = await applyAs(
      'dev',
      `apiVersion: baton/v1
kind: Job
metadata: {name: wrapper, project: dev}
spec:
  steps: [{name: call, job: sec/pick, options: {pw: db/prod/password}}]
`,
    );
    expect(direct.statusCode).toBe(403);
    expect(direct.json().error.message).toContain('secret/db/prod/password');

    // Passed down from a plain text option: a secret option does not inherit it.
    const relay = await applyAs(
      'dev',
      `apiVersion: baton/v1
kind: Job
metadata: {name: relay, project: dev}
spec:
  options: [{name: pw, type: string}]
  steps: [{name: call, job: sec/pick}]
`,
    );
    expect(relay.statusCode).toBe(200);
    const run = await baton.request(
      'POST',
      '/api/v1/jobs/dev/relay/executions',
      { options: { pw: 'db/prod/password' } },
      as('dev'),
    );
    expect(run.statusCode).toBe(201);
    const done = await baton.waitFor(run.json().execution.id as number);
    expect(done.state).toBe('failed');
    expect(done.reason).toContain('pw');
    const logs = (await baton.logText(done.id)).join('\n');
    expect(logs).not.toContain(sha256(DB_PASSWORD));
  });

  it('fails the step with a clear reason when a used secret was deleted', async () => {
    await secretsApi('PUT', '/api/v1/secrets/app/short-lived', { value: 'short-lived-value' });
    await baton.applyYaml(`apiVersion: baton/v1
kind: Job
metadata: {name: orphaned, project: sec}
spec:
  secrets: [{path: app/short-lived, env: GONE}]
  steps: [{name: use, script: 'echo should not run'}]
`);
    expect((await secretsApi('DELETE', '/api/v1/secrets/app/short-lived')).statusCode).toBe(200);
    const execution = await baton.run('sec/orphaned');
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toContain('secret app/short-lived does not exist');
    const [step] = await listSteps(baton.db, execution.id);
    expect(step?.reason).toContain('secret app/short-lived does not exist');
    expect((await baton.logText(execution.id)).join('\n')).not.toContain('should not run');
  });

  it('rotates the key file: new key, every value resealed and readable, old key gone', async () => {
    const keyFile = path.join(baton.location.dir, KEY_FILE_NAME);
    const oldId = baton.keyring.current.id;
    const oldKey = (await fs.readFile(keyFile, 'utf8')).trim();
    const response = await secretsApi('POST', '/api/v1/secrets/rotate-key');
    expect(response.statusCode).toBe(200);
    const result = response.json() as { keyId: string; resealed: number; unchanged: number };
    expect(result.keyId).not.toBe(oldId);
    expect(result.resealed).toBeGreaterThanOrEqual(3);
    expect(result.unchanged).toBe(0);
    const rows = await baton.db.selectFrom('secrets').select('key_id').execute();
    expect(new Set(rows.map((row) => row.key_id))).toEqual(new Set([result.keyId]));
    const fileText = (await fs.readFile(keyFile, 'utf8')).trim();
    expect(fileText.split('\n')).toHaveLength(1);
    expect(fileText).not.toContain(oldKey);
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);

    // Readable with the new key alone.
    const onlyNew = new Keyring([parseMasterKey(fileText, 'file')], { kind: 'environment' });
    const opened = await openExecutionSecrets(baton.db, onlyNew, {
      spec: { steps: [], secrets: [{ path: 'db/prod/password', env: 'PW' }] },
      options: {},
    });
    expect(opened.env.PW).toBe(DB_PASSWORD);
    const execution = await baton.run('sec/pick', { pw: 'app/key' });
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');

    const [audit] = await baton.db
      .selectFrom('audit_events')
      .select(['summary'])
      .where('action', '=', 'secret.rotate-key')
      .execute();
    expect(JSON.stringify(audit?.summary)).toContain(result.keyId);
  });

  it('rotates to a new BATON_MASTER_KEY, with the old one in BATON_MASTER_KEY_PREVIOUS', async () => {
    const current = baton.keyring.current;
    const next = parseMasterKey(randomBytes(32).toString('base64'), 'BATON_MASTER_KEY');
    const rotating = new SecretService(
      baton.db,
      baton.access,
      new Keyring([next, current], { kind: 'environment' }),
    );
    const result = await rotating.rotateKey(admin);
    expect(result.keyId).toBe(next.id);
    expect(result.resealed).toBeGreaterThanOrEqual(3);
    const execution = { spec: { steps: [], secrets: [{ path: 'api/token', file: 'token' }] }, options: {} };
    const opened = await openExecutionSecrets(
      baton.db,
      new Keyring([next], { kind: 'environment' }),
      execution,
    );
    expect(opened.files).toEqual([{ name: 'token', value: API_TOKEN }]);
    // The old key alone no longer opens anything, and says which key it would need.
    await expect(
      openExecutionSecrets(baton.db, new Keyring([current], { kind: 'environment' }), execution),
    ).rejects.toThrow(SecretUnavailableError);
    await expect(
      openExecutionSecrets(baton.db, new Keyring([current], { kind: 'environment' }), execution),
    ).rejects.toThrow(next.id);
    // A key that is neither current nor previous stops the rotation before anything changes.
    const stranger = parseMasterKey(randomBytes(32).toString('hex'), 'BATON_MASTER_KEY');
    await expect(
      new SecretService(baton.db, baton.access, new Keyring([stranger], { kind: 'environment' })).rotateKey(
        admin,
      ),
    ).rejects.toThrow(/BATON_MASTER_KEY_PREVIOUS/);
    expect(
      new Set((await baton.db.selectFrom('secrets').select('key_id').execute()).map((r) => r.key_id)),
    ).toEqual(new Set([next.id]));
  });

  it('never shows a value in any secrets API response', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      for (const value of [DB_PASSWORD, API_TOKEN, APP_KEY, 'w-value-1', 'overwrite-attempt', 'hijack']) {
        expect(body).not.toContain(value);
      }
    }
  });
});
