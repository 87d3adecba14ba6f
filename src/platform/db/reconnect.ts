/**
 * Riding out a lost database connection (PostgreSQL restarted, a backend terminated, a network
 * blip): the writes that record an execution's progress are retried until the database is
 * back, instead of leaving the execution half-recorded.
 */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01', // admin_shutdown: pg_terminate_backend, or the server shutting down
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  'SQLITE_BUSY',
]);

/** True for errors that say the connection went away, not that the statement was wrong. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|terminating connection/i.test(
    error.message,
  );
}

const DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * Runs a database operation, retrying it while the error is a lost connection, for up to
 * `patienceMs` (default two minutes); any other error is thrown at once.
 */
export async function withReconnect<T>(operation: () => Promise<T>, patienceMs = 120_000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isConnectionError(error) || Date.now() >= deadline) throw error;
      const delay = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)]!;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
