import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { createKafka, deleteOwnGroup, subscribeFromStart } from '../storage/kafka.ts';
import { decodeCatalogMessage, type CatalogMessage } from './catalog-writes.ts';

export interface CatalogFollower {
  stats(): { applied: number };
  stop(): Promise<void>;
}

/**
 * Follows the catalog topic on one serving replica, with its own consumer group (never
 * committed, deleted on stop) so every replica sees every write, typically a few hundred ms
 * after it was accepted. It starts at the writes produced since `sinceMs` (a little before the
 * replica loaded its catalog from ClickHouse), so a write the ingest process had not inserted
 * yet is not missed; applying one twice is harmless (upserts by version).
 */
export async function startCatalogFollower(config: Config, sinceMs: number, apply: (messages: CatalogMessage[]) => void): Promise<CatalogFollower> {
  const log = childLogger('catalog-follower');
  const groupId = `${config.ingest.groupId}.catalog.${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const topic = config.kafka.catalogTopic;
  const kafka = createKafka(config);
  const admin = kafka.admin();
  const start = await withContext(`finding catalog writes since ${new Date(sinceMs).toISOString()}`, async () => {
    await admin.connect();
    try {
      return await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
    } finally {
      await admin.disconnect();
    }
  });
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let applied = 0;
  await withContext(`connecting the catalog follower to Kafka ${config.kafka.brokers.join(',')}`, async () => {
    await consumer.connect();
    await subscribeFromStart(consumer, [topic]);
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const messages: CatalogMessage[] = [];
      for (const m of batch.messages) {
        const msg = decodeCatalogMessage(m.value);
        if (msg) messages.push(msg);
      }
      if (messages.length === 0) return;
      apply(messages);
      applied += messages.length;
    },
  });
  for (const { partition, offset } of start) consumer.seek({ topic, partition, offset });
  log.info({ groupId, since: new Date(sinceMs).toISOString() }, 'catalog follower running');
  return {
    stats: () => ({ applied }),
    async stop() {
      await consumer.disconnect();
      await deleteOwnGroup(kafka, groupId);
    },
  };
}
