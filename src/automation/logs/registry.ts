/**
 * The log writers active in this process, by execution id, so that readers here can serve lines
 * that are not stored yet (a writer keeps up to a second of output before storing it).
 */
import type { LogWriter } from './writer.js';

export class LogRegistry {
  private readonly writers = new Map<number, LogWriter>();

  /** Makes a writer's pending lines visible to readers in this process. */
  register(executionId: number, writer: LogWriter): void {
    this.writers.set(executionId, writer);
  }

  /** Forgets the writer, only if it is still the one registered; call after its close() settled. */
  unregister(executionId: number, writer?: LogWriter): void {
    if (writer === undefined || this.writers.get(executionId) === writer) this.writers.delete(executionId);
  }

  /** The active writer of an execution in this process, if any. */
  get(executionId: number): LogWriter | undefined {
    return this.writers.get(executionId);
  }
}
