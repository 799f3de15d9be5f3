import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { childLogger } from '../../core/logger.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { guardDefaultSecrets } from '../../feed-api/server.ts';
import { createFeedService } from '../../feed-api/service.ts';
import { startIngest, waitForIngest } from '../../ingest/service.ts';
import { progressBar } from '../../models/progress-bar.ts';
import { promotedVersion } from '../../models/registry.ts';
import { trainInThread } from '../../models/train-thread.ts';
import { progressPrinter } from '../../simulator/progress.ts';
import { seedWorld } from '../../simulator/seed.ts';
import { catalogSize } from '../../storage/catalog.ts';
import { migrate } from '../../storage/clickhouse.ts';
import { dropDatabase } from '../../storage/drop.ts';
import { stackUp } from '../../stack/stack.ts';
import { configFrom } from '../context.ts';
import { runUntilSignal } from '../signals.ts';
import { nonNegativeInt } from './seed.ts';

interface StartOptions {
  items?: number;
  users?: number;
  days?: number;
  reseed?: boolean;
  retrain?: boolean;
  epochs: number;
  port?: number;
}

/**
 * The all-in-one development job: local stack, ingest consumer, demo world (first run),
 * trained and promoted models (first run), and the feed API with hot reload.
 */
async function start(config: Config, opts: StartOptions): Promise<void> {
  const log = childLogger('start');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const t0 = Date.now();
  // Before minutes of seeding and training: would the API be allowed to listen at all?
  guardDefaultSecrets(config);

  const stack = await stackUp(config);
  say(
    `[start] stack: ${Object.entries(stack)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (data in ${config.dataDir}/)`,
  );
  if (opts.reseed || (await catalogSize(config)) === 0) {
    if (opts.reseed) {
      // A world loaded over another mixes their histories (ingest deduplication drops only the
      // repeats it still remembers), and training would learn from both: start from an empty database.
      say(`[start] --reseed: dropping database ${config.clickhouse.database} (the previous world's catalog, events and aggregates)`);
      await dropDatabase(config);
      await migrate(config);
    }
    // Ingest runs while the history streams in, and stops before training blocks this process.
    const seeding = await startIngest(config);
    const seeded = await seedWorld(config, {
      ...(opts.items !== undefined ? { items: opts.items } : {}),
      ...(opts.users !== undefined ? { users: opts.users } : {}),
      ...(opts.days !== undefined ? { days: opts.days } : {}),
      onProgress: progressPrinter('seed'),
    });
    say(`[start] demo world: ${seeded.rows.items.toLocaleString('en-US')} videos, ${seeded.rows.users.toLocaleString('en-US')} users, ${seeded.events.toLocaleString('en-US')} historical events`);
    await waitForIngest(seeding, seeded.events, (line) => say(`[start] ${line}`));
    await seeding.stop();
  } else {
    say('[start] catalog already loaded (use --reseed for a new demo world)');
  }

  if (opts.retrain || !promotedVersion(config)) {
    const bars = { retrieval: progressBar('retrieval'), ranker: progressBar('ranker') };
    const report = await trainInThread(config, { promote: true, epochs: opts.epochs, onProgress: (model, p) => bars[model].update(p) }).finally(() => {
      bars.retrieval.stop();
      bars.ranker.stop();
    });
    say(`[start] trained and promoted model ${report.version}`);
  } else {
    say(`[start] serving promoted model ${promotedVersion(config)} (use --retrain to train a new one)`);
  }

  const ingest = await startIngest(config);
  const service = await createFeedService(config, { models: registryModelSource(config) });
  const server = await service.start(opts.port);
  say('');
  say(`feed API     ${server.url}   (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  say(`feed app     ${server.url}/app/`);
  say(`dashboard    ${server.url}/dashboard/`);
  say(`health       ${server.url}/v1/health`);
  say(`try          curl -H 'x-api-key: demo-app-key' '${server.url}/v1/feed?user_id=u1&count=5'`);
  say('Ctrl-C stops the API and the ingest consumer; `feed stack down` stops Kafka and ClickHouse.');
  await runUntilSignal(log, 'draining requests and committing ingest', async () => {
    await service.stop();
    await ingest.stop();
  });
}

export function registerStartCommands(program: Command): void {
  program
    .command('start')
    .description('run everything on local defaults: stack, ingest, demo world, training, and the feed API')
    .option('--items <n>', 'videos in the demo world (default: simulator.items)', nonNegativeInt)
    .option('--users <n>', 'people in the demo world (default: simulator.users)', nonNegativeInt)
    .option('--days <n>', 'days of demo history (default: simulator.days)', nonNegativeInt)
    .option('--reseed', 'replace the demo world: drop the database (catalog, events, aggregates) and load a new one')
    .option('--retrain', 'train and promote new models even if one is promoted')
    .option('--epochs <n>', 'training epochs for the demo models (`feed train` uses the configured epochs)', nonNegativeInt, 3)
    .option('-p, --port <port>', 'API port (default: api.port / $FEED_PORT)', nonNegativeInt)
    .action(async (opts: StartOptions, cmd: Command) => start(configFrom(cmd), opts));
}
