import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { MIGRATIONS } from './migrations.ts';

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

export async function clickhouseVersion(client: ClickHouseClient): Promise<string> {
  const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  const rows = await rs.json<{ v: string }>();
  return rows[0]?.v ?? 'unknown';
}

/** Creates the database and applies every migration not yet recorded. Returns the ids applied. */
export async function migrate(config: Config): Promise<number[]> {
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
      if (done.has(m.id)) continue;
      for (const statement of m.statements) {
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
