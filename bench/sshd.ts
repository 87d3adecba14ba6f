/**
 * Real OpenSSH servers for tests and benchmarks: N `/usr/sbin/sshd -D -e` on free loopback
 * ports, each with its own ed25519 host key, all accepting one client key generated here.
 * Every server is a distinct node; `stop()` ends them all. Lives in bench/ so that the compiled
 * benchmark can use it; tests import it through test/sshd.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
/** util-linux's setpriv, to have the kernel end each sshd when its parent dies. */
const SETPRIV = '/usr/bin/setpriv';

export interface Sshd {
  port: number;
  /** `ssh-ed25519 AAAA…` as ssh-keyscan prints it. */
  hostKey: string;
  /** Replaces the host key and restarts this server (a re-keyed machine). */
  rekey(): Promise<void>;
  process: ChildProcess;
}

export interface SshdFleet {
  servers: Sshd[];
  /** The OpenSSH private key every server accepts. */
  clientKey: string;
  /** A second key that no server accepts. */
  strangerKey: string;
  /** A loopback port where nothing listens. */
  closedPort: number;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function keygen(file: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
}

/** Resolves once the server sends its SSH banner. */
async function waitForBanner(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd on port ${port} exited: ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString('latin1').startsWith('SSH-'));
      });
      socket.once('error', () => resolve(false));
      socket.setTimeout(2000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on port ${port} did not start: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `count` sshd instances. */
export async function startSshdFleet(count: number): Promise<SshdFleet> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-sshd-'));
  // Privilege separation directory; sshd refuses to start without it.
  await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const clientKeyFile = path.join(dir, 'client');
  const strangerKeyFile = path.join(dir, 'stranger');
  await Promise.all([keygen(clientKeyFile), keygen(strangerKeyFile)]);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await fs.copyFile(`${clientKeyFile}.pub`, authorizedKeys);

  const servers: Sshd[] = [];
  const startOne = async (index: number): Promise<Sshd> => {
    const base = path.join(dir, `node-${index}`);
    await fs.mkdir(base);
    const hostKeyFile = path.join(base, 'host_ed25519');
    await keygen(hostKeyFile);
    const port = await freePort();
    const config = path.join(base, 'sshd_config');
    await fs.writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKeyFile}`,
        `PidFile ${path.join(base, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        // Many steps per connection, and many connections at once in the benchmark.
        'MaxSessions 100',
        'MaxStartups 200',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    let output = '';
    const launch = async (): Promise<ChildProcess> => {
      const argv = [SSHD, '-D', '-e', '-f', config];
      // Dies with the process that started it, even one killed mid-test (a timed-out hook, a
      // killed run): an sshd left behind would keep its port and outlive every test.
      const [program, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', ...argv] : argv;
      const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (data: Buffer) => (output += data.toString()));
      child.stderr.on('data', (data: Buffer) => (output += data.toString()));
      await waitForBanner(port, child, () => output);
      return child;
    };
    const readHostKey = async () => (await fs.readFile(`${hostKeyFile}.pub`, 'utf8')).trim();
    const server: Sshd = {
      port,
      hostKey: await readHostKey(),
      process: await launch(),
      rekey: async () => {
        await stopProcess(server.process);
        await fs.rm(hostKeyFile, { force: true });
        await fs.rm(`${hostKeyFile}.pub`, { force: true });
        await keygen(hostKeyFile);
        server.hostKey = await readHostKey();
        server.process = await launch();
      },
    };
    return server;
  };
  servers.push(...(await Promise.all(Array.from({ length: count }, (_, index) => startOne(index)))));
  return {
    servers,
    clientKey: await fs.readFile(clientKeyFile, 'utf8'),
    strangerKey: await fs.readFile(strangerKeyFile, 'utf8'),
    closedPort: await freePort(),
    stop: async () => {
      await Promise.all(servers.map((server) => stopProcess(server.process)));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
