import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { createClickHouse } from './clickhouse.ts';
import { createKafka } from './kafka.ts';

/** Removes a config's ClickHouse database, on every shard of a sharded layout: the inverse of `migrate`. */
export async function dropDatabase(config: Config): Promise<void> {
  const { shards, url, database } = config.clickhouse;
  const urls = shards.length > 0 ? shards.map((s) => s.url) : [url];
  for (const server of urls) {
    const ch = createClickHouse({ ...config, clickhouse: { ...config.clickhouse, url: server } }, 'default');
    try {
      await withContext(`dropping ClickHouse database ${database} on ${server}`, () => ch.command({ query: `DROP DATABASE IF EXISTS ${database}` }));
    } finally {
      await ch.close();
    }
  }
}

/** Removes a config's ClickHouse database and its topics (events, dead letters, catalog writes): the inverse of `migrate` and `ensureTopics`. */
export async function dropStorage(config: Config): Promise<void> {
  await dropDatabase(config);
  const admin = createKafka(config).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic, config.kafka.catalogTopic] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
