/**
 * One SSH connection to a node (ssh2), for the steps of one child execution: host key checked
 * against the pinned key(s) or learned on first use, steps run in their own remote session so
 * that cancel and timeout end the whole remote process tree.
 *
 * Nothing secret or option-valued is ever in a remote command line (visible in `ps` there): the
 * exec command is a fixed `sh -s`, and the environment, script and secret files travel over the
 * channel's stdin as base64 inside a small shell program, written by shell builtins (`printf`)
 * into a private directory (mode 0700) that is removed when the step ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Db } from '../../platform/db/database.js';
import { formatDurationAsWritten } from '../../contract/time.js';
import { setLongTimeout } from '../../platform/long-timer.js';
import type { Metrics } from '../../platform/metrics.js';
import type { StepCommand } from '../runner/command.js';
import type { LogWriter } from '../logs/writer.js';
import {
  describeStop,
  pipeInto,
  stateForStop,
  type StepOutcome,
  type StopReason,
} from '../worker/step-process.js';
import type { NodeSpec } from './model.js';
import { getPinnedHostKey, pinHostKey } from './store.js';

/** How long connecting and authenticating may take. */
export const SSH_READY_TIMEOUT_MS = 15_000;
const KEEPALIVE_INTERVAL_MS = 15_000;

/** A node could not be reached or trusted; the message is the one-line reason for its child execution. */
export class NodeConnectError extends Error {}

