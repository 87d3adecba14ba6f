/**
 * Runs one process step (or error handler) to its end: output into the execution's log with
 * backpressure, a step timeout, and an abort signal (cancel, execution timeout, shutdown) that
 * ends the whole process tree.
 */
import { constants } from 'node:os';
import type { LogWriter } from '../logs/writer.js';
import { prepareArgv, type StepCommand } from '../runner/command.js';
import { describeOutlived, startProcess, type StepProcess } from '../runner/process-tree.js';
import { processStartTime } from '../runner/orphans.js';
import type { StepState } from '../executions/model.js';
import { formatDurationAsWritten } from '../../contract/time.js';
import { setLongTimeout } from '../../platform/long-timer.js';

/** How long a step runs before its process is recorded for orphan clean-up. */
const RECORD_PROCESS_AFTER_MS = 100;

/** Why an execution was stopped from outside its steps. */
export type StopReason =
  | { kind: 'cancel'; by: string }
  | { kind: 'timeout'; afterMs: number }
  /** The worker is stopping (drain timeout reached, or the server shuts down). */
  | { kind: 'shutdown' }
  /** The worker could not renew its lease in time; the execution was recovered elsewhere. */
  | { kind: 'lease-lost' };

export interface StepOutcome {
  state: Exclude<StepState, 'pending' | 'running' | 'skipped'>;
  exitCode: number | null;
  reason: string | null;
}

export interface ProcessStepRequest {
  command: StepCommand;
  env: Record<string, string>;
  workDir: string;
  /** Distinguishes the script files of steps and handlers in the work directory. */
  fileStem: string;
  writer: LogWriter;
  timeoutMs: number | undefined;
  graceMs: number;
  signal: AbortSignal;
  /** Told the process once it runs (pid and start time) and once it ended (null), to record it. */
  onProcess?: (process: { pid: number; startTime: string } | null) => Promise<void>;
}

/** The words for an outside stop, as recorded on steps and executions. */
export function describeStop(stop: StopReason): string {
  switch (stop.kind) {
    case 'cancel':
      return `cancelled by ${stop.by}`;
    case 'timeout':
      return `execution timed out after ${formatDurationAsWritten(stop.afterMs)}`;
    case 'shutdown':
      return 'worker stopped';
    case 'lease-lost':
      return 'this worker lost its lease on the execution';
  }
}

export function stateForStop(stop: StopReason): 'cancelled' | 'timed_out' | 'failed' {
  return stop.kind === 'cancel' ? 'cancelled' : stop.kind === 'timeout' ? 'timed_out' : 'failed';
}

/** Pipes a child's stream into the log, pausing it only while storage catches up (local and SSH steps). */
export function pipeInto(
  stream: NodeJS.ReadableStream,
  name: 'stdout' | 'stderr',
  writer: LogWriter,
): Promise<void> {
  return new Promise((resolve) => {
    let stopWaiting: (() => void) | undefined;
    stream.on('data', (data: Buffer) => {
      if (!writer.write(name, data) && !stopWaiting) {
        stream.pause();
        stopWaiting = writer.onDrain(() => {
          stopWaiting?.();
          stopWaiting = undefined;
          stream.resume();
        });
      }
    });
    const end = () => {
      stopWaiting?.();
      writer.endStream(name);
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  });
}

/** Runs the command; never throws for anything the step itself does wrong. */
export async function runProcessStep(request: ProcessStepRequest): Promise<StepOutcome> {
  const { writer, signal } = request;
  if (signal.aborted) {
    const stop = signal.reason as StopReason;
    return { state: stateForStop(stop), exitCode: null, reason: describeStop(stop) };
  }
  let child: StepProcess;
  try {
    const argv = await prepareArgv(request.command, request.workDir, request.fileStem);
    const label = `e${request.env.BATON_EXECUTION_ID ?? ''}-${request.fileStem}`;
    child = await startProcess({ argv, env: request.env, cwd: request.workDir, label });
  } catch (error) {
    const reason = (error as Error).message;
    writer.system(`[baton] ${reason}`);
    return { state: 'failed', exitCode: null, reason };
  }

  // Recorded (for orphan clean-up) only once the step has run a little while: most steps end
  // sooner, and two writes per step were a measurable share of a trivial job's latency.
  let recording: Promise<void> | undefined;
  const recordTimer = setTimeout(() => {
    recording = processStartTime(child.pid).then((startTime) =>
      startTime ? request.onProcess?.({ pid: child.pid, startTime }) : undefined,
    );
  }, RECORD_PROCESS_AFTER_MS);

  let stoppedBy: { state: StepOutcome['state']; reason: string } | undefined;
  const stop = (state: StepOutcome['state'], reason: string) => {
    if (stoppedBy) return;
    stoppedBy = { state, reason };
    writer.system(`[baton] ${reason}: ending the process tree`);
    void child.terminate(request.graceMs);
  };
  const onAbort = () => {
    const reason = signal.reason as StopReason;
    stop(stateForStop(reason), describeStop(reason));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  // A cancel that arrived while the process was being started found no listener: act on it now.
  if (signal.aborted) onAbort();
  const timer =
    request.timeoutMs === undefined
      ? undefined
      : setLongTimeout(
          () => stop('timed_out', `step timed out after ${formatDurationAsWritten(request.timeoutMs!)}`),
          request.timeoutMs,
        );

  const piped = Promise.all([
    pipeInto(child.stdout, 'stdout', writer),
    pipeInto(child.stderr, 'stderr', writer),
  ]);
  const exit = await child.exited;
  await piped;
  // Processes that escaped the tree (double fork into a session of their own) were found and
  // ended after the step; the execution says so, as the README promises.
  for (const line of describeOutlived(child.outlived)) writer.system(`[baton] ${line}`);
  timer?.clear();
  clearTimeout(recordTimer);
  signal.removeEventListener('abort', onAbort);
  if (recording) {
    await recording.catch(() => undefined);
    await request.onProcess?.(null).catch(() => undefined);
  }

  if (stoppedBy) return { state: stoppedBy.state, exitCode: exit.code, reason: stoppedBy.reason };
  if (exit.code === 0) return { state: 'succeeded', exitCode: 0, reason: null };
  const reason = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  // A signal death is reported the way shells do: 128 + the signal number.
  const exitCode = exit.code ?? (exit.signal ? 128 + (constants.signals[exit.signal] ?? 0) : null);
  return { state: 'failed', exitCode, reason };
}
