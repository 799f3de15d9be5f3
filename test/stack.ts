import { randomBytes } from 'node:crypto';
import { deepMerge, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { migrate } from '../storage/clickhouse.ts';
import { dropStorage } from '../storage/drop.ts';
import { ensureTopics } from '../storage/kafka.ts';

/**
 * The test stack runs beside a dev stack: its own data dir and ports. `FEED_TEST_PORT_BASE`
 * (default 29000, at most 30000) moves all its ports, so two checkouts can run their suites side by side:
 * Kafka base+92 (controller base+93), ClickHouse HTTP base-877 and TCP base, Redis base+79
 * (started only by tests that set `online.store: redis`).
 */
function portBase(): number {
  const base = Number(process.env.FEED_TEST_PORT_BASE ?? 29000);
  if (!Number.isInteger(base) || base < 1024 || base > 30000) throw new RangeError(`FEED_TEST_PORT_BASE must be an integer from 1024 to 30000 (got ${process.env.FEED_TEST_PORT_BASE})`);
  return base;
}

function testOverrides(): Record<string, unknown> {
  const base = portBase();
  return {
    dataDir: '.data/test',
    logLevel: 'warn',
    ...(process.env.KAFKA_BROKERS ? {} : { kafka: { brokers: [`127.0.0.1:${base + 92}`], controllerPort: base + 93 } }),
    ...(process.env.CLICKHOUSE_URL ? {} : { clickhouse: { url: `http://127.0.0.1:${base - 877}`, tcpPort: base } }),
    ...(process.env.ONLINE_STATE_URL ? {} : { online: { redisUrl: `redis://127.0.0.1:${base + 79}` } }),
  };
}

/**
 * Ports for a private stack (tests that stop or kill services), `slot` × 200 above the shared
 * test stack's. All stay below Linux's ephemeral range (32768+), where an outgoing connection
 * can hold a port just when a broker wants to bind it.
 */
export function privateStackPorts(slot: number): Record<string, unknown> {
  const b = portBase() + slot * 200;
  return { kafka: { brokers: [`127.0.0.1:${b + 92}`], controllerPort: b + 93 }, clickhouse: { url: `http://127.0.0.1:${b - 877}`, tcpPort: b } };
}

export function testConfig(extra: Record<string, unknown> = {}): Config {
  return loadConfig({ overrides: deepMerge(testOverrides(), extra) });
}

/**
 * A config with its own ClickHouse database, Kafka topics and consumer group, created and
 * migrated, so that test files running in parallel never see each other's data.
 */
export async function isolatedConfig(name: string, extra: Record<string, unknown> = {}): Promise<Config> {
  const tag = `${name.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`;
  const config = testConfig(
    deepMerge(
      {
        clickhouse: { database: `t_${tag}` },
        kafka: { topic: `t.${tag}.engagement`, deadLetterTopic: `t.${tag}.dlq`, catalogTopic: `t.${tag}.catalog`, partitions: 2 },
        ingest: { groupId: `t.${tag}.ingest` },
      },
      extra,
    ),
  );
  await migrate(config);
  await ensureTopics(config);
  return config;
}

/** Removes what `isolatedConfig` created: its ClickHouse database and its Kafka topics. */
export const dropIsolated = dropStorage;
