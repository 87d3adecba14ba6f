/**
 * The first start of `baton server` as a new user meets it (README, step 1): it prints the admin
 * password for the web UI and the API token for the CLI, once; both work; a second start prints
 * neither. A chosen password that is too short stops the start with a one-line reason.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonProcess, buildBaton, type BuiltBaton } from './processes.js';

describe('the first start of baton server', () => {
  let built: BuiltBaton;
  let dataDir: string;

  const start = (env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [built.bin, 'server', '--port', '0', '--no-examples'], {
      env: { ...process.env, BATON_DATA_DIR: dataDir, BATON_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new BatonProcess('server', child);
  };

  beforeAll(async () => {
    built = await buildBaton();
    dataDir = await mkdtemp(path.join(tmpdir(), 'baton-first-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('prints a password that signs in to the web UI and a token that works, only the first time', async () => {
    const first = start();
    try {
      const [, url] = await first.waitForStdout(/listening on (http:\/\/[\d.:]+)/);
      const [, password] = await first.waitForStdout(/password:\s+(\S+)\s+sign in at/);
      const [, token] = await first.waitForStdout(/API token:\s+(baton_\S+)/);
      const signIn = await fetch(`${url}/api/v1/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'admin', password }),
      });
      expect(signIn.status).toBe(200);
      expect(((await signIn.json()) as { user: unknown }).user).toMatchObject({
        name: 'admin',
        isAdmin: true,
      });
      const whoami = await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
      expect(await whoami.json()).toEqual({ user: { name: 'admin', isAdmin: true } });
      const page = await fetch(`${url}/jobs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      first.signal('SIGTERM');
      await first.waitForExit();
    }

    const second = start();
    try {
      await second.waitForStdout(/listening on/);
    } finally {
      second.signal('SIGTERM');
      await second.waitForExit();
    }
    expect(second.output).not.toMatch(/password:|API token:/);
  });

  it('refuses a chosen admin password that is too short, with the variable that set it', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'baton-first-start-'));
    const server = start({ BATON_ADMIN_PASSWORD: 'short' });
    const exit = await server.waitForExit();
    expect(exit.code).not.toBe(0);
    expect(server.output).toContain('BATON_ADMIN_PASSWORD: must be at least 12 characters long');
  });
});
