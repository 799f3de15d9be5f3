import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { eventToRow } from '../ingest/rows.ts';
import { insertCatalog } from '../storage/catalog.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import { eventDays } from '../storage/training-events.ts';
import { dropIsolated, isolatedConfig } from '../test/stack.ts';
import { listVersions, readPointer } from './registry.ts';
import { loadVersion } from './serving.ts';
import { trainInThread } from './train-thread.ts';
import { syntheticWorld } from './testing/world.ts';
import { buildTrainingData } from './training-data.ts';
import { loadTrainingData } from './training-stream.ts';

const run = promisify(execFile);
// Starts 7.5 minutes before yesterday's UTC midnight, so the history spans two days (training streams day by day).
const world = syntheticWorld({ users: 16, items: 24, categories: 3, impressionsPerUser: 15, seed: 4, start: Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000 - 450_000 });
const dataDir = mkdtempSync(join(tmpdir(), 'train-ch-'));
let config: Config;

beforeAll(async () => {
  config = await isolatedConfig('models_train', { dataDir });
  const client = createClickHouse(config);
  try {
    await insertCatalog(client, 'items', world.catalog.items);
    await insertCatalog(client, 'products', world.catalog.products);
    await insertCatalog(client, 'creators', world.catalog.creators);
    await insertCatalog(client, 'users', world.catalog.users);
    await insertCatalog(client, 'social_edges', world.catalog.edges);
    const rows = world.events.map((e, i) =>
      eventToRow(
        {
          schema_version: 1,
          // Ids in generation order, so ties in time stream in the order the in-memory build sorts them.
          event_id: `e${String(i).padStart(6, '0')}`,
          kind: e.kind as never,
          user_id: e.user_id,
          ts: e.ts_ms,
          ...(e.item_id ? { item_id: e.item_id } : {}),
          ...(e.product_id ? { product_id: e.product_id, price: 10, quantity: 1 } : {}),
          ...(e.duration_ms ? { watch_ms: e.watch_ms, duration_ms: e.duration_ms } : {}),
          locale: e.locale,
        },
        0,
        i,
        Math.floor(Date.now() / 1000),
      ),
    );
    await client.insert({ table: 'events', values: rows, format: 'JSONEachRow' });
  } finally {
    await client.close();
  }
});

afterAll(async () => {
  const client = createClickHouse(config, 'default');
  await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('training from ClickHouse', () => {
  it('streams the same training sets from ClickHouse, day by day, as the in-memory build of the raw events', async () => {
    const ch = createClickHouse(config);
    const days = await eventDays(ch).finally(() => ch.close());
    expect(days).toHaveLength(2);
    const progress: { rows: number; total: number }[] = [];
    const fromDb = await loadTrainingData(config, 0.2, (p) => progress.push(p));
    const direct = buildTrainingData(world.events, world.catalog, 0.2, config.models.trainingData, config.seed, config.models.multitaskWindow);
    expect(fromDb.range).toEqual(direct.range);
    expect(fromDb.range.events).toBe(world.events.length);
    expect(fromDb.totals).toEqual(direct.totals);
    // Nothing was sampled at this size: every example and whole sequences, as before bounded memory.
    expect(fromDb.totals.rankerTrain).toBe(fromDb.multitask.train.length);
    expect(fromDb.multitask.train).toEqual(direct.multitask.train);
    expect(fromDb.multitask.test).toEqual(direct.multitask.test);
    expect(fromDb.retrieval.train).toEqual(direct.retrieval.train);
    expect(fromDb.retrieval.test).toEqual(direct.retrieval.test);
    expect(fromDb.retrieval.positives).toEqual(direct.retrieval.positives);
    expect(progress.at(-1)).toMatchObject({ rows: world.events.length, total: world.events.length });
  });

  it('feed train writes and promotes a version; feed models list/rollback report it', async () => {
    const env = {
      ...process.env,
      LOG_LEVEL: 'warn',
      FEED_DATA_DIR: dataDir,
      CLICKHOUSE_URL: config.clickhouse.url,
      CLICKHOUSE_DATABASE: config.clickhouse.database,
    };
    const train = await run('node', ['bin/feed.js', 'train', '--epochs', '1', '--promote'], { env });
    expect(train.stdout).toMatch(/version v\S+ \(promoted\)/);
    expect(train.stdout).toMatch(/retrieval: .*recall@10=/);
    expect(train.stdout).toMatch(/ranker: .*auc_complete=/);
    expect(train.stderr).toMatch(/retrieval epoch 1\/1/);
    const [v] = listVersions(config);
    expect(readPointer(config).version).toBe(v!.version);

    const list = await run('node', ['bin/feed.js', 'models', 'list'], { env });
    expect(list.stdout).toContain(`* ${v!.version}`);
    await expect(run('node', ['bin/feed.js', 'models', 'rollback'], { env })).rejects.toMatchObject({ stderr: expect.stringMatching(/nothing to roll back to/) });
  });

  it('a version trained in its thread loads and serves in this one (as `feed start` does)', async () => {
    // faiss-node loaded by the training thread too crashed this thread's next index load.
    const report = await trainInThread(config, { epochs: 1 });
    const served = await loadVersion(config, report.version);
    try {
      expect(served.ann?.size).toBe(served.itemIds.length);
      expect(served.ann?.search(served.itemVectors.subarray(0, served.retrieval.dim), 1)[0]?.[0]?.id).toBe(served.itemIds[0]);
    } finally {
      served.twoTower.dispose();
    }
  });

  it('a failure inside the training thread reaches the caller with its message', async () => {
    const empty = await isolatedConfig('models_train_empty', { dataDir });
    try {
      await expect(trainInThread(empty, { epochs: 1 })).rejects.toThrow(/no events to train on/);
    } finally {
      await dropIsolated(empty);
    }
  });
});
