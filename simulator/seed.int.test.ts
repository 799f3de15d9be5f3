import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { decodeMessage } from '../ingest/decode.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { createKafka } from '../storage/kafka.ts';
import { isolatedConfig } from '../test/stack.ts';
import { readSeededSpec, seedWorld, type SeedResult } from './seed.ts';

describe('feed seed against the real stack', () => {
  let config: Config;
  let ch: ClickHouseClient;
  let result: SeedResult;
  const dataDir = mkdtempSync(join(tmpdir(), 'feed-seed-'));

  beforeAll(async () => {
    config = await isolatedConfig('seed', { dataDir });
    ch = createClickHouse(config);
    result = await seedWorld(config, { items: 400, users: 80, days: 1, seed: 13 });
  });
  afterAll(async () => {
    await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await ch?.close();
    const admin = createKafka(config).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic] }).catch(() => {});
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads every catalog table into ClickHouse', async () => {
    const count = async (table: string) => Number((await (await ch.query({ query: `SELECT count() AS n FROM ${table} FINAL`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
    expect(result.rows.items).toBe(400);
    expect(result.rows.users).toBe(80);
    for (const [table, n] of Object.entries(result.rows)) expect(await count(table), table).toBe(n);
    const cols = (await (await ch.query({ query: 'DESCRIBE TABLE items', format: 'JSONEachRow' })).json<{ name: string }>()).map((c) => c.name);
    expect(cols).not.toContain('quality');
    const row = (await (await ch.query({ query: "SELECT item_id, toUInt32(published_at) AS p FROM items WHERE item_id = 'v7'", format: 'JSONEachRow' })).json<{ p: number }>())[0];
    expect(row?.p).toBeLessThanOrEqual(result.spec.nowSec);
  });

  it('sends the simulated history through the Kafka topic as valid past events', async () => {
    expect(result.events).toBeGreaterThan(100);
    const consumer = createKafka(config).consumer({ groupId: `${config.ingest.groupId}.check`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.topic, fromBeginning: true });
    const seen = new Set<string>();
    let invalid = 0;
    let future = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${result.events} events arrived`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          for (const parsed of decodeMessage(message)) {
            if (!parsed.ok) invalid++;
            else {
              seen.add(parsed.event.event_id);
              if (parsed.event.ts > result.spec.nowSec * 1000) future++;
            }
          }
          if (seen.size + invalid >= result.events) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(invalid).toBe(0);
    expect(future).toBe(0);
    expect(seen.size).toBe(result.events);
  });

  it('records the world spec for feed simulate', () => {
    expect(readSeededSpec(config)).toEqual(result.spec);
  });
});
