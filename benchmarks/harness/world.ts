import { join } from 'node:path';
import { deepMerge } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { startIngest, waitForIngest } from '../../ingest/service.ts';
import { seedWorld } from '../../simulator/seed.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { createKafka, ensureTopics } from '../../storage/kafka.ts';
import { queryRows, quoteString, sql } from '../../storage/sql.ts';
import { dropStorage } from '../../storage/drop.ts';
import { copyHistory } from '../../storage/history-copy.ts';

/**
 * Days of simulated engagement history in a benchmark world: the models train on it, and each
 * user's history length follows the simulator's activity mix (segments, sessions per day,
 * fatigue) instead of a fixed count. One day at 1M items is ~2 million events.
 */
const HISTORY_DAYS = 1;

/** Far enough back to reach a reused world's whole history. */
const BOOTSTRAP_HOURS = 24 * 365;

/** Per-user history in the world's ClickHouse: how long real users' histories are. */
interface HistoryShape {
  days: number;
  events: number;
  users_with_history: number;
  plays_per_user: { p10: number; p50: number; p90: number; max: number };
}

export interface BenchWorld {
  /** Config pointing at the world's own ClickHouse database and data folder. */
  overrides: Record<string, unknown>;
  config: Config;
  items: number;
  users: number;
  /** False when an existing world of this size was reused. */
  seeded: boolean;
  seedSeconds: number;
  history: HistoryShape;
}

async function historyShape(config: Config, days: number): Promise<HistoryShape> {
  const ch = createClickHouse(config);
  try {
    const [row] = await queryRows<{ events: string; users: string; q: number[]; max: string }>(
      ch,
      sql`SELECT sum(n_all) AS events, count() AS users, quantiles(0.1, 0.5, 0.9)(plays) AS q, max(plays) AS max
          FROM (SELECT user_id, count() AS n_all, countIf(kind = 'play') AS plays FROM events GROUP BY user_id)`,
    );
    const q = (row?.q ?? [0, 0, 0]).map((v) => Math.round(Number(v)));
    return {
      days,
      events: Number(row?.events ?? 0),
      users_with_history: Number(row?.users ?? 0),
      plays_per_user: { p10: q[0] ?? 0, p50: q[1] ?? 0, p90: q[2] ?? 0, max: Number(row?.max ?? 0) },
    };
  } finally {
    await ch.close();
  }
}

