import { join } from 'node:path';
import { deepMerge } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { seedWorld } from '../../simulator/seed.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { ensureTopics } from '../../storage/kafka.ts';
import { quoteString } from '../../storage/sql.ts';
import { dropIsolated } from '../../test/stack.ts';

export interface BenchWorld {
  /** Config pointing at the world's own ClickHouse database and data folder. */
  overrides: Record<string, unknown>;
  config: Config;
  items: number;
  users: number;
  /** False when an existing world of this size was reused. */
  seeded: boolean;
  seedSeconds: number;
}

/** Items in the world's catalog; 0 when its database or table does not exist yet. */
export async function countItems(config: Config): Promise<number> {
  // The client names its database on every request, so ask `system` whether ours exists.
  const sys = createClickHouse(deepMerge(config as unknown as Record<string, unknown>, { clickhouse: { database: 'system' } }) as unknown as Config);
  try {
    const exists = await sys.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(config.clickhouse.database)} AND name = 'items'`,
      format: 'JSONEachRow',
    });
    if (Number((await exists.json<{ n: string | number }>())[0]?.n ?? 0) === 0) return 0;
  } finally {
    await sys.close();
  }
  const ch = createClickHouse(config);
  try {
    const rs = await ch.query({ query: 'SELECT toString(count()) AS n FROM items', format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
  } finally {
    await ch.close();
  }
}

/**
 * A simulated catalog of `items` videos in its own database (`bench_w<items>`) and data
 * folder, seeded once and reused by later runs (seeding 1M items takes minutes). Benchmark
 * worlds never touch the demo world's database or its simulator spec.
 */
export async function ensureWorld(base: Config, items: number, log: (m: string) => void, dbPrefix = 'bench'): Promise<BenchWorld> {
  const users = Math.max(100, Math.min(50_000, Math.round(items / 20)));
  const overrides = {
    clickhouse: { database: `${dbPrefix}_w${items}` },
    // Its own topic, so benchmark events never reach the demo world's consumers.
    kafka: { topic: `${dbPrefix}.w${items}.engagement`, deadLetterTopic: `${dbPrefix}.w${items}.dlq` },
    dataDir: join(base.dataDir, 'bench', `w${items}`),
  };
  const config = deepMerge(base as unknown as Record<string, unknown>, overrides) as unknown as Config;
  await ensureTopics(config);
  const have = await countItems(config);
  if (have === items) {
    log(`reusing the ${items.toLocaleString('en-US')}-item world in database ${config.clickhouse.database}`);
    return { overrides, config, items, users, seeded: false, seedSeconds: 0 };
  }
  log(`seeding a ${items.toLocaleString('en-US')}-item, ${users.toLocaleString('en-US')}-user world into ${config.clickhouse.database} (once; reused later)...`);
  const t0 = Date.now();
  if (have > 0) {
    const ch = createClickHouse(config);
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await ch.close();
  }
  let lastLog = 0;
  await seedWorld(config, {
    items,
    users,
    days: 0,
    onProgress: (phase, done, total) => {
      if (Date.now() - lastLog > 5000 || done === total) {
        lastLog = Date.now();
        log(`  ${phase} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
      }
    },
  });
  return { overrides, config, items, users, seeded: true, seedSeconds: (Date.now() - t0) / 1000 };
}

/** Removes a world's database and topics (smoke runs: tiny and never reused). */
export const dropWorld = dropIsolated;
