import type { Config } from '../config/schema.ts';
import { sleep, withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { migrate } from '../storage/clickhouse.ts';
import { ensureTopics } from '../storage/kafka.ts';
import { startCatalogConsumer } from './catalog-consumer.ts';
import { startConsumer } from './consumer.ts';
import type { IngestStats } from './ingest-metrics.ts';

export interface RunningIngest {
  stats(): IngestStats;
  stop(): Promise<void>;
}

/**
 * Runs the ingest consumer and the catalog consumer (catalog writes into ClickHouse) in this process (used by `feed ingest` and the all-in-one
 * `feed start`): makes sure the topics and tables exist, then consumes until stop().
 * Logs progress (events/s, lag in Kafka messages) every `progressEveryMs` while there is traffic.
 */
export async function startIngest(config: Config, opts: { progressEveryMs?: number } = {}): Promise<RunningIngest> {
  const log = childLogger('ingest');
  await withContext('preparing Kafka topics for ingest', () => ensureTopics(config));
  await withContext('migrating the ClickHouse schema for ingest', () => migrate(config));
  const consumer = await startConsumer(config);
  const catalog = await startCatalogConsumer(config);
  const every = opts.progressEveryMs ?? 10_000;
  let last = consumer.stats();
  let lastAt = Date.now();
  const timer = setInterval(() => {
    const now = consumer.stats();
    const delta = now.inserted - last.inserted;
    const lag = Object.values(now.lag).reduce((a, b) => a + b, 0);
    if (delta > 0 || lag > 0 || now.insertFailures > last.insertFailures) {
      const secs = (Date.now() - lastAt) / 1000;
      log.info(
        { inserted: now.inserted, perSecond: Math.round(delta / secs), lagMessages: lag, duplicates: now.duplicates, deadLettered: now.deadLettered, insertFailures: now.insertFailures },
        'ingest progress',
      );
    }
    last = now;
    lastAt = Date.now();
  }, every);
  timer.unref();
  return {
    stats: () => consumer.stats(),
    async stop() {
      clearInterval(timer);
      await catalog.stop();
      await consumer.stop();
    },
  };
}

/** Waits until the ingest consumer has handled `events` messages (inserted or deduplicated). */
export async function waitForIngest(ingest: RunningIngest, events: number, say: (line: string) => void): Promise<void> {
  let lastPrint = 0;
  for (;;) {
    const s = ingest.stats();
    const handled = s.inserted + s.duplicates + s.deadLettered;
    if (handled >= events) return;
    if (Date.now() - lastPrint > 2000) {
      say(`ingest ${handled.toLocaleString('en-US')}/${events.toLocaleString('en-US')} events into ClickHouse`);
      lastPrint = Date.now();
    }
    await sleep(250);
  }
}
