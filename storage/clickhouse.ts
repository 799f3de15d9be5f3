import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { MIGRATIONS } from './migrations.ts';
import { shardStatement } from './sharded-schema.ts';

export type { ClickHouseClient };

/** A client bound to the configured database (or another one, for bootstrap). */
export function createClickHouse(config: Config, database = config.clickhouse.database, quiet = false): ClickHouseClient {
  return createClient({
    ...(quiet ? { log: { level: ClickHouseLogLevel.OFF } } : {}),
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    database,
    request_timeout: config.clickhouse.requestTimeoutMs,
    application: 'feed-engine',
    compression: { request: false, response: false },
    // On a busy host the timers that retire idle sockets fire late, and a socket the server has
    // already closed (keep_alive_timeout, 3 s) is reused: "socket hang up" mid-training. Check
    // a socket's age before reusing it instead.
    keep_alive: { eagerly_destroy_stale_sockets: true },
    // Sharded layout: an insert returns once every shard has its rows (the ingest consumer reads
    // back what it stored), and joins/IN over distributed tables read the right side once, GLOBAL.
    ...(config.clickhouse.shards.length > 0 ? { clickhouse_settings: { insert_distributed_sync: 1, distributed_product_mode: 'global' } } : {}),
  });
}

export async function clickhouseHealthy(config: Config): Promise<boolean> {
  const client = createClickHouse(config, 'default', true);
  try {
    const res = await client.ping();
    return res.success;
  } finally {
    await client.close();
  }
}

/**
 * Creates the database and applies every migration not yet recorded; with `clickhouse.shards`,
 * on every shard in the sharded layout (storage/sharded-schema.ts). Returns the ids applied
 * (on the entry server).
 */
export async function migrate(config: Config): Promise<number[]> {
  const { shards, cluster, database } = config.clickhouse;
  if (shards.length === 0) return migrateServer(config, (statement) => [statement]);
  let applied: number[] = [];
  for (const shard of shards) {
    const tables = new Set<string>();
    const ids = await withContext(`migrating shard ${shard.url}`, () =>
      migrateServer({ ...config, clickhouse: { ...config.clickhouse, url: shard.url } }, (statement) => shardStatement(statement, cluster, database, tables)),
    );
    if (shard.url === config.clickhouse.url) applied = ids;
  }
  return applied;
}

async function migrateServer(config: Config, layout: (statement: string) => string[]): Promise<number[]> {
  const db = config.clickhouse.database;
  const boot = createClickHouse(config, 'default');
  try {
    await withContext(`creating ClickHouse database ${db}`, () => boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` }));
  } finally {
    await boot.close();
  }
  const client = createClickHouse(config);
  try {
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations (id UInt32, name String, applied_at DateTime)
              ENGINE = MergeTree ORDER BY id`,
    });
    const rs = await client.query({ query: 'SELECT id FROM schema_migrations', format: 'JSONEachRow' });
    const done = new Set((await rs.json<{ id: number }>()).map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      // Every statement goes through the layout, also for applied migrations: it tracks the tables created.
      const statements = m.statements.flatMap(layout);
      if (done.has(m.id)) continue;
      for (const statement of statements) {
        await withContext(`ClickHouse migration ${m.id} (${m.name})`, () => client.command({ query: statement }));
      }
      await client.insert({
        table: 'schema_migrations',
        values: [{ id: m.id, name: m.name, applied_at: Math.floor(Date.now() / 1000) }],
        format: 'JSONEachRow',
      });
      applied.push(m.id);
    }
    return applied;
  } finally {
    await client.close();
  }
}
