import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { startConsumer } from './consumer.ts';
import { createEventProducer } from './producer.ts';
import { eventCounts, itemStatsMismatch, makeEvent, scalar, waitUntil } from './test-helpers.ts';
import { stackDown, startLocalService } from '../stack/stack.ts';
import { testConfig } from '../test/stack.ts';
import { createClickHouse, migrate } from '../storage/clickhouse.ts';
import { ensureTopics } from '../storage/kafka.ts';

// Two private ClickHouse servers (HTTP 22123/22223, native 22900/22901) forming the cluster
// `feed`, and the test stack's Kafka.
const DATA_DIR = '.data/test-shards';
const tag = randomBytes(4).toString('hex');
const shards = [
  { url: 'http://127.0.0.1:22123', tcp: '127.0.0.1:22900' },
  { url: 'http://127.0.0.1:22223', tcp: '127.0.0.1:22901' },
];
const server = (i: number): Config =>
  testConfig({
    dataDir: `${DATA_DIR}/${i}`,
    clickhouse: { external: false, url: shards[i]!.url, tcpPort: Number(shards[i]!.tcp.split(':')[1]), shards, database: `t_shards_${tag}` },
    kafka: { topic: `shards_${tag}.engagement`, deadLetterTopic: `shards_${tag}.dlq`, partitions: 2 },
    ingest: { groupId: `shards_${tag}.ingest` },
  });
const servers = [server(0), server(1)];
const config = servers[0]!;

describe.skipIf(process.env.CLICKHOUSE_URL)('ClickHouse in the sharded layout over 2 local servers', () => {
  beforeAll(async () => {
    await Promise.all(servers.map((s) => startLocalService(s, 'clickhouse')));
    await migrate(config);
    await ensureTopics(config);
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) await stackDown(s); // only what has a pid file under its dataDir: the ClickHouse server
    rmSync(DATA_DIR, { recursive: true, force: true });
  }, 120_000);

  it('ingest goes through the distributed table: every event once, spread over both shards, aggregates equal to the raw events', async () => {
    const N = 2000;
    const ch = createClickHouse(config);
    const locals = servers.map((s) => createClickHouse(s));
    const consumer = await startConsumer(config);
    const producer = await createEventProducer(config);
    try {
      for (let i = 0; i < N; i += 250) await producer.send(Array.from({ length: 250 }, (_, k) => makeEvent(i + k, `sh${tag}`)));
      await waitUntil(`${N} events through the distributed table`, async () => (await eventCounts(ch)).rows >= N, 90_000);
      expect(await eventCounts(ch)).toEqual({ rows: N, distinct: N });
      const perShard = await Promise.all(locals.map((c) => scalar(c, 'SELECT count() FROM events_local')));
      expect(perShard.every((n) => n > 0)).toBe(true);
      expect(perShard[0]! + perShard[1]!).toBe(N);
      // Materialized views fill each shard's local stats; the distributed stats sum over shards.
      expect(await itemStatsMismatch(ch)).toEqual([]);
      // A view joining two distributed tables runs (GLOBAL join); no catalog rows here, so no creators.
      await expect(ch.query({ query: 'SELECT * FROM creator_stats', format: 'JSONEachRow' }).then((r) => r.json())).resolves.toEqual([]);
    } finally {
      await producer.close();
      await consumer.stop();
      await ch.close();
      for (const c of locals) await c.close();
    }
  }, 240_000);
});