/** Items in the world's catalog; 0 when its database or table does not exist yet. */
async function countItems(config: Config): Promise<number> {
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

/** People and days of history of a world, when not the defaults (items / 20 people, HISTORY_DAYS). */
export interface WorldShape {
  users?: number;
  days?: number;
}

/**
 * A simulated catalog of `items` videos with HISTORY_DAYS of engagement history, in its own
 * database (`bench_w<items>_d<days>`, `bench_w<items>_u<users>_d<days>` with a `shape`), Kafka
 * topic and data folder, seeded once (history through Kafka and the ingest consumer, as
 * `feed start` loads the demo world) and reused by later runs. Benchmark worlds never touch the
 * demo world's database or its simulator spec.
 */
export async function ensureWorld(base: Config, items: number, log: (m: string) => void, dbPrefix = 'bench', shape: WorldShape = {}): Promise<BenchWorld> {
  const users = shape.users ?? Math.max(100, Math.min(50_000, Math.round(items / 20)));
  const days = shape.days ?? HISTORY_DAYS;
  const name = shape.users === undefined ? `w${items}_d${days}` : `w${items}_u${users}_d${days}`;
  const overrides = {
    clickhouse: { database: `${dbPrefix}_${name}` },
    // Servers bootstrap their online state from the whole history (up to online.bootstrapMaxRows,
    // the newest first), as a replica of a live service does, however long ago the world was seeded.
    online: { bootstrapHours: BOOTSTRAP_HOURS },
    // Its own topics, so benchmark events never reach the demo world's consumers, nor the demo world's catalog writes this world's.
    kafka: { topic: `${dbPrefix}.${name}.engagement`, deadLetterTopic: `${dbPrefix}.${name}.dlq`, catalogTopic: `${dbPrefix}.${name}.catalog` },
    dataDir: join(base.dataDir, 'bench', name),
  };
  const config = deepMerge(base as unknown as Record<string, unknown>, overrides) as unknown as Config;
  await ensureTopics(config);
  const have = await countItems(config);
  const history = have === items ? await historyShape(config, days) : undefined;
  if (history && history.events > 0) {
    log(`reusing the ${items.toLocaleString('en-US')}-item world in database ${config.clickhouse.database} (${history.events.toLocaleString('en-US')} history events)`);
    return { overrides, config, items, users, seeded: false, seedSeconds: 0, history };
  }
  log(`seeding a ${items.toLocaleString('en-US')}-item, ${users.toLocaleString('en-US')}-user world with ${days} day(s) of history into ${config.clickhouse.database} (once; reused later)...`);
  const t0 = Date.now();
  if (have > 0) {
    const ch = createClickHouse(config);
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await ch.close();
  }
  let lastLog = 0;
  const ingest = await startIngest(config);
  try {
    const seeded = await seedWorld(config, {
      items,
      users,
      days,
      onProgress: (phase, done, total) => {
        if (Date.now() - lastLog > 5000 || done === total) {
          lastLog = Date.now();
          log(`  ${phase} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
        }
      },
    });
    await waitForIngest(ingest, seeded.events, (line) => log(`  ${line}`));
  } finally {
    await ingest.stop();
  }
  return { overrides, config, items, users, seeded: true, seedSeconds: (Date.now() - t0) / 1000, history: await historyShape(config, days) };
}

/** Removes a world's database and topics (smoke runs: tiny and never reused). */
export const dropWorld = dropStorage;

/**
 * Drops the events earlier runs posted to the world's topic (they never reach its ClickHouse: no
 * ingest consumer runs during a benchmark). Servers bootstrap from the world's history in
 * ClickHouse and then follow the topic, so each run starts from the same state.
 */
export async function emptyEventLog(config: Config): Promise<void> {
  const admin = createKafka(config).admin();
  await withContext(`emptying Kafka topic ${config.kafka.topic}`, async () => {
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(config.kafka.topic);
      await admin.deleteTopicRecords({ topic: config.kafka.topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    } finally {
      await admin.disconnect();
    }
  });
}

/**
 * `world` with its history `copies` times over, each copy shifted a further `days` into the past
 * (storage/history-copy.ts): the same people and videos with a long history, which the
 * simulator cannot seed (its videos are at most 60 days old). Made once from the seeded world in
 * seconds, in database `<world's>_x<copies>`, and reused.
 */
export async function ensureCopiedWorld(world: BenchWorld, copies: number, log: (m: string) => void): Promise<BenchWorld> {
  const days = world.history.days;
  const database = `${world.config.clickhouse.database}_x${copies}`;
  const overrides = deepMerge(world.overrides, { clickhouse: { database }, dataDir: `${world.config.dataDir}_x${copies}` });
  const config = deepMerge(world.config as unknown as Record<string, unknown>, overrides) as unknown as Config;
  const want = world.history.events * copies;
  if ((await countItems(config)) === world.items) {
    const history = await historyShape(config, days * copies);
    if (history.events === want) {
      log(`reusing the copied world in database ${database} (${history.events.toLocaleString('en-US')} history events)`);
      return { ...world, overrides, config, seeded: false, seedSeconds: 0, history };
    }
  }
  log(`copying the ${days}-day history of ${world.config.clickhouse.database} ${copies} times into ${database} (once; reused later)...`);
  const t0 = Date.now();
  const events = await copyHistory(world.config, config, copies, days);
  if (events !== want) throw new Error(`copying history into ${database}: ${events} events, expected ${want}`);
  return { ...world, overrides, config, seeded: true, seedSeconds: (Date.now() - t0) / 1000, history: await historyShape(config, days * copies) };
}
