import type { Command } from 'commander';
import { childLogger } from '../../core/logger.ts';
import { startIngest } from '../../ingest/service.ts';
import { configFrom } from '../context.ts';

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description('consume engagement events from Kafka into ClickHouse until SIGINT/SIGTERM (at least once, deduplicated)')
    .option('--progress <seconds>', 'seconds between progress lines', '10')
    .action(async (opts: { progress: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const every = Number(opts.progress);
      if (!Number.isFinite(every) || every <= 0) throw new Error(`--progress must be a positive number of seconds, got ${opts.progress}`);
      const log = childLogger('ingest');
      const ingest = await startIngest(config, { progressEveryMs: every * 1000 });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) {
            log.warn({ signal }, 'second signal: exiting without waiting');
            process.exit(130);
          }
          stopping = true;
          log.info({ signal }, 'stopping: finishing the current batch and committing');
          ingest.stop().then(resolve, (err: Error) => {
            log.error({ err: err.message }, 'error while stopping');
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