/** `SHA256:…` of a public key blob, as OpenSSH prints fingerprints (base64, no padding). */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`). */
function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** The fingerprint a pinned entry stands for: given as such, or computed from the key. */
function pinnedFingerprint(entry: string): string {
  const text = entry.trim();
  if (text.startsWith('SHA256:')) return text.replace(/=+$/, '');
  return fingerprintOf(Buffer.from(text.split(/\s+/)[1] ?? '', 'base64'));
}

/** Single-quotes a word for sh. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function base64Literal(text: string): string {
  return shellQuote(Buffer.from(text, 'utf8').toString('base64'));
}

export interface NodeTarget {
  name: string;
  spec: NodeSpec;
}

export interface OpenSessionRequest {
  db: Db;
  node: NodeTarget;
  privateKey: string;
  metrics?: Metrics;
  readyTimeoutMs?: number;
}

export interface RemoteStepRequest {
  command: StepCommand;
  env: Record<string, string>;
  /** File secrets, written into the step's private directory (`$BATON_SECRETS_DIR`). */
  secretFiles: { name: string; value: string }[];
  writer: LogWriter;
  timeoutMs: number | undefined;
  graceMs: number;
  signal: AbortSignal;
  /**
   * Told the step's private directory once the step was sent to the node (running true), and
   * again once it ended there (running false), to record it for the remote orphan sweep. Not told
   * the end when the connection was lost: the step may still run, and the sweep ends it.
   */
  onDirectory?: (directory: string, running: boolean) => Promise<void>;
}

/** The form of the private directories that runStep makes on nodes (the sweep removes only those). */
export const REMOTE_DIRECTORY_PATTERN = /^\/tmp\/baton-[0-9a-f]{24}$/;

function describeTarget(node: NodeTarget): string {
  return `${node.spec.hostname}:${node.spec.port}`;
}

/** The one-line reason for a failed connection, and the metric outcome. */
function connectFailure(
  error: Error & { code?: string; level?: string },
  node: NodeTarget,
  hostKeyProblem: string | undefined,
): { reason: string; outcome: string } {
  const where = describeTarget(node);
  if (hostKeyProblem) return { reason: hostKeyProblem, outcome: 'hostkey' };
  if (error.level === 'client-authentication') {
    return {
      reason: `ssh: authentication failed for ${node.spec.user}@${where} (the node does not accept the key ${node.spec.key})`,
      outcome: 'auth',
    };
  }
  if (error.code === 'ECONNREFUSED')
    return { reason: `ssh: connection refused to ${where}`, outcome: 'refused' };
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    return { reason: `ssh: cannot resolve ${node.spec.hostname}`, outcome: 'error' };
  }
  if (error.level === 'client-timeout' || error.code === 'ETIMEDOUT') {
    return { reason: `ssh: timed out connecting to ${where}`, outcome: 'timeout' };
  }
  if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') {
    return { reason: `ssh: host unreachable ${where}`, outcome: 'error' };
  }
  return { reason: `ssh: cannot connect to ${where}: ${error.message}`, outcome: 'error' };
}

/** A connected, authenticated node. */
export class NodeSession {
  private constructor(
    private readonly client: Client,
    readonly node: NodeTarget,
  ) {}

  /** Connects and authenticates; throws NodeConnectError with the reason in one line. */
  static async open(request: OpenSessionRequest): Promise<NodeSession> {
    const { node, db } = request;
    const pinned = [node.spec.hostKey ?? []].flat();
    let hostKeyProblem: string | undefined;
    const hostVerifier = (keyBlob: Buffer, verify: (valid: boolean) => void) => {
      const seen = fingerprintOf(keyBlob);
      const type = keyTypeOf(keyBlob);
      const decide = async (): Promise<boolean> => {
        if (pinned.length > 0) {
          if (pinned.some((entry) => pinnedFingerprint(entry) === seen)) return true;
          hostKeyProblem =
            `ssh: host key mismatch for ${node.name} (${describeTarget(node)}): expected ` +
            `${pinned.map(pinnedFingerprint).join(' or ')}, got ${type} ${seen}`;
          return false;
        }
        const learned = await getPinnedHostKey(db, node.name);
        if (learned) {
          if (learned.fingerprint === seen) return true;
          hostKeyProblem =
            `ssh: host key mismatch for ${node.name} (${describeTarget(node)}): expected ${learned.fingerprint} ` +
            `(pinned on first use), got ${type} ${seen}; if the node was re-keyed, forget the old key with ` +
            `baton nodes forget-host-key ${node.name}`;
          return false;
        }
        if (!node.spec.trustOnFirstUse) {
          hostKeyProblem =
            `ssh: host key of ${node.name} (${describeTarget(node)}) is not pinned: it presented ${type} ${seen}; ` +
            `pin it with spec.hostKey (ssh-keyscan -p ${node.spec.port} ${node.spec.hostname} prints it) ` +
            'or set spec.trustOnFirstUse: true';
          return false;
        }
        const kept = await pinHostKey(
          db,
          node.name,
          `${type} ${keyBlob.toString('base64')}`,
          seen,
          Date.now(),
        );
        if (kept.fingerprint === seen) return true;
        hostKeyProblem = `ssh: host key mismatch for ${node.name}: expected ${kept.fingerprint} (pinned on first use), got ${type} ${seen}`;
        return false;
      };
      decide().then(verify, (error: unknown) => {
        hostKeyProblem = `ssh: cannot check the host key of ${node.name}: ${(error as Error).message}`;
        verify(false);
      });
    };
    const config: ConnectConfig = {
      host: node.spec.hostname,
      port: node.spec.port,
      username: node.spec.user,
      privateKey: request.privateKey,
      readyTimeout: request.readyTimeoutMs ?? SSH_READY_TIMEOUT_MS,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: 3,
      hostVerifier,
    };
    const startedAt = process.hrtime.bigint();
    const observe = (outcome: string) =>
      request.metrics?.sshConnectDuration.observe(
        { outcome },
        Number(process.hrtime.bigint() - startedAt) / 1e9,
      );
    const client = new Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
        try {
          client.connect(config);
        } catch (error) {
          // A key that cannot be parsed throws here, before any connection.
          reject(Object.assign(error as Error, { level: 'client-key' }));
        }
      });
    } catch (error) {
      client.end();
      const cause = error as Error & { code?: string; level?: string };
      if (cause.level === 'client-key') {
        observe('error');
        throw new NodeConnectError(
          `ssh: the key ${node.spec.key} of ${node.name} cannot be used: ${cause.message}`,
        );
      }
      const failure = connectFailure(cause, node, hostKeyProblem);
      observe(failure.outcome);
      throw new NodeConnectError(failure.reason, { cause });
    }
    observe('ok');
    // After the handshake a lost connection surfaces on the channels; keep it from throwing here.
    client.on('error', () => undefined);
    return new NodeSession(client, node);
  }

  close(): void {
    this.client.end();
  }

  private exec(command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel)));
    });
  }

  /** Runs a short fixed program (sent on stdin); resolves with its exit code and output. */
  private async runProgram(program: string): Promise<{ code: number | null; stdout: string }> {
    const channel = await this.exec('sh -s');
    let stdout = '';
    channel.setEncoding('utf8');
    channel.on('data', (text: string) => (stdout += text));
    channel.stderr.resume();
    return new Promise((resolve) => {
      let code: number | null = null;
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.once('close', () => resolve({ code, stdout }));
      channel.end(program);
    });
  }

  /**
   * Ends what a lost worker's step left running in `directory` (its whole process group, with
   * KILL: nobody is left to wait out a grace period) and removes the directory. True when a
   * process group was signalled; throws when the node could not run the program.
   */
  async endOrphanedStep(directory: string): Promise<boolean> {
    if (!REMOTE_DIRECTORY_PATTERN.test(directory)) {
      throw new Error(`not a directory of a Baton step: ${directory}`);
    }
    const result = await this.runProgram(orphanKillProgram(directory));
    if (result.code !== 0) {
      throw new Error(`the clean-up program exited with ${result.code ?? 'no code'} on ${this.node.name}`);
    }
    return result.stdout.includes('ended');
  }

  /** Runs one step on the node; never throws for what the step or the node does wrong. */
  async runStep(request: RemoteStepRequest): Promise<StepOutcome> {
    const { writer, signal } = request;
    if (signal.aborted) {
      const stop = signal.reason as StopReason;
      return { state: stateForStop(stop), exitCode: null, reason: describeStop(stop) };
    }
    // Chosen here so that the kill program knows where the step's process group is written.
    const directory = `/tmp/baton-${randomBytes(12).toString('hex')}`;
    let channel: ClientChannel;
    try {
      channel = await this.exec('sh -s');
    } catch (error) {
      const reason = `ssh: cannot start the step on ${this.node.name}: ${(error as Error).message}`;
      writer.system(`[baton] ${reason}`);
      return { state: 'failed', exitCode: null, reason };
    }
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      let code: number | null = null;
      let exitSignal: string | null = null;
      channel.on('exit', (exitCode: number | null, signalName?: string) => {
        code = exitCode;
        exitSignal = signalName ? `SIG${signalName}` : null;
      });
      channel.once('close', () => resolve({ code, signal: exitSignal }));
    });
    const piped = Promise.all([
      pipeInto(channel, 'stdout', writer),
      pipeInto(channel.stderr, 'stderr', writer),
    ]);
    channel.end(stepProgram(directory, request));
    // Recorded while the step runs, not awaited: the step need not wait for the database.
    const recording = request.onDirectory?.(directory, true).catch(() => undefined);

    let stoppedBy: { state: StepOutcome['state']; reason: string } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (state: StepOutcome['state'], reason: string) => {
      if (stoppedBy) return;
      stoppedBy = { state, reason };
      writer.system(`[baton] ${reason}: ending the process tree on ${this.node.name}`);
      void this.runProgram(killProgram(directory, 'TERM')).catch(() => undefined);
      killTimer = setTimeout(
        () => void this.runProgram(killProgram(directory, 'KILL')).catch(() => undefined),
        request.graceMs,
      );
    };
    const onAbort = () => {
      const reason = signal.reason as StopReason;
      stop(stateForStop(reason), describeStop(reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const timer =
      request.timeoutMs === undefined
        ? undefined
        : setLongTimeout(
            () => stop('timed_out', `step timed out after ${formatDurationAsWritten(request.timeoutMs!)}`),
            request.timeoutMs,
          );
    const ended = await exit;
    await piped;
    timer?.clear();
    clearTimeout(killTimer);
    signal.removeEventListener('abort', onAbort);
    const connectionLost = ended.code === null && ended.signal === null;
    if (recording) {
      // After the record, so that a record written late is not left behind.
      await recording;
      if (!connectionLost) await request.onDirectory?.(directory, false).catch(() => undefined);
    }

    if (stoppedBy) return { state: stoppedBy.state, exitCode: ended.code, reason: stoppedBy.reason };
    if (ended.code === 0) return { state: 'succeeded', exitCode: 0, reason: null };
    if (ended.code === null) {
      const reason = ended.signal
        ? `killed by ${ended.signal} on ${this.node.name}`
        : `ssh: the connection to ${this.node.name} was lost while the step ran`;
      const exitCode = ended.signal
        ? 128 + (constants.signals[ended.signal as keyof typeof constants.signals] ?? 0)
        : null;
      return { state: 'failed', exitCode, reason };
    }
    if (ended.code === SETUP_FAILED) {
      return {
        state: 'failed',
        exitCode: ended.code,
        reason: `could not prepare the step on ${this.node.name}`,
      };
    }
    // The wrapper reports a signal death of the step as the shell does: 128 + the signal number.
    const signalName =
      ended.code > 128
        ? Object.entries(constants.signals).find(([, number]) => number === ended.code! - 128)?.[0]
        : undefined;
    return {
      state: 'failed',
      exitCode: ended.code,
      reason: signalName ? `killed by ${signalName}` : `exit code ${ended.code}`,
    };
  }
}

/** The wrapper's exit code when it could not set the step up (no private directory, no setsid). */
const SETUP_FAILED = 125;

/** The argv words of the step, run from inside its private directory `$1`. */
function stepInvocation(command: StepCommand): { file: string; run: string } {
  if (command.command !== undefined) {
    // Argv lives in the step file, never in the exec command line.
    return { file: `exec ${command.command.map(shellQuote).join(' ')}\n`, run: `exec sh "$1/step"` };
  }
  const script = command.script ?? '';
  if (script.startsWith('#!')) return { file: script, run: `exec "$1/step"` };
  const interpreter = command.interpreter?.trim().split(/\s+/).filter(Boolean) ?? [];
  const words = interpreter.length > 0 ? interpreter : ['bash'];
  return { file: script, run: `exec ${words.map(shellQuote).join(' ')} "$1/step"` };
}

/**
 * The program `sh -s` reads from stdin: make the private directory, write the environment,
 * the step and the secret files into it with builtins only, start the step as the leader of
 * a new session (its pid is its process group, written to `pgid` for the kill program), wait
 * for it, end what it left running in its group, remove the directory, and exit with the
 * step's status.
 */
function stepProgram(directory: string, request: RemoteStepRequest): string {
  const env = {
    ...request.env,
    ...(request.secretFiles.length > 0 ? { BATON_SECRETS_DIR: `${directory}/secrets` } : {}),
  };
  const envFile = Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
  const { file, run } = stepInvocation(request.command);
  const d = shellQuote(directory);
  const lines = [
    'umask 077',
    `d=${d}`,
    `mkdir -m 700 "$d" || { echo "[baton] cannot create a private directory on the node" >&2; exit ${SETUP_FAILED}; }`,
    `command -v setsid >/dev/null 2>&1 || { echo "[baton] the node has no setsid (util-linux)" >&2; rm -rf "$d"; exit ${SETUP_FAILED}; }`,
    `printf '%s' ${base64Literal(envFile)} | base64 -d > "$d/env"`,
    `printf '%s' ${base64Literal(file)} | base64 -d > "$d/step"`,
    'chmod 700 "$d/step"',
  ];
  if (request.secretFiles.length > 0) {
    lines.push('mkdir -m 700 "$d/secrets"');
    for (const secret of request.secretFiles) {
      lines.push(
        `printf '%s' ${base64Literal(secret.value)} | base64 -d > "$d/secrets/"${shellQuote(secret.name)}`,
      );
    }
  }
  lines.push(
    // The inner sh leads the new session; `exec` makes the step that leader.
    // The environment file holds secret values: it is removed as soon as the step has read it.
    `setsid sh -c 'echo $$ > "$1/pgid"; . "$1/env"; rm -f "$1/env"; cd "$1" || exit ${SETUP_FAILED}; ${run.replace(/'/g, `'\\''`)}' baton-step "$d" &`,
    'wait $!',
    'status=$?',
    // What the step left running in its group (`sleep 1000 &`) ends with it, as on the worker; a
    // leftover holding the output open would otherwise keep the channel, and the step, open.
    'pg=$(cat "$d/pgid" 2>/dev/null)',
    'if [ -n "$pg" ] && kill -TERM "-$pg" 2>/dev/null; then sleep 1; kill -KILL "-$pg" 2>/dev/null; fi',
    'rm -rf "$d"',
    'exit $status',
    '',
  );
  return lines.join('\n');
}

/**
 * Ends an orphaned step: KILL to its process group when the directory still names one, then the
 * directory goes. A directory that is gone means the step ended and its wrapper cleaned up: nothing
 * to signal (its group id may belong to someone else by now).
 */
function orphanKillProgram(directory: string): string {
  return [
    `d=${shellQuote(directory)}`,
    '[ -d "$d" ] || exit 0',
    'pgid=$(cat "$d/pgid" 2>/dev/null)',
    'if [ -n "$pgid" ] && kill -KILL "-$pgid" 2>/dev/null; then echo ended; fi',
    'rm -rf "$d"',
    'exit 0',
    '',
  ].join('\n');
}

/** Signals the step's whole process group; waits briefly for the group to be recorded. */
function killProgram(directory: string, signal: 'TERM' | 'KILL'): string {
  return [
    `d=${shellQuote(directory)}`,
    'i=0',
    'while [ ! -s "$d/pgid" ] && [ -d "$d" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '[ -s "$d/pgid" ] || exit 0',
    'pgid=$(cat "$d/pgid")',
    // dash takes no `--` before a negative process group.
    `kill -${signal} "-$pgid" 2>/dev/null`,
    'exit 0',
    '',
  ].join('\n');
}
