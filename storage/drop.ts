import type { Config } from '../config/schema.ts';
import { createClickHouse } from './clickhouse.ts';
import { createKafka } from './kafka.ts';

/** Removes a config's ClickHouse database and its topics (events, dead letters, catalog writes): the inverse of `migrate` and `ensureTopics`. */
export async function dropStorage(config: Config): Promise<void> {
  const ch = createClickHouse(config);
  try {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
  } finally {
    await ch.close();
  }
  const admin = createKafka(config).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic, config.kafka.catalogTopic] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
