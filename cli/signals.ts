import type { Logger } from '../core/logger.ts';

/**
 * Resolves after SIGINT/SIGTERM once `stop` has finished; a second signal exits at once.
 * A failing stop sets exit code 1.
 */
export function runUntilSignal(log: Logger, what: string, stop: () => Promise<void>, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, `stopping: ${what}`);
      stop().then(resolve, (err: Error) => {
        log.error({ err: err.message }, 'error while stopping');
        process.exitCode = 1;
        resolve();
      });
    };
    for (const signal of signals) process.on(signal, onSignal);
  });
}
