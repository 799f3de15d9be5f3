import type { Consumer } from 'kafkajs';
import { Counter } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { sleep, withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { insertCatalog } from '../storage/catalog.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import { createKafka, subscribeFromStart } from '../storage/kafka.ts';
import { decodeCatalogMessage, type CatalogWrite, type WritableTable } from './catalog-writes.ts';

const written = new Counter({
  name: 'feed_catalog_writes_inserted_total',
  help: 'Catalog writes (items, products, creators, live streams) inserted into ClickHouse',
  labelNames: ['table'] as const,
  registers: [metrics],
});

export interface CatalogConsumer {
  stats(): { inserted: number };
  stop(): Promise<void>;
}

/**
 * Catalog topic → ClickHouse catalog tables, at least once: offsets are committed after the
 * insert. Replays are harmless because each row carries the `updated_at` it was accepted with,
 * so ReplacingMergeTree keeps one version per id whatever arrives twice. ClickHouse down: the
 * insert is retried with backoff while heartbeats keep the group membership.
 */
export async function startCatalogConsumer(config: Config): Promise<CatalogConsumer> {
  const log = childLogger('catalog-consumer');
  const ch = createClickHouse(config);
  const consumer: Consumer = createKafka(config).consumer({ groupId: `${config.ingest.groupId}.catalog`, maxWaitTimeInMs: 200 });
  let inserted = 0;
  let stopping = false;
  await withContext(`connecting the catalog consumer to Kafka ${config.kafka.brokers.join(',')}`, async () => {
    await consumer.connect();
    await subscribeFromStart(consumer, [config.kafka.catalogTopic]);
  });
  await consumer.run({
    eachBatch: async ({ batch, heartbeat }) => {
      const byTable = new Map<WritableTable, CatalogWrite[]>();
      for (const m of batch.messages) {
        const msg = decodeCatalogMessage(m.value);
        if (!msg || 'forget_user' in msg) continue;
        byTable.set(msg.table, [...(byTable.get(msg.table) ?? []), msg]);
      }
      for (const [table, writes] of byTable) {
        for (let attempt = 0; ; attempt++) {
          try {
            await insertCatalog(
              ch,
              table,
              writes.map((w) => ({ ...w.row, updated_at: w.updated_at })),
            );
            break;
          } catch (err) {
            if (stopping) throw err;
            log.warn({ err: (err as Error).message, table, rows: writes.length, attempt }, 'catalog insert failed; retrying');
            await sleep(Math.min(config.ingest.retryMaxMs, config.ingest.retryInitialMs * 2 ** attempt));
            await heartbeat();
          }
        }
        written.inc({ table }, writes.length);
        inserted += writes.length;
      }
    },
  });
  return {
    stats: () => ({ inserted }),
    async stop() {
      stopping = true;
      await consumer.disconnect();
      await ch.close();
    },
  };
}
