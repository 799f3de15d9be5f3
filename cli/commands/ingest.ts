import type { Command } from 'commander';
import { childLogger } from '../../core/logger.ts';
import { startIngest } from '../../ingest/service.ts';
import { configFrom } from '../context.ts';
import { runUntilSignal } from '../signals.ts';

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
      // Signals are handled from the start: the event consumer inserts while the catalog consumer is still joining its group.
      const ingest = startIngest(config, { progressEveryMs: every * 1000 });
      const stopped = runUntilSignal(log, 'finishing the current batch and committing', async () => (await ingest).stop());
      await ingest;
      await stopped;
    });
}
