/**
 * SIGTERM and Ctrl-C for long-running commands: the first drains (running executions may
 * finish, up to the drain timeout), a second one stops at once, handing back what still runs.
 */
import type { Logger } from '../platform/logging.js';

export function stopOnSignals(
  logger: Logger,
  drainMs: number,
  handlers: { drain: (drainMs: number) => Promise<void>; hurry: () => void },
): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn({ signal }, 'stopping now: running executions are handed back');
      handlers.hurry();
      return;
    }
    draining = true;
    logger.info({ signal, drainMs }, 'draining: no new executions are claimed (signal again to stop now)');
    void handlers.drain(drainMs).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
