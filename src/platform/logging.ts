/** The process logger (pino). Baton's own diagnostics, never a job's output. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Credentials never reach the log, even when an object carrying one is logged by mistake. */
const REDACTED = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** A JSON logger on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: string): Logger {
  return pino(
    { level, base: { service: 'baton' }, redact: { paths: REDACTED, censor: '[redacted]' } },
    pino.destination(2),
  );
}

/** A logger that drops everything, for tests and the CLI. */
export const silentLogger: Logger = pino({ level: 'silent' });
