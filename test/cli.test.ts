/**
 * The `baton` command as a user runs it: the compiled CLI in a child process, against a real
 * Baton (SQLite, embedded worker) listening on a random port. Asserts what users and scripts
 * rely on: the output lines, the exit codes, and that nothing changes when input is wrong.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, startCliServer, waitForText, type CliServer } from './cli-harness.js';

const TOKEN = 'test-token';

/** Baton and the CLI, which runs in `server.work`, where beforeAll writes `jobs/`. */
let server: CliServer;

async function writeJob(file: string, name: string, spec: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(
    file,
    `apiVersion: baton/v1\nkind: Job\nmetadata:\n  name: ${name}\n  project: cli\nspec:\n${spec}`,
  );
}

/** The job as the API sees it, or undefined when it does not exist. */
async function jobRevision(name: string): Promise<number | undefined> {
  const response = await server.baton.http.inject({
    method: 'GET',
    url: `/api/v1/jobs/cli/${name}`,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (response.statusCode === 404) return undefined;
  return (response.json() as { job: { revision: number } }).job.revision;
}

const executionId = (stderr: string) => Number(/execution (\d+) /.exec(stderr)?.[1]);

const HELLO = `  options:
    - {name: name, type: string, default: world}
    - {name: tags, type: list}
  steps:
    - name: greet
      script: |
        #!/usr/bin/env bash
        echo "hello, $BATON_OPTION_NAME"
        echo "tags: $BATON_OPTION_TAGS"
        echo "to stderr" >&2
`;

beforeAll(async () => {
  // The CLI runs as users run it, compiled, through bin/baton.js (built by test/global-setup.ts).
  server = await startCliServer({ adminToken: TOKEN, config: { killGraceMs: 1000 } });
  const work = server.work;
  await writeJob(path.join(work, 'jobs/hello.yaml'), 'hello', HELLO);
  await writeJob(
    path.join(work, 'jobs/nested/fail.yml'),
    'fail',
    '  steps:\n    - name: fail\n      script: |\n        echo "about to fail"\n        exit 3\n',
  );
  await writeJob(
    path.join(work, 'jobs/sleep.yaml'),
    'sleep',
    '  steps:\n    - name: sleep\n      script: |\n        echo started\n        sleep 60\n',
  );
  // Each tick after the first waits for a gate the dropping proxy opens when it drops the stream
  // (bounded, 30 s), so every drop is followed by lines printed only after it.
  await fs.mkdir(path.join(work, 'ticker-gates'));
  await writeJob(
    path.join(work, 'jobs/ticker.yaml'),
    'ticker',
    `  steps:
    - name: tick
      script: |
        gate() { deadline=$((SECONDS + 30)); while [ ! -e "${work}/ticker-gates/$1" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done; }
        echo "tick 1"
        gate 1
        echo "tick 2"
        gate 2
        echo "tick 3"
`,
  );
  await writeJob(
    path.join(work, 'jobs/typed.yaml'),
    'typed',
    '  options:\n    - {name: count, type: integer, min: 1, max: 5, required: true}\n  steps:\n    - name: echo\n      command: [echo, done]\n',
  );
});

afterAll(async () => {
  await server?.stop();
});

describe('baton apply', () => {
  it('creates every document of a directory, then reports them unchanged', async () => {
    const first = await server.cli(['apply', '-f', 'jobs']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'job cli/fail created',
      'job cli/hello created',
      'job cli/sleep created',
      'job cli/ticker created',
      'job cli/typed created',
    ]);

    const again = await server.cli(['apply', '-f', 'jobs']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('job cli/hello unchanged');
    expect(again.stdout).not.toMatch(/created|updated/);
  });

  it('shows a diff on a dry run and changes nothing; the real apply updates', async () => {
    const file = path.join(server.work, 'jobs/hello.yaml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('hello, ', 'hi there, '));

    const dry = await server.cli(['apply', '-f', 'jobs', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('(dry run) job cli/hello updated');
    expect(dry.stdout).toContain('(dry run) job cli/fail unchanged');
    expect(dry.stdout).toMatch(/^-\s+echo "hello, \$BATON_OPTION_NAME"$/m);
    expect(dry.stdout).toMatch(/^\+\s+echo "hi there, \$BATON_OPTION_NAME"$/m);
    expect(await jobRevision('hello')).toBe(1);

    const real = await server.cli(['apply', '-f', 'jobs']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('job cli/hello updated');
    expect(await jobRevision('hello')).toBe(2);
  });

  it('reads documents from stdin with -f -', async () => {
    const content = await fs.readFile(path.join(server.work, 'jobs/sleep.yaml'), 'utf8');
    const result = await server.cli(['apply', '-f', '-'], { input: content });
    expect(result).toMatchObject({ code: 0, stdout: 'job cli/sleep unchanged\n' });
  });

  it('with --prune deletes the jobs the files no longer contain', async () => {
    const extra = path.join(server.work, 'jobs/extra.yaml');
    await writeJob(extra, 'extra', '  steps:\n    - name: a\n      command: ["true"]\n');
    expect((await server.cli(['apply', '-f', 'jobs'])).stdout).toContain('job cli/extra created');
    await fs.rm(extra);

    const withoutPrune = await server.cli(['apply', '-f', 'jobs']);
    expect(withoutPrune.stdout).not.toContain('extra');
    expect(await jobRevision('extra')).toBe(1);

    const pruned = await server.cli(['apply', '-f', 'jobs', '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('job cli/extra deleted');
    expect(await jobRevision('extra')).toBeUndefined();
  });

  it('rejects an invalid document with file:line:column, the field path and a suggestion, and applies nothing', async () => {
    await writeJob(
      path.join(server.work, 'bad/a-good.yaml'),
      'would-be-new',
      '  steps:\n    - name: a\n      command: ["true"]\n',
    );
    await writeJob(
      path.join(server.work, 'bad/b-bad.yaml'),
      'bad',
      '  timout: 5m\n  steps:\n    - name: a\n      command: ["true"]\n',
    );

    const result = await server.cli(['apply', '-f', 'bad']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^baton: nothing was applied/);
    expect(result.stderr).toMatch(/^bad\/b-bad\.yaml:7:3: spec\.timout: .*did you mean "timeout"/m);
    expect(await jobRevision('would-be-new')).toBeUndefined();
    expect(await jobRevision('bad')).toBeUndefined();
  });

  it('prints what it accepted with a warning to stderr as file:line:column, and exits 0', async () => {
    await fs.mkdir(path.join(server.work, 'slos'), { recursive: true });
    await fs.writeFile(
      path.join(server.work, 'slos/checkout.yaml'),
      `- apiVersion: openslo/v1
  kind: Service
  metadata: {name: checkout, annotations: {baton.dev/owner: shop}}
  spec: {}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: orders}
  spec:
    service: checkout
    indicator:
      spec:
        ratioMetric:
          good: {metricSource: {type: Pushed}}
          total: {metricSource: {type: Pushed}}
    timeWindow: [{duration: 7d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives:
      - op: gte
        target: 0.99
`,
    );
    const result = await server.cli(['apply', '-f', 'slos']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'openslo/v1 service checkout created\nopenslo/v1 slo checkout/orders created\n',
    );
    expect(result.stderr).toMatch(
      /^warning: slos\/checkout\.yaml:18:13: \[1\]\.spec\.objectives\[0\]\.op: op and value apply to threshold metrics/m,
    );
  });

  it('names a file that does not exist, with exit code 2', async () => {
    const result = await server.cli(['apply', '-f', 'no/such/dir']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'baton: cannot read no/such/dir: no such file or directory\n',
    });
  });
});

describe('baton run', () => {
  let helloId: number;

  it('with --follow streams the log, stdout to stdout and stderr to stderr, and exits 0', async () => {
    const result = await server.cli(['run', 'cli/hello', '-o', 'name=you', '--follow']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('hi there, you\n');
    expect(result.stdout).not.toContain('to stderr');
    expect(result.stderr).toMatch(/^execution \d+ (queued|running)$/m);
    expect(result.stderr).toContain('to stderr\n');
    expect(result.stderr).toContain('[baton] execution succeeded');
    helloId = executionId(result.stderr);
  });

  it('without --follow prints the execution id and state', async () => {
    const result = await server.cli(['run', 'cli/hello']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^execution \d+ (queued|running)\n$/);
  });

  it('sends a repeated -o as a list', async () => {
    const result = await server.cli(['run', 'cli/hello', '-o', 'tags=a', '-o', 'tags=b c', '--follow']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tags: ["a","b c"]\n');
  });

  it('rerun repeats an execution with the same options and exits with its outcome', async () => {
    const first = await server.cli(['run', 'cli/hello', '-o', 'name=again', '-o', 'tags=x', '--follow']);
    const firstId = executionId(first.stderr);
    const result = await server.cli(['rerun', String(firstId), '--follow']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^execution \\d+ (queued|running) \\(a rerun of ${firstId}\\)$`, 'm'),
    );
    expect(result.stdout).toContain('hi there, again\n');
    expect(result.stdout).toContain('tags: ["x"]\n');
    expect(executionId(result.stderr)).toBeGreaterThan(firstId);
  });

  it('rerun refuses, in one line, an execution whose option held a secret (shown as *****)', async () => {
    const api = (method: 'PUT' | 'POST', url: string, payload: Record<string, unknown>) =>
      server.baton.http.inject({ method, url, payload, headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await api('PUT', '/api/v1/secrets/cli/pw', { value: 'cli-secret-value-9' })).statusCode).toBe(
      200,
    );
    const yaml = `apiVersion: baton/v1\nkind: Job\nmetadata: {name: masked, project: cli}\nspec:
  options: [{name: target, type: string}]
  secrets: [{path: cli/pw, env: PW}]
  steps: [{name: main, script: "true"}]
`;
    expect(
      (await api('POST', '/api/v1/apply', { files: [{ name: 'masked.yaml', content: yaml }] })).statusCode,
    ).toBe(200);
    const first = await api('POST', '/api/v1/jobs/cli/masked/executions', {
      options: { target: 'cli-secret-value-9' },
    });
    const firstId = (first.json() as { execution: { id: number } }).execution.id;
    const result = await server.cli(['rerun', String(firstId)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(`option target of execution ${firstId} held a secret and is shown as *****`),
    ]);
    expect(result.stderr).not.toContain('cli-secret-value-9');
  });

  it('job shows the options, steps and numbers of one job, and --yaml the definition as applied', async () => {
    const shown = await server.cli(['job', 'cli/typed']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^cli\/typed {2}revision \d+, applied by admin$/m);
    expect(shown.stdout).toMatch(/^OPTION +TYPE +REQUIRED +DEFAULT +DESCRIPTION$/m);
    expect(shown.stdout).toMatch(/^count +integer +yes$/m);
    expect(shown.stdout).toContain('steps: echo\n');
    const yaml = await server.cli(['job', 'cli/typed', '--yaml']);
    expect(yaml.stdout).toBe(await fs.readFile(path.join(server.work, 'jobs/typed.yaml'), 'utf8'));
    const missing = await server.cli(['job', 'cli/nope']);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 when the execution fails', async () => {
    const result = await server.cli(['run', 'cli/fail', '--follow']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('about to fail');
    expect(result.stderr).toContain('[baton] execution failed');
  });

  it('rejects a wrong option value with exit 2, naming the option, and queues nothing', async () => {
    const before = await server.cli(['executions', '--job', 'cli/typed', '--output', 'json']);
    const result = await server.cli(['run', 'cli/typed', '-o', 'count=9', '-o', 'cont=1']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^baton: invalid options: /);
    expect(result.stderr).toMatch(/^options\.count: .*between 1 and 5/m);
    expect(result.stderr).toMatch(/^options\.cont: unknown option \(did you mean "count"\?\)/m);
    const after = await server.cli(['executions', '--job', 'cli/typed', '--output', 'json']);
    expect(after.stdout).toBe(before.stdout);
  });

  it('passes an option value that looks like shell code to the job as data, printed literally', async () => {
    // Not `rm -rf ~`: were the value ever run, this test must not be able to do harm.
    const marker = path.join(server.dir, 'injected');
    const canary = path.join(server.dir, 'canary');
    await fs.mkdir(canary);
    const value = `$(touch ${marker}); rm -rf ${canary}`;
    const result = await server.cli(['run', 'cli/hello', '-o', `name=${value}`, '--follow']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`hi there, ${value}\n`);
    await expect(fs.access(marker)).rejects.toThrow();
    await expect(fs.access(canary)).resolves.toBeUndefined();
  });

  it('rejects a job reference without a project as a usage error', async () => {
    const result = await server.cli(['run', 'hello']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^baton: .*PROJECT\/JOB/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--follow resumes a dropped log stream with Last-Event-ID, without losing or repeating lines', async () => {
    const proxy = await startDroppingProxy(new URL(server.url).port, 2, (drop) =>
      fs.writeFile(path.join(server.work, 'ticker-gates', String(drop)), ''),
    );
    try {
      const result = await server.cli(['run', 'cli/ticker', '--follow'], { env: { BATON_URL: proxy.url } });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('tick 1\ntick 2\ntick 3\n');
      expect(result.stderr.match(/\[baton\] execution succeeded/g)).toHaveLength(1);
      expect(proxy.streamRequests.length).toBeGreaterThanOrEqual(3);
      expect(proxy.streamRequests[0]).not.toMatch(/last-event-id/i);
      expect(proxy.streamRequests[1]).toMatch(/^last-event-id: \d+\r$/im);
    } finally {
      await proxy.close();
    }
  });

  it('logs prints the stored log of an execution', async () => {
    const result = await server.cli(['logs', String(helloId)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hi there, you\ntags: \n');
    expect(result.stderr).toContain('to stderr\n');
    expect(result.stderr).toContain('[baton] execution succeeded');
  });

  it('Ctrl-C stops following with exit 130 and leaves the execution running', async () => {
    const follower = server.start(['run', 'cli/sleep', '--follow']);
    const outcome = finished(follower);
    const [stderr] = await Promise.all([
      waitForText(follower, 'stderr', /execution \d+ \w+/),
      waitForText(follower, 'stdout', /started/),
    ]);
    const id = executionId(stderr);
    follower.kill('SIGINT');
    const result = await outcome;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain(`baton: stopped following; execution ${id} keeps running`);
    expect(result.stderr).toContain(`baton cancel ${id}`);
    const shown = await server.cli(['execution', String(id), '--output', 'json']);
    expect((JSON.parse(shown.stdout) as { execution: { state: string } }).execution.state).toBe('running');
    expect((await server.cli(['cancel', String(id)])).code).toBe(0);
  });

  it('cancel ends a running execution and the follower exits 130', async () => {
    const follower = server.start(['run', 'cli/sleep', '--follow']);
    const outcome = finished(follower);
    const [stderr] = await Promise.all([
      waitForText(follower, 'stderr', /execution \d+ \w+/),
      waitForText(follower, 'stdout', /started/),
    ]);
    const id = executionId(stderr);
    try {
      const cancel = await server.cli(['cancel', String(id)]);
      expect(cancel.code).toBe(0);
      expect(cancel.stdout).toBe(`cancel requested for execution ${id} (running)\n`);
      const result = await outcome;
      expect(result.code).toBe(130);
      expect(result.stderr).toContain('[baton] execution cancelled');
    } finally {
      follower.kill();
    }
    const shown = await server.cli(['execution', String(id)]);
    expect(shown.stdout).toMatch(/state:\s+cancelled/);
    const again = await server.cli(['cancel', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^baton: execution \d+ has already finished \(cancelled\)\n$/);
  });
});

describe('listings', () => {
  it('executions --output json prints the API answer', async () => {
    const result = await server.cli(['executions', '--output', 'json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { executions: { job: string }[] };
    expect(parsed.executions.length).toBeGreaterThan(0);
    expect(parsed.executions[0]).toHaveProperty('job');
  });

  it('executions and jobs print aligned tables', async () => {
    const executions = await server.cli(['executions', '--job', 'cli/fail']);
    expect(executions.code).toBe(0);
    const [header, row] = executions.stdout.split('\n');
    expect(header).toMatch(/^ID\s+JOB\s+STATE\s+USER\s+QUEUED\s+DURATION\s+EXIT$/);
    expect(row).toMatch(/^\d+\s+cli\/fail\s+failed\s+admin\s/);
    expect(row!.indexOf('cli/fail')).toBe(header!.indexOf('JOB'));

    const jobs = await server.cli(['jobs', '--project', 'cli']);
    expect(jobs.stdout).toMatch(/^PROJECT\/NAME\s+DESCRIPTION\s+OPTIONS\s+REVISION\s+LAST\s+SUCCESS$/m);
    expect(jobs.stdout).toMatch(/^cli\/hello\s+name,tags\s+2\s+succeeded \S+ ago\s+100%$/m);
  });
});

describe('failures', () => {
  it('exits 3 with a wrong token', async () => {
    const result = await server.cli(['jobs'], { env: { BATON_TOKEN: 'wrong' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^baton: not authenticated: .*\n$/);
  });

  it('exits 3 and says how to sign in without a token', async () => {
    const result = await server.cli(['jobs'], { env: { BATON_TOKEN: undefined } });
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: 'baton: not authenticated: set BATON_TOKEN or run baton login\n',
    });
  });

  it('exits 4 for an execution that does not exist', async () => {
    const result = await server.cli(['execution', '999999']);
    expect(result).toEqual({ code: 4, stdout: '', stderr: 'baton: execution 999999 not found\n' });
  });

  it('exits 5 when the server cannot be reached', async () => {
    const port = await freePort();
    const result = await server.cli(['jobs'], { env: { BATON_URL: `http://127.0.0.1:${port}` } });
    expect(result).toEqual({
      code: 5,
      stdout: '',
      stderr: `baton: cannot reach Baton at http://127.0.0.1:${port}: connection refused\n`,
    });
  });

  it('exits 2 on a usage error, in one line', async () => {
    const result = await server.cli(['execution', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^baton: .*execution id.*\n$/);
  });
});

describe('baton login', () => {
  it('saves URL and token readable only by the user, and later commands need no BATON_TOKEN', async () => {
    const env = { BATON_TOKEN: undefined, BATON_URL: undefined, HOME: path.join(server.dir, 'login-home') };
    const login = await server.cli(['login', '--url', server.url, '--token-stdin'], {
      env,
      input: `${TOKEN}\n`,
    });
    expect(login).toMatchObject({ code: 0, stdout: `logged in to ${server.url} as admin\n` });

    const file = path.join(server.dir, 'login-home/.config/baton/config.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ url: server.url, token: TOKEN });

    const jobs = await server.cli(['jobs', '--output', 'json'], { env });
    expect(jobs.code).toBe(0);
    expect((JSON.parse(jobs.stdout) as { jobs: unknown[] }).jobs.length).toBeGreaterThan(0);
  });

  it('refuses a wrong token and saves nothing', async () => {
    const env = { BATON_TOKEN: undefined, HOME: path.join(server.dir, 'bad-login-home') };
    const login = await server.cli(['login', '--token-stdin'], { env, input: 'wrong\n' });
    expect(login.code).toBe(3);
    await expect(
      fs.access(path.join(server.dir, 'bad-login-home/.config/baton/config.json')),
    ).rejects.toThrow();
  });
});

/**
 * A TCP proxy in front of Baton that cuts the first `drops` log streams right after they
 * delivered a batch of lines, as a flaky network or a restarting load balancer would.
 */
async function startDroppingProxy(
  port: string,
  drops: number,
  onDrop: (drop: number) => Promise<void> = async () => {},
): Promise<{ url: string; streamRequests: string[]; close(): Promise<void> }> {
  const streamRequests: string[] = [];
  const sockets = new Set<net.Socket>();
  let dropsLeft = drops;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), '127.0.0.1');
    sockets.add(client).add(upstream);
    let streaming = false;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      // fetch keeps connections alive: any request on this connection may be the stream.
      if (text.includes('/log/stream')) {
        streaming = true;
        streamRequests.push(text);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (streaming && dropsLeft > 0 && chunk.toString('latin1').includes('event: lines')) {
        dropsLeft--;
        client.destroy();
        upstream.destroy();
        void onDrop(drops - dropsLeft);
      }
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(socket);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    streamRequests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('baton usage', () => {
  it('prints runs, success and run times by job and person for the jobs the caller may see', async () => {
    const result = await server.cli(['usage', '--job', 'cli/hello']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: \d+ executions, success \d+%/);
    expect(result.stdout).toMatch(/^JOB +RUNS +SUCCESS +P50 +P95$/m);
    expect(result.stdout).toMatch(/^cli\/hello +\d+ +100% +\S+ +\S+$/m);
    expect(result.stdout).toMatch(/^admin +\d+ +100%/m);
    expect(result.stdout).not.toContain('cli/fail');
  });

  it('refuses a time it cannot read with exit 2, naming the field', async () => {
    const result = await server.cli(['usage', '--since', 'last tuesday']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^baton: /);
    expect(result.stderr).toMatch(/since/);
  });
});
