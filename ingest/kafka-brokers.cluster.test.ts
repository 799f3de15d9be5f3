import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { kafkaProcess, localBrokers } from '../stack/kafka-broker.ts';
import { runningPid } from '../stack/process.ts';
import { startLocalService, stackDown, type ServiceName } from '../stack/stack.ts';
import { createClickHouse, migrate } from '../storage/clickhouse.ts';
import { createKafka, ensureTopics } from '../storage/kafka.ts';
import { testConfig } from '../test/stack.ts';
import { startConsumer } from './consumer.ts';
import { decodeMessage } from './decode.ts';
import { createEventProducer } from './producer.ts';
import { makeEvent, scalar, waitUntil } from './test-helpers.ts';

// A private 3-broker KRaft cluster on ports 22092/22192/22292 (controllers 22093-22095), with
// the test stack's ClickHouse: this test kills a broker.
const DATA_DIR = '.data/test-kafka-cluster';
const tag = randomBytes(4).toString('hex');
const config: Config = testConfig({
  dataDir: DATA_DIR,
  kafka: {
    external: false,
    localBrokers: 3,
    brokers: ['127.0.0.1:22092', '127.0.0.1:22192', '127.0.0.1:22292'],
    controllerPort: 22093,
    replicationFactor: 3,
    partitions: 3,
    heapMb: 256,
    topic: `cluster_${tag}.engagement`,
    deadLetterTopic: `cluster_${tag}.dlq`,
  },
  clickhouse: { database: `t_cluster_${tag}` },
  ingest: { groupId: `cluster_${tag}.ingest` },
});
const brokers = localBrokers(config);

/** Every event id in the topic, read from the beginning by a fresh group up to the high watermarks. */
async function topicEventIds(cfg: Config): Promise<Set<string>> {
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(cfg.kafka.topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const ids = new Set<string>();
  const done = new Set([...ends].filter(([, high]) => high === 0).map(([p]) => p));
  const consumer = kafka.consumer({ groupId: `${cfg.ingest.groupId}.readback.${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [cfg.kafka.topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) for (const d of decodeMessage(m)) if (d.ok) ids.add(d.event.event_id);
      if (Number(batch.lastOffset()) + 1 >= ends.get(batch.partition)!) done.add(batch.partition);
    },
  });
  await waitUntil('reading the topic back', () => done.size === ends.size, 60_000);
  await consumer.disconnect();
  return ids;
}

describe.skipIf(process.env.KAFKA_BROKERS)('a 3-broker Kafka cluster (private brokers)', () => {
  beforeAll(async () => {
    await Promise.all(brokers.map((b) => startLocalService(config, b.name as ServiceName)));
    await migrate(config);
    await ensureTopics(config);
  }, 180_000);

  afterAll(async () => {
    await stackDown(config);
    rmSync(DATA_DIR, { recursive: true, force: true });
  }, 120_000);

  it('SIGKILL of a partition leader mid-stream: every acknowledged event is in ClickHouse exactly once; the restarted broker catches up', async () => {
    const admin = createKafka(config).admin();
    await admin.connect();
    const ch = createClickHouse(config);
    const consumer = await startConsumer(config);
    const producer = await createEventProducer(config);
    try {
      const topicReplicas = async () => (await admin.fetchTopicMetadata({ topics: [config.kafka.topic] })).topics[0]!.partitions;
      expect((await topicReplicas()).every((p) => p.replicas.length === 3)).toBe(true);
      const leader = (await topicReplicas())[0]!.leader;
      const victim = brokers.find((b) => b.nodeId === leader)!;

      const N = 3000;
      const acknowledged: string[] = [];

      for (let i = 0; i < N; i += 100) {
        if (i === 1000) process.kill(runningPid(kafkaProcess(config, victim))!, 'SIGKILL');
        const batch = Array.from({ length: 100 }, (_, k) => makeEvent(i + k, `cl${tag}`));
        try {
          await producer.send(batch);
          acknowledged.push(...batch.map((e) => e.event_id));
        } catch {
          // The API answers 503 for these; nothing is claimed about them.
        }
      }
      // With two of three brokers left, min.insync.replicas=2 still accepts writes.
      expect(acknowledged.length).toBeGreaterThanOrEqual(N - 500);

      // First: Kafka kept every acknowledged event (acks=all, min.insync.replicas=2).
      const inKafka = await topicEventIds(config);
      expect(acknowledged.filter((id) => !inKafka.has(id))).toEqual([]);
      const ids = acknowledged.map((id) => `'${id}'`).join(',');
      const present = () => scalar(ch, `SELECT uniqExact(event_id) FROM events WHERE event_id IN (${ids})`);
      await waitUntil('every acknowledged event in ClickHouse', async () => (await present()) >= acknowledged.length, 120_000).catch(() => undefined);
      expect(await present()).toBe(acknowledged.length);
      // Exactly once: no event id has two rows (dedup happens before insert, so no FINAL here).
      expect(await scalar(ch, 'SELECT count() - uniqExact(event_id) FROM events')).toBe(0);

      await startLocalService(config, victim.name as ServiceName);
      await waitUntil('the restarted broker back in every in-sync replica set', async () => (await topicReplicas()).every((p) => p.isr.length === 3), 120_000);
    } finally {
      await producer.close();
      await consumer.stop();
      await ch.close();
      await admin.disconnect();
    }
  }, 300_000);
});
