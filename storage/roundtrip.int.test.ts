import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { isolatedConfig } from '../test/stack.ts';
import { createClickHouse, type ClickHouseClient } from './clickhouse.ts';
import { createKafka } from './kafka.ts';

describe('the real stack', () => {
  let config: Config;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    config = await isolatedConfig('roundtrip');
    ch = createClickHouse(config);
  });
  afterAll(async () => {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await ch.close();
  });

  it('produces to and consumes from the Kafka broker', async () => {
    const kafka = createKafka(config);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: config.kafka.topic, acks: -1, messages: [{ key: 'u1', value: 'hello' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: config.ingest.groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topic, fromBeginning: true });
    const got = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(`${message.key}:${message.value}`) });
    });
    await consumer.disconnect();
    expect(got).toBe('u1:hello');
  });

  it('has the migrated schema in ClickHouse and reads back what it wrote', async () => {
    const tables = await (await ch.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json<{ name: string }>();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'items', 'products', 'item_stats_hourly', 'user_stats_daily', 'creator_stats', 'social_edges']));
    const ts = Math.floor(Date.now() / 1000);
    await ch.insert({
      table: 'events',
      format: 'JSONEachRow',
      values: [
        { event_id: 'e1', schema_version: 1, kind: 'play', user_id: 'u1', item_id: 'i1', ts, ts_ms: ts * 1000, watch_ms: 4000, duration_ms: 8000, ingested_at: ts },
        { event_id: 'e2', schema_version: 1, kind: 'like', user_id: 'u1', item_id: 'i1', ts, ts_ms: ts * 1000, ingested_at: ts },
      ],
    });
    const stats = await (
      await ch.query({ query: 'SELECT item_id, sum(plays) AS plays, sum(watch_ms) AS watch_ms, sum(likes) AS likes FROM item_stats_hourly GROUP BY item_id', format: 'JSONEachRow' })
    ).json();
    expect(stats).toEqual([{ item_id: 'i1', plays: '1', watch_ms: '4000', likes: '1' }]);
  });
});
