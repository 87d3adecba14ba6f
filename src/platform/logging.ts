/** The process logger (pino). Baton's own diagnostics, never a job's output. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A JSON logger on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'baton' } }, pino.destination(2));
}

/** A logger that drops everything, for tests and the CLI. */
export const silentLogger: Logger = pino({ level: 'silent' });
