import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepMerge } from '../config/load.ts';
import { sleep } from '../core/errors.ts';
import type { Config } from '../config/schema.ts';
import { createApp } from './app.ts';
import { eventsRoutes } from './routes/events.ts';
import { createClickHouse, migrate } from '../storage/clickhouse.ts';
import { ensureTopics } from '../storage/kafka.ts';
import { stackDown, stackUp, startLocalService, stopLocalService } from '../stack/stack.ts';
import { privateStackPorts, testConfig } from '../test/stack.ts';
import { startConsumer } from '../ingest/consumer.ts';
import { createEventProducer } from '../ingest/producer.ts';
import type { EngagementEvent } from '../ingest/events.ts';
import { eventCounts, itemStatsMismatch, makeEvent, waitUntil } from '../ingest/test-helpers.ts';

// A private stack on its own ports: these tests stop ClickHouse and kill consumers.
const DATA_DIR = '.data/test-faults';
const base = testConfig(
  deepMerge(privateStackPorts(2), {
    dataDir: DATA_DIR,
    kafka: { external: false, heapMb: 256, partitions: 2 },
    clickhouse: { external: false },
    ingest: { retryInitialMs: 100, retryMaxMs: 1000 },
  }),
);

async function world(name: string, extra: Record<string, unknown> = {}): Promise<Config> {
  const config = deepMerge(base as unknown as Record<string, unknown>, {
    clickhouse: { database: name },
    kafka: { topic: `${name}.engagement`, deadLetterTopic: `${name}.dlq` },
    ingest: { groupId: `${name}.ingest`, ...extra },
  }) as unknown as Config;
  await migrate(config);
  await ensureTopics(config);
  return config;
}

/** Produces events [from, to) in batches like HTTP clients would. */
async function produce(config: Config, from: number, to: number, prefix: string): Promise<void> {
  const producer = await createEventProducer(config);
  try {
    for (let i = from; i < to; i += 250) {
      await producer.send(Array.from({ length: Math.min(250, to - i) }, (_, k) => makeEvent(i + k, prefix)));
    }
  } finally {
    await producer.close();
  }
}

