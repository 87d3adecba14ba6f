/**
 * The execution engine end to end, on both databases: real worker, real child processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { listSteps } from '../executions/store.js';
import { InputError } from '../../platform/errors.js';

function job(name: string, spec: string): string {
  return `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: engine}
spec:
${spec.replace(/^/gm, '  ')}
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0) until reaped by its parent; it is not running.
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitForFile(file: string): Promise<string> {
  for (;;) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (text.trim()) return text;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(DIALECTS)('execution engine on %s', (dialect) => {
  let baton: TestBaton;
  let scratch: string;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { workerConcurrency: 6, logCapBytes: 1024 * 1024 });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-engine-'));
  });
  afterAll(async () => {
    await baton?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('runs steps in any language and records each step with its exit code', async () => {
    await baton.applyYaml(
      job(
        'languages',
        `steps:
  - name: shebang
    script: |
      #!/usr/bin/env bash
      echo "bash says $BATON_JOB in $BATON_PROJECT for $BATON_USER"
  - name: python
    interpreter: python3
    script: print("python says", 6 * 7)
  - name: argv
    command: [printf, '%s|', one, 'two words']`,
      ),
    );
    const execution = await baton.run('engine/languages');
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('succeeded');
    const text = await baton.logText(execution.id);
    expect(text).toContain('bash says languages in engine for admin');
    expect(text).toContain('python says 42');
    expect(text).toContain('one|two words|');
    const steps = await listSteps(baton.db, execution.id);
    expect(steps.map((step) => [step.name, step.state, step.exitCode])).toEqual([
      ['shebang', 'succeeded', 0],
      ['python', 'succeeded', 0],
      ['argv', 'succeeded', 0],
    ]);
  });

  it('passes options only as environment variables, so a hostile value stays inert', async () => {
    const marker = path.join(scratch, 'pwned');
    await baton.applyYaml(
      job(
        'inert',
        `options:
  - {name: message, type: string}
  - {name: hosts, type: list, items: string}
  - {name: dry_run, type: boolean, default: true}
steps:
  - name: echo
    script: |
      echo "message=$BATON_OPTION_MESSAGE"
      echo "hosts=$BATON_OPTION_HOSTS dry=$BATON_OPTION_DRY_RUN"`,
      ),
    );
    const hostile = `$(touch ${marker}); rm -rf ~ \`touch ${marker}\``;
    const execution = await baton.run('engine/inert', { message: hostile, hosts: ['a', 'b'] });
    expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    const text = await baton.logText(execution.id);
    expect(text).toContain(`message=${hostile}`);
    expect(text).toContain('hosts=["a","b"] dry=true');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('reports every invalid option at once, and queues nothing', async () => {
    await baton.applyYaml(
      job(
        'typed',
        `options:
  - {name: depth, type: integer, min: 1, max: 5}
  - {name: env, type: enum, values: [staging, prod], required: true}
  - {name: path, type: string, pattern: '^/'}
steps:
  - {name: noop, command: ['true']}`,
      ),
    );
    const before = (await baton.request('GET', '/api/v1/executions?job=engine/typed')).json().executions
      .length;
    const error = await baton
      .run('engine/typed', { depth: '9', path: 'relative', colour: 'red' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const paths = (error as InputError).problems.map((problem) => problem.path).sort();
    expect(paths).toEqual(['options.colour', 'options.depth', 'options.env', 'options.path']);
    const after = (await baton.request('GET', '/api/v1/executions?job=engine/typed')).json().executions
      .length;
    expect(after).toBe(before);
  });

  it('goes on after a continueOnError step or a successful error handler, and fails when the handler fails', async () => {
    await baton.applyYaml(
      job(
        'handlers',
        `options: [{name: handler_exit, type: integer, default: 0}]
steps:
  - {name: allowed-to-fail, script: 'exit 3', continueOnError: true}
  - name: handled
    script: exit 4
    errorHandler:
      script: 'echo "handling $BATON_FAILED_STEP which exited $BATON_FAILED_EXIT_CODE"; exit $BATON_OPTION_HANDLER_EXIT'
  - {name: last, script: echo reached the end}`,
      ),
    );
    const ok = await baton.waitFor((await baton.run('engine/handlers')).id);
    expect(ok.state).toBe('succeeded');
    expect(await baton.logText(ok.id)).toEqual(
      expect.arrayContaining(['handling handled which exited 4', 'reached the end']),
    );
    const steps = await listSteps(baton.db, ok.id);
    expect(steps.map((step) => [step.state, step.exitCode, step.handlerState])).toEqual([
      ['failed', 3, null],
      ['failed', 4, 'succeeded'],
      ['succeeded', 0, null],
    ]);

    const failed = await baton.waitFor((await baton.run('engine/handlers', { handler_exit: 1 })).id);
    expect(failed.state).toBe('failed');
    expect(failed.exitCode).toBe(4);
    expect((await listSteps(baton.db, failed.id)).map((step) => step.state)).toEqual([
      'failed',
      'failed',
      'skipped',
    ]);
  });

  it('ends the whole process tree on cancel, including background and setsid grandchildren', async () => {
    const pids = path.join(scratch, 'cancel-pids');
    await baton.applyYaml(
      job(
        'tree',
        `options: [{name: pids, type: string}]
steps:
  - name: spawn-and-wait
    script: |
      sleep 300 &
      echo $! > "$BATON_OPTION_PIDS.tmp"
      setsid sleep 300 &
      echo $! >> "$BATON_OPTION_PIDS.tmp"
      echo $$ >> "$BATON_OPTION_PIDS.tmp"
      mv "$BATON_OPTION_PIDS.tmp" "$BATON_OPTION_PIDS"
      sleep 300`,
      ),
    );
    const execution = await baton.run('engine/tree', { pids });
    const started = (await waitForFile(pids)).trim().split('\n').map(Number);
    expect(started).toHaveLength(3);
    expect(started.every(alive)).toBe(true);
    await baton.executions.cancel(
      { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' },
      execution.id,
    );
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('cancelled');
    expect(done.reason).toContain('cancelled by admin');
    expect(started.filter(alive)).toEqual([]);
  });

  it('times out a step and the whole execution, leaving no process behind', async () => {
    const pids = path.join(scratch, 'timeout-pids');
    await baton.applyYaml(
      job(
        'slow',
        `options: [{name: pids, type: string}]
timeout: 1500ms
steps:
  - name: trap-and-wait
    script: |
      trap '' TERM
      sleep 300 &
      echo $! > "$BATON_OPTION_PIDS"
      sleep 300`,
      ),
    );
    const execution = await baton.run('engine/slow', { pids });
    const grandchild = Number((await waitForFile(pids)).trim());
    const done = await baton.waitFor(execution.id);
    expect(done.state).toBe('timed_out');
    expect(done.reason).toContain('timed out after');
    expect(alive(grandchild)).toBe(false);

    await baton.applyYaml(
      job(
        'step-timeout',
        `steps:
  - {name: too-slow, script: sleep 300, timeout: 500ms}
  - {name: never, script: echo never}`,
      ),
    );
    const stepTimeout = await baton.waitFor((await baton.run('engine/step-timeout')).id);
    expect(stepTimeout.state).toBe('timed_out');
    expect((await listSteps(baton.db, stepTimeout.id)).map((step) => step.state)).toEqual([
      'timed_out',
      'skipped',
    ]);
  });

  it('keeps timeouts longer than a Node timer holds (30d, 400d) instead of firing them at once', async () => {
    // Node turns a delay of 2^31 ms (24.9 days) or more into 1 ms: such a job "timed out" at once.
    await baton.applyYaml(
      job(
        'long-timeouts',
        `timeout: 30d
steps:
  - {name: short, script: 'sleep 0.3; echo done', timeout: 400d}
  - {name: handled, script: 'exit 3', timeout: 30d, errorHandler: {script: 'sleep 0.3', timeout: 400d}}`,
      ),
    );
    const done = await baton.waitFor((await baton.run('engine/long-timeouts')).id);
    expect(done.reason).toBeNull();
    expect(done.state).toBe('succeeded');
    expect((await listSteps(baton.db, done.id)).map((step) => [step.state, step.handlerState])).toEqual([
      ['succeeded', null],
      ['failed', 'succeeded'],
    ]);
  });

  it('retries a failed execution as linked attempts, each with its own log', async () => {
    const counter = path.join(scratch, 'attempts');
    await baton.applyYaml(
      job(
        'flaky',
        `options: [{name: counter, type: string}]
retries: {count: 2, backoff: 100ms}
steps:
  - name: fail-twice
    script: |
      echo x >> "$BATON_OPTION_COUNTER"
      n=$(wc -l < "$BATON_OPTION_COUNTER")
      echo "attempt $n"
      [ "$n" -ge 3 ]`,
      ),
    );
    const first = await baton.run('engine/flaky', { counter });
    expect((await baton.waitFor(first.id)).state).toBe('failed');
    const detail = await baton.request('GET', `/api/v1/executions/${first.id}`);
    let attempts = detail.json().execution.attempts as { id: number; attempt: number; state: string }[];
    // Wait for the chain to finish: the third attempt succeeds.
    for (;;) {
      attempts = (await baton.request('GET', `/api/v1/executions/${first.id}`)).json().execution.attempts;
      const last = attempts.at(-1)!;
      if (attempts.length === 3 && ['succeeded', 'failed'].includes(last.state)) break;
      if (last.id !== first.id) await baton.waitFor(last.id);
    }
    expect(attempts.map((attempt) => [attempt.attempt, attempt.state])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    for (const [index, attempt] of attempts.entries()) {
      expect(await baton.logText(attempt.id)).toContain(`attempt ${index + 1}`);
    }
  });

  it('queues executions beyond a concurrency limit per key, in order, and never rejects them', async () => {
    const trace = path.join(scratch, 'concurrency');
    await baton.applyYaml(
      job(
        'one-at-a-time',
        `options:
  - {name: env, type: enum, values: [staging, prod]}
  - {name: trace, type: string}
  - {name: label, type: string}
concurrency: {limit: 1, key: env}
steps:
  - name: critical-section
    script: |
      echo "start $BATON_OPTION_ENV $BATON_OPTION_LABEL" >> "$BATON_OPTION_TRACE"
      sleep 0.3
      echo "end $BATON_OPTION_ENV $BATON_OPTION_LABEL" >> "$BATON_OPTION_TRACE"`,
      ),
    );
    const runs = [];
    for (const label of ['1', '2', '3'])
      runs.push(await baton.run('engine/one-at-a-time', { env: 'prod', trace, label }));
    const staging = await baton.run('engine/one-at-a-time', { env: 'staging', trace, label: 's' });
    for (const execution of [...runs, staging])
      expect((await baton.waitFor(execution.id)).state).toBe('succeeded');
    const prod = fs
      .readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line.includes(' prod '));
    expect(prod).toEqual([
      'start prod 1',
      'end prod 1',
      'start prod 2',
      'end prod 2',
      'start prod 3',
      'end prod 3',
    ]);
  });

  it('runs another job as a step with options passed down, as a linked child execution', async () => {
    await baton.applyYaml(
      `${job(
        'child',
        `options:
  - {name: env, type: string}
  - {name: greeting, type: string, default: hi}
steps:
  - {name: say, script: 'echo "$BATON_OPTION_GREETING from child in $BATON_OPTION_ENV"'}`,
      )}---
${job(
  'parent',
  `options: [{name: env, type: string, default: staging}]
steps:
  - {name: before, script: echo parent starts}
  - {name: nested, job: engine/child, options: {greeting: hello}}`,
)}`,
    );
    const parent = await baton.waitFor((await baton.run('engine/parent')).id);
    expect(parent.state).toBe('succeeded');
    const steps = await listSteps(baton.db, parent.id);
    const childId = steps[1]!.childExecutionId!;
    expect(childId).toBeGreaterThan(0);
    const child = (await baton.request('GET', `/api/v1/executions/${childId}`)).json().execution;
    expect(child).toMatchObject({
      parentId: parent.id,
      state: 'succeeded',
      options: { env: 'staging', greeting: 'hello' },
    });
    expect(await baton.logText(childId)).toContain('hello from child in staging');
  });

  it('stops runaway nesting at the depth limit', async () => {
    const depth = baton.config.maxJobDepth;
    const chain = Array.from({ length: depth + 2 }, (_, level) =>
      job(
        `level-${level}`,
        level === depth + 1
          ? `steps: [{name: bottom, script: echo bottom}]`
          : `steps: [{name: down, job: engine/level-${level + 1}}]`,
      ),
    ).join('---\n');
    await baton.applyYaml(chain);
    const top = await baton.waitFor((await baton.run('engine/level-0')).id);
    expect(top.state).toBe('failed');
    const deepest = await baton.db
      .selectFrom('executions')
      .select(['id', 'depth', 'state'])
      .where('job_name', '=', `level-${depth}`)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(deepest).toMatchObject({ depth, state: 'failed' });
    expect(await baton.logText(deepest.id)).toEqual(
      expect.arrayContaining([expect.stringContaining(`job nesting is limited to ${depth} levels`)]),
    );
  });

  it('caps a flood of output with a visible marker while the step runs on to its end', async () => {
    await baton.applyYaml(
      job(
        'flood',
        `steps:
  - name: print-a-lot
    script: |
      head -c 50000000 /dev/zero | tr '\\0' 'x' | fold -w 100
      echo "still running after the flood" >&2
      exit 0`,
      ),
    );
    const done = await baton.waitFor((await baton.run('engine/flood')).id);
    expect(done.state).toBe('succeeded');
    expect(done.log.bytes).toBeLessThanOrEqual(baton.config.logCapBytes + 200);
    expect(done.log.discardedBytes).toBeGreaterThan(40_000_000);
    const text = await baton.logText(done.id);
    expect(text.some((line) => line.includes('log limit of 1 MB reached'))).toBe(true);
    expect(text.some((line) => /bytes .*were discarded/.test(line))).toBe(true);
  });

  it('recovers an execution whose worker lost its lease, so nothing stays running', async () => {
    await baton.applyYaml(job('orphan', `steps: [{name: s, script: 'true'}]`));
    const execution = await baton.run('engine/orphan', {});
    await baton.waitFor(execution.id);
    // Simulate a worker that claimed an execution and died: running, with a lease in the past.
    const orphan = await baton.run('engine/orphan', {});
    await baton.db
      .updateTable('executions')
      .set({
        state: 'running',
        lease_owner: 'dead-worker',
        lease_expires_at: Date.now() - 1000,
        started_at: Date.now(),
      })
      .where('id', '=', orphan.id)
      .where('state', '=', 'queued')
      .execute();
    const recovered = await baton.waitFor(orphan.id);
    if (recovered.reason?.startsWith('worker lost')) {
      expect(recovered.state).toBe('failed');
    } else {
      // The worker claimed it before the simulation could take it: it simply ran.
      expect(recovered.state).toBe('succeeded');
    }
  });
});
