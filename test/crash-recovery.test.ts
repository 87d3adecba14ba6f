/**
 * A single `baton server` on SQLite killed with kill -9 mid-step, then started again: the
 * execution it was running is recovered with the log summary of what it stored, and the work
 * directory the step wrote into (it may hold copies of secrets) does not stay behind, while a
 * directory of another live process on the host is left alone.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonProcess, buildBaton, eventually, type BuiltBaton } from './processes.js';

const TOKEN = 'baton_crash_recovery_admin_token';

describe('a SQLite server killed with kill -9 mid-step, then started again', () => {
  let built: BuiltBaton;
  let dataDir: string;
  let tmp: string;
  const servers: BatonProcess[] = [];

  /** Starts `baton server` on the data dir; its temporary directory is the test's own. */
  const start = async (): Promise<{ server: BatonProcess; url: string }> => {
    const child = spawn(process.execPath, [built.bin, 'server', '--port', '0', '--no-examples'], {
      env: {
        ...process.env,
        BATON_DATA_DIR: dataDir,
        BATON_ADMIN_TOKEN: TOKEN,
        BATON_LEASE: '2s',
        BATON_LOG_LEVEL: 'warn',
        TMPDIR: tmp,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const server = new BatonProcess('server', child);
    servers.push(server);
    const [, url] = await server.waitForStdout(/listening on (http:\/\/[\d.:]+)/);
    return { server, url: url! };
  };

  const api = async <T>(url: string, method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status, `${method} ${route}`).toBeLessThan(300);
    return (await response.json()) as T;
  };

  /** Lines of the execution's log stored in the database (not the ones a server holds in memory). */
  const storedLines = (id: number): number => {
    const db = new Database(path.join(dataDir, 'baton.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare('SELECT MAX(first_line + line_count) AS next FROM log_chunks WHERE execution_id = ?')
        .get(id) as { next: number | null };
      return row.next ?? 0;
    } finally {
      db.close();
    }
  };

  const workDirectories = async (id: number) =>
    (await fs.readdir(tmp)).filter((name) => name.startsWith(`baton-${id}-`));

  beforeAll(async () => {
    built = await buildBaton();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-crash-'));
    tmp = path.join(dataDir, 'tmp');
    await fs.mkdir(tmp);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
    // The step of the killed server, should the restarted one not have ended it.
    const pid = Number(await fs.readFile(path.join(dataDir, 'step.pid'), 'utf8').catch(() => '0'));
    if (pid > 0) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ended by the restarted server, as it should be
      }
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('recovers the log summary from the stored lines and removes the dead server’s work directory', async () => {
    const first = await start();
    const job = {
      apiVersion: 'baton/v1',
      kind: 'Job',
      metadata: { name: 'crash', project: 'recovery' },
      spec: {
        env: { DATA: dataDir },
        steps: [
          {
            name: 'writes',
            script: `echo $$ > "$DATA/step.pid"
for i in 1 2 3 4 5 6 7 8 9; do echo "line $i"; done
echo "a copy of something secret" > leftover.txt
exec sleep 300`,
          },
        ],
      },
    };
    await api(first.url, 'POST', '/api/v1/apply', {
      files: [{ name: 'job.json', content: JSON.stringify(job) }],
    });
    const { execution } = await api<{ execution: { id: number } }>(
      first.url,
      'POST',
      '/api/v1/jobs/recovery/crash/executions',
      { options: {} },
    );
    const id = execution.id;
    // The step's nine lines are stored and it wrote into its work directory.
    await eventually('the step lines to be stored', async () => (storedLines(id) >= 10 ? true : undefined));
    const [workDir] = await workDirectories(id);
    expect(workDir).toBeDefined();
    await eventually('the step to write its file', async () =>
      (await fs.stat(path.join(tmp, workDir!, 'leftover.txt')).catch(() => undefined)) ? true : undefined,
    );
    // A work directory of another live process on this host (this test's), which must stay.
    const live = `baton-${id + 1000}-${process.pid}-abcdef`;
    await fs.mkdir(path.join(tmp, live));

    await first.server.kill();
    const stored = storedLines(id);
    const second = await start();
    const recovered = await eventually('the execution to be recovered', async () => {
      const { execution: view } = await api<{
        execution: { state: string; reason: string | null; log: { lines: number; bytes: number } };
      }>(second.url, 'GET', `/api/v1/executions/${id}`);
      return view.state === 'running' ? undefined : view;
    });
    expect(recovered).toMatchObject({ state: 'failed', reason: 'worker lost: its lease expired' });
    expect(recovered.log.lines).toBe(stored);
    expect(recovered.log.bytes).toBeGreaterThan(0);
    const log = await api<{ lines: { text: string }[] }>(
      second.url,
      'GET',
      `/api/v1/executions/${id}/log?limit=1000`,
    );
    expect(log.lines).toHaveLength(recovered.log.lines);
    expect(log.lines.map((line) => line.text)).toContain('line 9');

    await eventually('the dead server’s work directory to be removed', async () =>
      (await workDirectories(id)).length === 0 ? true : undefined,
    );
    expect(await fs.readdir(tmp)).toContain(live);
  }, 120_000);
});