describe.skipIf(process.env.KAFKA_BROKERS || process.env.CLICKHOUSE_URL)('ingest under faults (private stack)', () => {
  beforeAll(async () => {
    await stackUp(base);
  }, 180_000);

  afterAll(async () => {
    await stackDown(base);
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  it('ClickHouse stopped mid-stream and restarted: exactly N distinct events, no double counting', async () => {
    const N = 3000;
    const config = await world('faults_ch');
    const ch = createClickHouse(config);
    const consumer = await startConsumer(config);
    try {
      await produce(config, 0, 1000, 'ch');
      await waitUntil('the first events', async () => (await eventCounts(ch)).rows > 0);
      expect(await stopLocalService(config, 'clickhouse')).toBe(true);
      await produce(config, 1000, N, 'ch');
      await waitUntil('failed inserts to be retried', () => consumer.stats().insertFailures >= 2, 30_000);
      await startLocalService(config, 'clickhouse');
      await waitUntil(`${N} events after catch-up`, async () => (await eventCounts(ch).catch(() => ({ rows: 0 }))).rows >= N, 90_000);
      expect(await eventCounts(ch)).toEqual({ rows: N, distinct: N });
      expect(await itemStatsMismatch(ch)).toEqual([]);
    } finally {
      await consumer.stop();
      await ch.close();
    }
  }, 180_000);

  it('a rebalance during a ClickHouse outage leaves no partition paused: every event arrives once ClickHouse is back', async () => {
    const N = 2000;
    const config = await world('faults_rebalance');
    const ch = createClickHouse(config);
    const a = await startConsumer(config);
    try {
      await produce(config, 0, 500, 'rb');
      await waitUntil('the first events', async () => (await eventCounts(ch)).rows > 0);
      expect(await stopLocalService(config, 'clickhouse')).toBe(true);
      await produce(config, 500, N, 'rb');
      await waitUntil('consumer A to pause and retry', () => a.stats().insertFailures >= 1, 30_000);
      // B joins and leaves while A is paused in its retry loop: A abandons its batches twice.
      const b = await startConsumer(config);
      await sleep(5_000);
      await b.stop();
      await startLocalService(config, 'clickhouse');
      await waitUntil(`${N} events read by A alone`, async () => (await eventCounts(ch).catch(() => ({ rows: 0 }))).rows >= N, 90_000);
      expect(await eventCounts(ch)).toEqual({ rows: N, distinct: N });
      expect(await itemStatsMismatch(ch)).toEqual([]);
    } finally {
      await a.stop();
      await ch.close();
    }
  }, 180_000);

  it('the Kafka broker restarted mid-stream: every event answered 200 is stored once, refusals are 503 with retry-after, retries are not doubled', async () => {
    // A short produce timeout, so requests during the outage are answered quickly.
    const config = await world('faults_kafka', { produceTimeoutMs: 1500 });
    const ch = createClickHouse(config);
    const producer = await createEventProducer(config);
    const app = createApp(config, [eventsRoutes({ config, producer })]);
    const consumer = await startConsumer(config);
    const answers: { batch: EngagementEvent[]; status: number; retryAfter: string | null }[] = [];
    const post = async (batch: EngagementEvent[]) => {
      const res = await app.request('/v1/events', {
        method: 'POST',
        headers: { 'x-api-key': 'demo-app-key', 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
      return { batch, status: res.status, retryAfter: res.headers.get('retry-after') };
    };
    let next = 0;
    let sending = true;
    // Two clients posting batches of 20 while the broker goes down and comes back.
    const client = async () => {
      while (sending) {
        const batch = Array.from({ length: 20 }, () => makeEvent(next++, 'kr'));
        answers.push(await post(batch));
        await sleep(20);
      }
    };
    try {
      await produce(config, 0, 2000, 'backlog'); // the consumer is mid-stream when the broker goes
      const clients = [client(), client()];
      await waitUntil('accepted batches before the outage', () => answers.filter((a) => a.status === 200).length >= 5);
      expect(await stopLocalService(config, 'kafka')).toBe(true);
      await waitUntil('refusals during the outage', () => answers.some((a) => a.status !== 200), 20_000);
      await startLocalService(config, 'kafka');
      const acceptedAtRestart = answers.filter((a) => a.status === 200).length;
      await waitUntil('accepted batches after the restart', () => answers.filter((a) => a.status === 200).length >= acceptedAtRestart + 5, 30_000);
      sending = false;
      await Promise.all(clients);

      const refused = answers.filter((a) => a.status !== 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(new Set(refused.map((a) => `${a.status} retry-after ${a.retryAfter}`))).toEqual(new Set(['503 retry-after 1']));
      // The clients retry what was refused with the same event ids; some of it may have reached Kafka already.
      for (const a of refused) expect((await post(a.batch)).status).toBe(200);

      const sent = next + 2000;
      await waitUntil(`${sent} events`, async () => (await eventCounts(ch).catch(() => ({ rows: 0 }))).rows >= sent, 30_000);
      await sleep(1000); // a late duplicate would land now
      expect(await eventCounts(ch)).toEqual({ rows: sent, distinct: sent });
      expect(await itemStatsMismatch(ch)).toEqual([]);
    } finally {
      sending = false;
      await consumer.stop();
      await producer.close();
      await ch.close();
    }
  }, 120_000);

  it('the consumer process SIGKILLed mid-batch and restarted: exactly N distinct events, aggregates match raw events', async () => {
    const N = 4000;
    // Small insert statements, so that a batch takes many inserts and the kill lands inside one.
    const config = await world('faults_kill', { maxBatchEvents: 100 });
    const file = `${DATA_DIR}/faults_kill.json`;
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(config));
    const env: NodeJS.ProcessEnv = { ...process.env, FEED_CONFIG: file, LOG_LEVEL: 'warn' };
    delete env.KAFKA_BROKERS;
    delete env.CLICKHOUSE_URL;
    const run = (): ChildProcess => spawn(process.execPath, ['bin/feed.js', 'ingest', '--progress', '1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ch = createClickHouse(config);
    try {
      await produce(config, 0, N / 2, 'kill');
      const first = run();
      await waitUntil('the first inserts', async () => (await eventCounts(ch)).rows > 0);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const atKill = (await eventCounts(ch)).rows;
      expect(atKill).toBeLessThanOrEqual(N / 2);

      await produce(config, N / 2, N, 'kill');
      const second = run();
      let stderr = '';
      second.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await waitUntil(`${N} events`, async () => (await eventCounts(ch)).rows >= N, 90_000);
      second.kill('SIGTERM');
      const code = await new Promise((r) => second.once('exit', r));
      expect({ code, stderr: stderr.slice(0, 2000) }).toEqual({ code: 0, stderr: expect.any(String) });

      expect(await eventCounts(ch)).toEqual({ rows: N, distinct: N });
      expect(await itemStatsMismatch(ch)).toEqual([]);
    } finally {
      await ch.close();
    }
  }, 180_000);
});
