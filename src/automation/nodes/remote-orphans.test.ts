/**
 * The remote orphan sweep with real parts: a real `baton worker` process runs a step on a node
 * (a real sshd on loopback) and is killed with SIGKILL mid-step; lease recovery fails its
 * executions, and the duty holder (a `baton server`) connects to the node and ends the process
 * group the step left there, removes its private directory, and forgets the record.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBaton, Cluster, eventually, type BuiltBaton } from '../../../test/processes.js';
import { startSshdFleet, type SshdFleet } from '../../../test/sshd.js';

const exec = promisify(execFile);

/** Whether any process on this machine has `text` in its command line. */
async function processWith(text: string): Promise<boolean> {
  const { stdout } = await exec('pgrep', ['-f', text]).catch(() => ({ stdout: '' }));
  return stdout.trim().length > 0;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

interface StepRow {
  execution_id: number;
  state: string;
  reason: string | null;
  remote_dir: string | null;
}

describe('remote orphan sweep (PostgreSQL, baton processes, real sshd)', () => {
  let built: BuiltBaton;
  let fleet: SshdFleet;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    built = await buildBaton();
    fleet = await startSshdFleet(1);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await fleet?.stop();
  }, 60_000);

  it('ends the process group a SIGKILLed worker left running on a node, and removes its directory', async () => {
    cluster = await Cluster.create(built);
    const env = { BATON_LEASE: '2s', BATON_LOG_LEVEL: 'info' };
    // The server runs no steps: it holds the duties once the worker is gone.
    const server = await cluster.startServer({ worker: false, env });
    const worker = await cluster.startWorker({ env });
    const secret = await cluster.request(server, 'PUT', '/api/v1/secrets/ssh/client', {
      value: fleet.clientKey,
    });
    expect(secret.status).toBe(200);
    const sshd = fleet.servers[0]!;
    await cluster.apply(
      server,
      JSON.stringify({
        apiVersion: 'baton/v1',
        kind: 'Node',
        metadata: { name: 'orphan-node' },
        spec: {
          hostname: '127.0.0.1',
          port: sshd.port,
          user: 'root',
          key: 'ssh/client',
          hostKey: sshd.hostKey,
        },
      }),
      cluster.jobDocument('remote-sleeper', {
        options: [{ name: 'marker', type: 'string', required: true }],
        nodes: { name: 'orphan-node' },
        steps: [{ name: 'sleep', script: 'sh -c "sleep 300; : $BATON_OPTION_MARKER" & sleep 300' }],
      }),
    );
    const marker = `remote_orphan_${randomBytes(6).toString('hex')}`;
    const parentId = await cluster.run(server, 'remote-sleeper', { marker });

    const childStep = () =>
      cluster!.query<StepRow>(
        `SELECT s.execution_id, e.state, e.reason, s.remote_dir
           FROM execution_steps s JOIN executions e ON e.id = s.execution_id
          WHERE e.parent_id = $1`,
        [parentId],
      );
    const running = await eventually(
      'the step to run on the node and record its directory',
      async () => {
        const [step] = await childStep();
        return step?.remote_dir && (await processWith(marker)) ? step : undefined;
      },
      60_000,
    );
    const directory = running.remote_dir!;
    expect(directory).toMatch(/^\/tmp\/baton-[0-9a-f]{24}$/);
    // The node is this machine: its private directory is here.
    expect(await exists(`${directory}/pgid`)).toBe(true);

    await worker.kill();

    const executions = await eventually(
      'lease recovery to fail the parent and the node child',
      async () => {
        const rows = await cluster!.query<{ id: number; state: string; reason: string | null }>(
          'SELECT id, state, reason FROM executions WHERE id = $1 OR parent_id = $1 ORDER BY id',
          [parentId],
        );
        return rows.length === 2 && rows.every((row) => row.state !== 'running') ? rows : undefined;
      },
      60_000,
    );
    expect(executions).toEqual([
      { id: parentId, state: 'failed', reason: 'worker lost: its lease expired' },
      { id: running.execution_id, state: 'failed', reason: 'worker lost: its lease expired' },
    ]);

    await eventually(
      'the sweep to end the remote step, remove its directory and forget it',
      async () => {
        const [step] = await childStep();
        const done = step?.remote_dir === null && !(await processWith(marker)) && !(await exists(directory));
        return done ? true : undefined;
      },
      90_000,
      500,
    );
    expect(server.output).toContain('ended the remote process group of a step whose worker was lost');
  }, 240_000);
});
