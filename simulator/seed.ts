import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import { createEventProducer, type EventProducer } from '../ingest/producer.ts';
import { insertCatalog, type CatalogTable } from '../storage/catalog.ts';
import { createClickHouse, migrate } from '../storage/clickhouse.ts';
import { simulateHistory } from './history.ts';
import { generateWorld, type ProgressFn } from './world/generate.ts';
import { CATALOG_TABLES, catalogCounts, catalogRows } from './world/rows.ts';
import type { WorldSpec } from './world/spec.ts';

export interface SeedOptions {
  items?: number;
  users?: number;
  /** Days of history to simulate and send through Kafka; 0 for none. */
  days?: number;
  seed?: number;
  /** The world's now (epoch seconds); default: the current hour. */
  nowSec?: number;
  onProgress?: ProgressFn;
}

export interface SeedResult {
  spec: WorldSpec;
  rows: Record<CatalogTable, number>;
  events: number;
  seconds: { generate: number; catalog: number; events: number };
}

/** Where `feed seed` records the spec of the world it loaded, so `feed simulate` can rebuild the same world. */
const worldSpecPath = (config: Config) => join(config.dataDir, 'simulator', 'world.json');

export function readSeededSpec(config: Config): WorldSpec | undefined {
  const path = worldSpecPath(config);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as WorldSpec;
  } catch (err) {
    throw new Error(`cannot read the seeded world spec ${path}: ${(err as Error).message}; delete it or run feed seed again`, { cause: err });
  }
}

/**
 * Generates a world and loads it into the running stack: the catalog into ClickHouse (in
 * batches) and `days` of simulated history through Kafka, where the ingest path picks it up.
 */
export async function seedWorld(config: Config, opts: SeedOptions = {}): Promise<SeedResult> {
  const sc = config.simulator;
  const spec: WorldSpec = {
    seed: opts.seed ?? config.seed,
    items: opts.items ?? sc.items,
    users: opts.users ?? sc.users,
    nowSec: opts.nowSec ?? Math.floor(Date.now() / 3_600_000) * 3600,
  };
  const days = opts.days ?? sc.days;
  const progress = opts.onProgress ?? (() => {});
  const t0 = Date.now();
  const world = generateWorld(spec, progress);
  const t1 = Date.now();

  await migrate(config);
  const ch = createClickHouse(config);
  const rows = catalogCounts(world);
  try {
    for (const table of CATALOG_TABLES) {
      let done = 0;
      for (const chunk of catalogRows(world, table, sc.insertBatch)) {
        await insertCatalog(ch, table, chunk);
        done += chunk.length;
        progress(table, done, rows[table]);
      }
    }
  } finally {
    await ch.close();
  }
  const t2 = Date.now();

  let events = 0;
  if (days > 0) {
    const producer: EventProducer = await createEventProducer(config);
    try {
      events = await simulateHistory(
        world,
        days,
        spec.seed,
        sc.eventBatch,
        (batch) => withContext(`sending ${batch.length} historical events to Kafka topic ${config.kafka.topic}`, () => producer.send(batch)),
        progress,
      );
    } finally {
      await producer.close();
    }
  }
  const t3 = Date.now();

  const specPath = worldSpecPath(config);
  mkdirSync(dirname(specPath), { recursive: true });
  writeFileSync(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  return { spec, rows, events, seconds: { generate: (t1 - t0) / 1000, catalog: (t2 - t1) / 1000, events: (t3 - t2) / 1000 } };
}
