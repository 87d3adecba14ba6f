/**
 * Nodes end to end against real OpenSSH servers: one sshd per node on a loopback port, each
 * with its own host key. A job fans out to the nodes its filter matches, one child execution
 * (log, steps, state) per node; unreachable nodes, wrong keys and changed host keys fail only
 * their own node; cancel and timeout end the remote process tree; secrets reach the remote step
 * but no argv; policies limit which nodes a requester may touch.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { startSshdFleet, type SshdFleet } from '../../../test/sshd.js';
import { eventually } from '../../../test/eventually.js';
import { ForbiddenError, InputError } from '../../platform/errors.js';
import { getExecution } from '../executions/store.js';
import { listNodeRuns } from './store.js';
import { sweepRemoteOrphans } from './remote-orphans.js';
import { silentLogger } from '../../platform/logging.js';
import { Metrics } from '../../platform/metrics.js';
import type { Execution } from '../executions/model.js';

const exec = promisify(execFile);

/** Whether any process on this machine has `text` in its command line. */
async function processWith(text: string): Promise<boolean> {
  const { stdout } = await exec('pgrep', ['-f', text]).catch(() => ({ stdout: '' }));
  return stdout.trim().length > 0;
}

/** Command lines of every process, to look for a secret in them. */
async function allCommandLines(): Promise<string> {
  const lines: string[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push((await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines.join('\n');
}

function nodeYaml(name: string, spec: Record<string, unknown>): string {
  return `---
apiVersion: baton/v1
kind: Node
metadata: {name: ${name}}
spec: ${JSON.stringify({ user: 'root', key: 'ssh/client', hostname: '127.0.0.1', ...spec })}
`;
}

describe.each(DIALECTS)('nodes over SSH on %s', (dialect) => {
  let baton: TestBaton;
  let fleet: SshdFleet;
  let work: string;

  beforeAll(async () => {
    fleet = await startSshdFleet(4);
    baton = await startTestBaton(dialect, { killGraceMs: 1000 });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-nodes-test-'));
    await baton.secrets.set(admin, 'ssh/client', { value: fleet.clientKey });
    await baton.secrets.set(admin, 'ssh/stranger', { value: fleet.strangerKey });
    await baton.secrets.set(admin, 'app/token', { value: 'tok-9f8e7d6c5b4a' });
    const [a, b, c, d] = fleet.servers;
    await baton.applyYaml(
      [
        nodeYaml('web-1', { port: a!.port, hostKey: a!.hostKey, tags: ['web'], attributes: { env: 'prod' } }),
        nodeYaml('web-2', {
          port: b!.port,
          hostKey: b!.hostKey,
          tags: ['web'],
          attributes: { env: 'staging' },
        }),
        nodeYaml('db-1', { port: c!.port, hostKey: c!.hostKey, tags: ['db'], attributes: { env: 'prod' } }),
        nodeYaml('tofu-1', { port: d!.port, trustOnFirstUse: true, tags: ['tofu'] }),
        nodeYaml('down-1', { port: fleet.closedPort, hostKey: a!.hostKey, tags: ['broken'] }),
        nodeYaml('wrongkey-1', { port: a!.port, hostKey: a!.hostKey, tags: ['broken'], key: 'ssh/stranger' }),
        nodeYaml('mismatch-1', { port: b!.port, hostKey: a!.hostKey, tags: ['mismatch'] }),
        nodeYaml('unpinned-1', { port: b!.port, tags: ['unpinned'] }),
      ].join(''),
      'nodes.yaml',
    );
    await baton.applyYaml(`
apiVersion: baton/v1
kind: Job
metadata: {name: hello, project: ops}
spec:
  options: [{name: greeting, type: string, default: hi}]
  secrets: [{path: app/token, env: APP_TOKEN}, {path: app/token, file: token.txt}]
  nodes: {tags: [web], parallelism: 2}
  steps:
    - {name: greet, script: 'echo "$BATON_OPTION_GREETING from $BATON_NODE at $BATON_NODE_HOSTNAME"; echo "token:$APP_TOKEN"; test "$(cat "$BATON_SECRETS_DIR/token.txt")" = "$APP_TOKEN" && echo file-ok'}
    - {name: second, command: [sh, -c, 'echo second on $BATON_NODE']}
---
apiVersion: baton/v1
kind: Job
metadata: {name: adhoc, project: ops}
spec:
  options:
    - {name: marker, type: string, default: none}
    - {name: count, type: string, default: none}
    - {name: together, type: string, default: '0'}
  steps:
    - name: main
      script: |
        # With a count directory (on this machine, shared by every node's sshd), each step adds
        # itself to a flock-protected count of the steps running now and records every count it
        # sees. With together=N, steps also meet at a barrier in groups of N: the k-th to arrive
        # waits until ceil(k/N)*N have arrived, so a group can only finish if N ran at once.
        # The wait is bounded (30 s, well under the test's 60 s) and fails loudly instead of hanging.
        if [ "$BATON_OPTION_COUNT" != none ]; then
          dir=$BATON_OPTION_COUNT
          mkdir -p "$dir/arrived"
          k=$( ( flock 9
            n=$(($(cat "$dir/now" 2>/dev/null || echo 0)+1)); echo $n > "$dir/now"; echo $n >> "$dir/seen"
            touch "$dir/arrived/$BATON_NODE"; ls "$dir/arrived" | wc -l ) 9>"$dir/lock" )
          if [ "$BATON_OPTION_TOGETHER" -gt 0 ]; then
            want=$(( (k + BATON_OPTION_TOGETHER - 1) / BATON_OPTION_TOGETHER * BATON_OPTION_TOGETHER ))
            deadline=$((SECONDS + 30))
            while [ "$(ls "$dir/arrived" | wc -l)" -lt "$want" ]; do
              if [ $SECONDS -ge $deadline ]; then
                echo "barrier: $BATON_NODE waited 30 s for $want steps at once, $(ls "$dir/arrived" | wc -l) arrived" >&2
                exit 4
              fi
              sleep 0.05
            done
          fi
          ( flock 9; n=$(($(cat "$dir/now")-1)); echo $n > "$dir/now" ) 9>"$dir/lock"
        fi
        echo "ran on $BATON_NODE"
        if [ "$BATON_OPTION_MARKER" = "fail-$BATON_NODE" ]; then exit 3; fi
---
apiVersion: baton/v1
kind: Job
metadata: {name: sleeper, project: ops}
spec:
  options: [{name: marker, type: string, required: true}]
  steps:
    - {name: sleep, script: 'sh -c "sleep 300 & sleep 300; : $BATON_OPTION_MARKER" & wait'}
---
apiVersion: baton/v1
kind: Job
metadata: {name: leaver, project: ops}
spec:
  options: [{name: marker, type: string, required: true}]
  steps:
    - {name: leave, script: 'sh -c "sleep 300; : $BATON_OPTION_MARKER" & echo left a sleeper behind'}
---
apiVersion: baton/v1
kind: Job
metadata: {name: slow-step, project: ops}
spec:
  options: [{name: marker, type: string, required: true}]
  nodes: {name: web-1}
  steps:
    - {name: sleep, timeout: 1s, script: 'sh -c "sleep 300 & sleep 300; : $BATON_OPTION_MARKER" & wait'}
`);
  }, 120_000);
  afterAll(async () => {
    await baton?.stop();
    await fleet?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  const children = async (parent: Execution) => listNodeRuns(baton.db, parent.id);

  it('runs the steps on every node the job matches, each with its own log', async () => {
    const queued = await baton.run('ops/hello', { greeting: 'hello' });
    expect(queued.nodes).toEqual(['web-1', 'web-2']);
    const parent = await baton.waitFor(queued.id);
    expect(parent.state, parent.reason ?? '').toBe('succeeded');
    const runs = await children(parent);
    expect(runs.map((run) => [run.node, run.state])).toEqual([
      ['web-1', 'succeeded'],
      ['web-2', 'succeeded'],
    ]);
    for (const run of runs) {
      const log = (await baton.logText(run.executionId)).join('\n');
      expect(log).toContain(`hello from ${run.node} at 127.0.0.1`);
      expect(log).toContain(`second on ${run.node}`);
      expect(log).toContain('file-ok');
      // The secret reached the step and was masked in its log.
      expect(log).not.toContain('tok-9f8e7d6c5b4a');
      expect(log).toContain('token:');
    }
    const other = runs[0]!.node === 'web-1' ? runs[1]! : runs[0]!;
    expect((await baton.logText(runs[0]!.executionId)).join('\n')).not.toContain(`hello from ${other.node}`);
    const parentLog = (await baton.logText(parent.id)).join('\n');
    expect(parentLog).toContain('node web-1: succeeded');
    expect(parentLog).toContain('node web-2: succeeded');
    // The API shows each node's execution on the parent, and the node on each child.
    const detail = (await baton.request('GET', `/api/v1/executions/${parent.id}`)).json();
    expect(detail.execution.nodeRuns.map((run: { node: string }) => run.node)).toEqual(['web-1', 'web-2']);
    expect(detail.execution.nodes).toEqual(['web-1', 'web-2']);
    for (const run of detail.execution.nodeRuns) {
      expect(Date.parse(run.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
    }
    const child = (await baton.request('GET', `/api/v1/executions/${runs[0]!.executionId}`)).json();
    expect(child.execution.node).toBe(runs[0]!.node);
    expect(child.execution.parentId).toBe(parent.id);

    // Listings show the run once, as its parent; its per-node executions on request.
    const listed = async (query: string) =>
      (
        (await baton.request('GET', `/api/v1/executions?job=ops/hello${query}`)).json()
          .executions as Execution[]
      ).map((execution) => execution.id);
    expect(await listed('')).toEqual([parent.id]);
    expect(await listed('&nodeRuns=true')).toEqual(
      [parent.id, ...runs.map((run) => run.executionId)].sort((a, b) => b - a),
    );

    // The job's statistics and usage count the run once, as its parent, not once per node.
    const job = (await baton.request('GET', '/api/v1/jobs/ops/hello')).json().job;
    expect(job.lastExecution.id).toBe(parent.id);
    expect(job.stats.executions).toBe(1);
    const usage = (await baton.request('GET', '/api/v1/usage?job=ops/hello')).json();
    expect(
      usage.byJob.map((entry: { project: string; job: string; executions: number }) => [
        `${entry.project}/${entry.job}`,
        entry.executions,
      ]),
    ).toEqual([['ops/hello', 1]]);
  });

  it('keeps at most `parallelism` nodes running at once', async () => {
    const counter = path.join(work, 'parallel');
    await fs.mkdir(counter);
    const queued = await baton.executions.run(
      admin,
      'ops',
      'adhoc',
      { count: counter, together: '2' },
      { nodes: 'name=web-1,web-2,db-1,tofu-1 parallelism=2' },
    );
    const parent = await baton.waitFor(queued.id);
    // Succeeding proves two ran at once: each pair of steps waits at the barrier for the other.
    expect(parent.state, parent.reason ?? '').toBe('succeeded');
    const seen = (await fs.readFile(path.join(counter, 'seen'), 'utf8')).trim().split('\n').map(Number);
    expect(seen).toHaveLength(4);
    // The counter never went past the limit (and reached it, since both of a pair count in
    // before either leaves the barrier).
    expect(Math.max(...seen)).toBe(2);
  });

  it('fails only the unreachable node and the one whose key is refused (keepGoing)', async () => {
    const queued = await baton.executions.run(
      admin,
      'ops',
      'adhoc',
      {},
      { nodes: { name: ['web-1', 'down-1', 'wrongkey-1', 'db-1'], keepGoing: true } },
    );
    const parent = await baton.waitFor(queued.id);
    expect(parent.state).toBe('failed');
    const runs = Object.fromEntries((await children(parent)).map((run) => [run.node, run]));
    expect(runs['web-1']!.state).toBe('succeeded');
    expect(runs['db-1']!.state).toBe('succeeded');
    expect(runs['down-1']!.state).toBe('failed');
    expect(runs['down-1']!.reason).toBe(`ssh: connection refused to 127.0.0.1:${fleet.closedPort}`);
    expect(runs['wrongkey-1']!.state).toBe('failed');
    expect(runs['wrongkey-1']!.reason).toMatch(/^ssh: authentication failed for root@127\.0\.0\.1:\d+/);
    expect(parent.reason).toMatch(
      /^2 of 4 nodes failed: down-1 \(ssh: connection refused .*\), wrongkey-1 \(ssh: authentication failed/,
    );
  });

  it('starts no further node after a failure without keepGoing', async () => {
    const queued = await baton.executions.run(
      admin,
      'ops',
      'adhoc',
      { marker: 'fail-db-1' },
      { nodes: 'name=web-*,db-1 parallelism=1' },
    );
    const parent = await baton.waitFor(queued.id);
    expect(parent.state).toBe('failed');
    // Nodes start in name order.
    const runs = await children(parent);
    expect(runs.map((run) => run.node)).toEqual(['db-1']);
    expect(parent.reason).toBe(
      '1 of 3 nodes failed: db-1 (step "main" failed: exit code 3); 2 not started (keepGoing is false): web-1, web-2',
    );
  });

  it('refuses a node whose host key differs from the pinned one, or is not pinned at all', async () => {
    const queued = await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=mismatch' });
    const parent = await baton.waitFor(queued.id);
    const [run] = await children(parent);
    expect(run!.reason).toMatch(
      /^ssh: host key mismatch for mismatch-1 \(127\.0\.0\.1:\d+\): expected SHA256:\S+, got ssh-ed25519 SHA256:\S+$/,
    );
    const unpinned = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=unpinned' })).id,
    );
    const [refused] = await children(unpinned);
    expect(refused!.reason).toContain('is not pinned');
    expect(refused!.reason).toContain(`ssh-keyscan -p ${fleet.servers[1]!.port} 127.0.0.1`);
  });

  it('pins the first host key of a trustOnFirstUse node, then refuses a changed one', async () => {
    const first = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=tofu' })).id,
    );
    expect(first.state, first.reason ?? '').toBe('succeeded');
    const pinned = await baton.db
      .selectFrom('node_host_keys')
      .selectAll()
      .where('node', '=', 'tofu-1')
      .executeTakeFirst();
    expect(pinned?.host_key).toBe(fleet.servers[3]!.hostKey);
    const again = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=tofu' })).id,
    );
    expect(again.state).toBe('succeeded');
    await fleet.servers[3]!.rekey();
    const changed = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=tofu' })).id,
    );
    expect(changed.state).toBe('failed');
    const [run] = await children(changed);
    expect(run!.reason).toContain(`expected ${pinned!.fingerprint} (pinned on first use)`);
    expect(run!.reason).toContain('baton nodes forget-host-key tofu-1');

    // The operator confirms the re-keying: forgetting the old key is audited, and the next run pins the new one.
    const listed = (await baton.request('GET', '/api/v1/nodes?filter=tags=tofu')).json().nodes[0];
    expect(listed.learnedHostKey).toMatchObject({ fingerprint: pinned!.fingerprint });
    expect(Date.parse(listed.learnedHostKey.pinnedAt)).toBe(Number(pinned!.pinned_at));
    const forgotten = await baton.request('DELETE', '/api/v1/nodes/tofu-1/learned-host-key');
    expect(forgotten.statusCode).toBe(204);
    const audit = await baton.db
      .selectFrom('audit_events')
      .select(['actor', 'target', 'summary'])
      .where('action', '=', 'node.forget-host-key')
      .execute();
    expect(audit.map((record) => [record.actor, record.target])).toEqual([['admin', 'node/tofu-1']]);
    expect(JSON.stringify(audit[0]!.summary)).toContain(pinned!.fingerprint);
    expect((await baton.request('DELETE', '/api/v1/nodes/tofu-1/learned-host-key')).statusCode).toBe(404);
    const repinned = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'tags=tofu' })).id,
    );
    expect(repinned.state, repinned.reason ?? '').toBe('succeeded');
    const newPin = await baton.db
      .selectFrom('node_host_keys')
      .select('host_key')
      .where('node', '=', 'tofu-1')
      .executeTakeFirst();
    expect(newPin?.host_key).toBe(fleet.servers[3]!.hostKey);
    expect(newPin?.host_key).not.toBe(pinned!.host_key);
  });

  it('cancel ends the whole remote process tree', async () => {
    const marker = `baton-cancel-${process.pid}-${dialect}-${Date.now()}`;
    const queued = await baton.executions.run(admin, 'ops', 'sleeper', { marker }, { nodes: 'name=web-1' });
    await eventually('the remote step to run', async () => ((await processWith(marker)) ? true : undefined));
    await baton.executions.cancel(admin, queued.id);
    const parent = await baton.waitFor(queued.id);
    expect(parent.state).toBe('cancelled');
    await eventually('the remote tree to end', async () => ((await processWith(marker)) ? undefined : true));
    const [run] = await children(parent);
    expect(run!.state).toBe('cancelled');
  });

  it('records where a remote step runs while it runs, and forgets it once it ended', async () => {
    const marker = `baton-record-${process.pid}-${dialect}-${Date.now()}`;
    const queued = await baton.executions.run(admin, 'ops', 'sleeper', { marker }, { nodes: 'name=web-1' });
    const remoteDir = async () => {
      const [run] = await listNodeRuns(baton.db, queued.id);
      if (!run) return undefined;
      const step = await baton.db
        .selectFrom('execution_steps')
        .select('remote_dir')
        .where('execution_id', '=', run.executionId)
        .executeTakeFirst();
      return step?.remote_dir;
    };
    const directory = await eventually('the remote step to be recorded', async () =>
      (await processWith(marker)) ? ((await remoteDir()) ?? undefined) : undefined,
    );
    expect(directory).toMatch(/^\/tmp\/baton-[0-9a-f]{24}$/);
    await baton.executions.cancel(admin, queued.id);
    expect((await baton.waitFor(queued.id)).state).toBe('cancelled');
    expect(await remoteDir()).toBeNull();
  });

  it('keeps the record of an orphaned step whose node is out of reach, and gives up after a while', async () => {
    const parent = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'adhoc', {}, { nodes: 'name=down-1' })).id,
    );
    const [run] = await listNodeRuns(baton.db, parent.id);
    // What a worker killed mid-step leaves: a finished execution whose step still names its directory.
    const directory = '/tmp/baton-0123456789abcdef01234567';
    await baton.db
      .updateTable('execution_steps')
      .set({ remote_dir: directory })
      .where('execution_id', '=', run!.executionId)
      .execute();
    const record = () =>
      baton.db
        .selectFrom('execution_steps')
        .select(['remote_dir', 'remote_unreachable_since'])
        .where('execution_id', '=', run!.executionId)
        .executeTakeFirstOrThrow();
    const metrics = new Metrics();
    const sweep = { db: baton.db, keyring: baton.keyring, logger: silentLogger, metrics };
    const now = Date.now();
    await sweepRemoteOrphans(sweep, now, 60_000);
    const kept = await record();
    expect(kept.remote_dir).toBe(directory);
    expect(kept.remote_unreachable_since).not.toBeNull();
    await sweepRemoteOrphans(sweep, Number(kept.remote_unreachable_since) + 60_000, 60_000);
    expect(await record()).toEqual({ remote_dir: null, remote_unreachable_since: null });
    expect(await metrics.registry.metrics()).toMatch(/baton_remote_orphans_total\{outcome="abandoned"\} 1/);
  });

  it('ends what a step left running on the node when the step itself exits', async () => {
    const marker = `baton-leftover-${process.pid}-${dialect}-${Date.now()}`;
    // The leftover keeps the step's output open: without ending it the step would never finish.
    const parent = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'leaver', { marker }, { nodes: 'name=web-1' })).id,
    );
    expect(parent.state).toBe('succeeded');
    await eventually('the leftover to end', async () => ((await processWith(marker)) ? undefined : true));
  });

  it('a step timeout ends the whole remote process tree', async () => {
    const marker = `baton-timeout-${process.pid}-${dialect}-${Date.now()}`;
    const parent = await baton.waitFor(
      (await baton.executions.run(admin, 'ops', 'slow-step', { marker })).id,
    );
    expect(parent.state).toBe('failed');
    const [run] = await children(parent);
    expect(run!.state).toBe('timed_out');
    expect(run!.reason).toContain('step timed out after 1s');
    await eventually('the remote tree to end', async () => ((await processWith(marker)) ? undefined : true));
  });

  it('hands secrets to the remote step without putting them in any argv', async () => {
    await baton.applyYaml(`
apiVersion: baton/v1
kind: Job
metadata: {name: secret-sleeper, project: ops}
spec:
  options: [{name: marker, type: string, required: true}]
  secrets: [{path: app/token, env: APP_TOKEN}]
  nodes: {name: web-1}
  steps: [{name: main, script: 'echo "$APP_TOKEN" > /dev/null; sh -c "sleep 300; : $BATON_OPTION_MARKER"'}]
`);
    const marker = `baton-secret-${process.pid}-${dialect}-${Date.now()}`;
    const queued = await baton.run('ops/secret-sleeper', { marker });
    const child = await eventually('the node execution to run', async () => {
      const [run] = await listNodeRuns(baton.db, queued.id);
      return run && (await getExecution(baton.db, run.executionId))?.state === 'running' ? run : undefined;
    });
    await eventually('the remote step to sleep', async () =>
      (await processWith(marker)) ? true : undefined,
    );
    expect(await allCommandLines()).not.toContain('tok-9f8e7d6c5b4a');
    await baton.executions.cancel(admin, queued.id);
    expect((await baton.waitFor(child.executionId)).state).toBe('cancelled');
  });

  it('refuses the whole run when the requester may not touch a matched node', async () => {
    const carol = await baton.addUser('carol');
    await baton.applyYaml(`
apiVersion: baton/v1
kind: Team
metadata: {name: web-team}
spec: {members: [carol]}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: web-team-nodes}
spec:
  rules:
    - {subjects: [team/web-team], actions: [run], resources: [job/ops/adhoc, node/web-*], effect: allow}
`);
    const before = await baton.db.selectFrom('executions').select('id').execute();
    await expect(
      baton.executions.run(carol.principal, 'ops', 'adhoc', {}, { nodes: 'attr.env=prod' }),
    ).rejects.toThrow(
      new ForbiddenError(
        'forbidden: carol may not run on node db-1 (matched by attr.env=prod); nothing was queued',
      ),
    );
    expect(await baton.db.selectFrom('executions').select('id').execute()).toHaveLength(before.length);
    const allowed = await baton.executions.run(carol.principal, 'ops', 'adhoc', {}, { nodes: 'tags=web' });
    expect(allowed.nodes).toEqual(['web-1', 'web-2']);
    await baton.waitFor(allowed.id);
    // Over HTTP: the filter string, and a filter that matches nothing.
    const none = await baton.request('POST', '/api/v1/jobs/ops/adhoc/executions', { nodes: 'tags=nothing' });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.message).toBe('no node matches tags=nothing (8 nodes known)');
    const unknown = await baton.request('POST', '/api/v1/jobs/ops/adhoc/executions', { nodes: 'role=web' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain(
      'unknown node filter key "role" (allowed: name, tags, hostname, attr.KEY',
    );
  });

  it('rejects unknown filter keys in a job at their line and column', async () => {
    const yaml = `apiVersion: baton/v1
kind: Job
metadata: {name: bad-filter, project: ops}
spec:
  nodes:
    tags: [web]
    role: web
  steps: [{name: main, command: ["true"]}]
`;
    const error = await baton.apply
      .apply({ files: [{ name: 'bad.yaml', content: yaml }] }, admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const problem = (error as InputError).problems[0]!;
    expect(problem).toMatchObject({ file: 'bad.yaml', line: 7 });
    expect(problem.message).toContain('role');
  });
});
