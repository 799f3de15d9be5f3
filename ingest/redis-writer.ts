/**
 * Writes the per-user online state into Redis from the event stream, once per event across
 * all replicas: every serving replica joins one consumer group, so each partition has one
 * writer. Offsets are committed after Redis acknowledged (at least once; the writes are
 * idempotent by (user, event_id)). A new group starts at the beginning of the topic, which
 * rebuilds the users' state from Kafka's retention.
 */
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { createKafka, subscribeFromStart } from '../storage/kafka.ts';
import { decodeMessage } from './decode.ts';
import type { EngagementEvent } from './events.ts';
import type { RedisUserStore } from './redis-user-store.ts';

export interface RedisWriter {
  stats(): { written: number };
  stop(): Promise<void>;
}

function redisWriterGroup(config: Config): string {
  return `${config.ingest.groupId}.online-redis`;
}

export async function startRedisWriter(config: Config, users: RedisUserStore): Promise<RedisWriter> {
  const log = childLogger('redis-writer');
  const groupId = redisWriterGroup(config);
  const consumer = createKafka(config).consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let written = 0;
  await withContext(`connecting the Redis writer to Kafka ${config.kafka.brokers.join(',')}`, async () => {
    await consumer.connect();
    await subscribeFromStart(consumer, [config.kafka.topic]);
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const events: EngagementEvent[] = [];
      for (const m of batch.messages) for (const d of decodeMessage(m)) if (d.ok) events.push(d.event);
      // A failed write throws: kafkajs retries the batch and commits nothing past it.
      await withContext(`writing ${events.length} events to Redis`, () => users.write(events));
      written += events.length;
    },
  });
  log.info({ groupId }, 'Redis writer running');
  return {
    stats: () => ({ written }),
    stop: () => consumer.disconnect(),
  };
}
