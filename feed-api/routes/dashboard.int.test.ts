import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVersion } from '../../models/registry.ts';
import type { Config } from '../../config/schema.ts';
import type { BenchResult } from '../../storage/bench-results.ts';
import { insertCatalog } from '../../storage/catalog.ts';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.ts';
import { isolatedConfig } from '../../test/stack.ts';
import { createApp } from '../app.ts';
import { bucketMinutes, dashboardRoutes, type LiveFigures, type ModelsView } from './dashboard.ts';

const ADMIN = { 'x-api-key': 'demo-admin-key' };
const APP = { 'x-api-key': 'demo-app-key' };

let config: Config;
let client: ClickHouseClient;
let resultsDir: string;
let app: ReturnType<typeof createApp>;

function benchResult(benchmark: string, date: string, smoke: boolean, qps: number): BenchResult {
  return {
    schema_version: 1,
    benchmark,
    smoke,
    date,
    duration_s: 1,
    git: { commit: 'abc', dirty: false },
    machine: { cpu: 'test', cores: 2, memory_bytes: 1, node: 'v20', platform: 'linux', kernel: 'x', load_1m: 0 },
    backend: { tfjs: 'wasm', reason: 'test' },
    repeats: 1,
    dataset: {},
    params: {},
    figures: { qps: { value: qps, unit: 'req/s' } },
    references: [],
    tables: [],
    targets: [],
    series: {},
    notes: [],
  };
}

function event(kind: string, user: string, minutesAgo: number, extra: Record<string, unknown> = {}) {
  const ms = Date.now() - minutesAgo * 60_000;
  return {
    event_id: `${kind}-${user}-${minutesAgo}-${Math.random()}`,
    schema_version: 1,
    kind,
    user_id: user,
    item_id: 'i1',
    product_id: '',
    creator_id: '',
    live_id: '',
    ts: Math.floor(ms / 1000),
    ts_ms: ms,
    watch_ms: 0,
    duration_ms: 0,
    price: 0,
    quantity: 0,
    request_id: '',
    position: 0,
    app: 'test',
    device: '',
    locale: 'en',
    kafka_partition: 0,
    kafka_offset: 0,
    ingested_at: Math.floor(Date.now() / 1000),
    ...extra,
  };
}

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'dash-results-'));
  config = await isolatedConfig('dashboard', { dataDir: join(resultsDir, 'data') });
  client = createClickHouse(config);
  // u1: two sessions (45 minutes apart); u2: one session with a purchase. u3 only long ago.
  const events = [
    event('impression', 'u1', 50),
    event('play', 'u1', 50, { watch_ms: 20_000, duration_ms: 30_000 }),
    event('impression', 'u1', 5),
    event('play', 'u1', 5, { watch_ms: 10_000, duration_ms: 10_000 }),
    event('complete', 'u1', 5),
    event('like', 'u1', 5),
    event('impression', 'u2', 2),
    event('play', 'u2', 2, { watch_ms: 90_000, duration_ms: 60_000 }),
    event('impression', 'u2', 2),
    event('complete', 'u2', 2),
    event('purchase', 'u2', 1, { product_id: 'p1', price: 12.5, quantity: 2 }),
    event('impression', 'u3', 3 * 24 * 60),
    event('purchase', 'u3', 3 * 24 * 60, { product_id: 'p1', price: 1000, quantity: 1 }),
  ];
  await client.insert({ table: 'events', values: events, format: 'JSONEachRow' });
  await insertCatalog(client, 'users', [
    { user_id: 'u1', locale: 'en', segment: 'casual', created_at: 0 },
    { user_id: 'u2', locale: 'zh', segment: 'shopper', created_at: 0 },
    { user_id: 'u9', locale: 'en', segment: 'new', created_at: 0 },
  ]);
  await insertCatalog(client, 'products', [
    { product_id: 'p1', title: 'p1', category: 'food', price: 12.5, currency: 'CNY', image_url: '', seller_id: '', stock: 5, available: 1 },
    { product_id: 'p2', title: 'p2', category: 'food', price: 3, currency: 'CNY', image_url: '', seller_id: '', stock: 5, available: 1 },
  ]);
  app = createApp(config, [dashboardRoutes({ config, clickhouse: client, resultsDir })]);
});

afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
  await client?.close();
  if (resultsDir) await rm(resultsDir, { recursive: true, force: true });
});

describe('dashboard routes', () => {
  it('reports the last hour: events per minute by kind, rates, GMV and session watch time', async () => {
    const res = await app.request('/v1/admin/dashboard/live?minutes=60', { headers: ADMIN });
    expect(res.status).toBe(200);
    const live = (await res.json()) as LiveFigures;
    expect(live.bucket_minutes).toBe(1);
    expect(live.totals).toMatchObject({ events: 11, users: 2, impressions: 4, plays: 3, completions: 2, likes: 1, purchases: 1, gmv: 25 });
    expect(live.totals.watch_ms).toBe(120_000);
    expect(live.rates.completion).toBeCloseTo(2 / 3);
    expect(live.rates.like).toBeCloseTo(1 / 4);
    expect(live.rates.purchase).toBeCloseTo(1 / 4);
    const impressions = live.series.filter((p) => p.kind === 'impression').reduce((a, p) => a + p.per_minute, 0);
    expect(impressions).toBe(4);
    expect(live.catalog_series.filter((p) => p.kind === 'products').reduce((a, p) => a + p.per_minute, 0)).toBe(2);
    // u1's 50-minutes-ago play and 5-minutes-ago play are separate sessions.
    expect(live.sessions.count).toBe(3);
    expect(live.sessions.watch_ms_mean).toBeCloseTo(40_000);
    expect(live.sessions.histogram.reduce((a, b) => a + b.sessions, 0)).toBe(3);
  });

  it('widens the window and the buckets', async () => {
    const res = await app.request(`/v1/admin/dashboard/live?minutes=${7 * 24 * 60}`, { headers: ADMIN });
    const live = (await res.json()) as LiveFigures;
    expect(live.bucket_minutes).toBe(bucketMinutes(7 * 24 * 60));
    expect(live.totals.purchases).toBe(2);
    expect(live.totals.gmv).toBe(1025);
  });

  it('needs an admin key and a sane window', async () => {
    expect((await app.request('/v1/admin/dashboard/live', { headers: APP })).status).toBe(403);
    expect((await app.request('/v1/admin/dashboard/live')).status).toBe(401);
    const bad = await app.request('/v1/admin/dashboard/live?minutes=0', { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('query.minutes');
  });

  it('lists demo users, most active first, to any key', async () => {
    const res = await app.request('/v1/demo/users?limit=2', { headers: APP });
    expect(res.status).toBe(200);
    const { users } = (await res.json()) as { users: { user_id: string; events: number }[] };
    expect(users.map((u) => u.user_id)).toEqual(['u1', 'u2']);
    expect(users[0]?.events).toBe(6);
  });

  it('returns the newest result of each benchmark, a full run over a smoke run', async () => {
    const empty = await app.request('/v1/admin/dashboard/results', { headers: ADMIN });
    expect(await empty.json()).toEqual({ results: [], skipped: [] });
    // A fresh clone has only the committed copies under latest/.
    await mkdir(join(resultsDir, 'latest'), { recursive: true });
    await writeFile(join(resultsDir, 'latest', 'simulate.json'), JSON.stringify(benchResult('simulate', '2025-12-31T00:00:00.000Z', false, 7)));
    const committed = await app.request('/v1/admin/dashboard/results', { headers: ADMIN });
    expect(((await committed.json()) as { results: BenchResult[] }).results.map((r) => [r.benchmark, r.figures.qps?.value])).toEqual([['simulate', 7]]);
    // Local runs as the benchmarks leave them: one file per run beside latest/.
    const write = (r: BenchResult) => writeFile(join(resultsDir, `${r.benchmark}-${r.date.replace(/:/g, '-')}.json`), JSON.stringify(r));
    await write(benchResult('feed', '2026-01-01T00:00:00.000Z', false, 100));
    await write(benchResult('feed', '2026-01-02T00:00:00.000Z', false, 120));
    await write(benchResult('feed', '2026-01-03T00:00:00.000Z', true, 5));
    await write(benchResult('ann', '2026-01-04T00:00:00.000Z', true, 9));
    await writeFile(join(resultsDir, 'broken.json'), '{');
    const res = await app.request('/v1/admin/dashboard/results', { headers: ADMIN });
    const body = (await res.json()) as { results: BenchResult[]; skipped: { file: string }[] };
    expect(body.results.map((r) => [r.benchmark, r.figures.qps?.value])).toEqual([
      ['ann', 9],
      ['feed', 120],
      ['simulate', 7],
    ]);
    expect(body.skipped.map((s) => s.file)).toEqual(['broken.json']);
  });

  it('lists model versions with flattened metrics, promotes and rolls back', async () => {
    const post = (path: string, body: unknown) => app.request(path, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const models = async () => (await (await app.request('/v1/admin/dashboard/models', { headers: ADMIN })).json()) as ModelsView;
    expect(await models()).toEqual({ promoted: null, rollback_to: null, versions: [] });

    const version = async (name: string, recall: number, kinds: ('retrieval' | 'ranker')[]) =>
      createVersion(
        config,
        {
          backend: 'cpu',
          seed: 1,
          config: {},
          feature_spec: {},
          metrics: { retrieval: { 'recall@50': recall }, ranker: { auc_complete: 0.7, note: 'text is skipped' } },
          data_range: { from: null, to: null, cutoff: null, events: 1234 },
        },
        () => Object.fromEntries(kinds.map((k) => [k, { files: [] }])),
        name,
      );
    await version('v1', 0.2, ['retrieval', 'ranker']);
    await version('v2', 0.3, ['retrieval', 'ranker']);
    await version('v3', 0.4, ['retrieval']);

    const listed = await models();
    expect(listed.versions.map((v) => v.version)).toEqual(['v3', 'v2', 'v1']);
    expect(listed.versions[1]).toMatchObject({ metrics: { 'retrieval.recall@50': 0.3, 'ranker.auc_complete': 0.7 }, events: 1234, promoted: false });

    expect((await post('/v1/admin/dashboard/models/promote', { version: 'v1' })).status).toBe(200);
    const after = (await (await post('/v1/admin/dashboard/models/promote', { version: 'v2' })).json()) as ModelsView;
    expect(after).toMatchObject({ promoted: 'v2', rollback_to: 'v1' });
    expect(after.versions.filter((v) => v.promoted).map((v) => v.version)).toEqual(['v2']);

    const incomplete = await post('/v1/admin/dashboard/models/promote', { version: 'v3' });
    expect(incomplete.status).toBe(409);
    expect(JSON.stringify(await incomplete.json())).toContain('no ranker model');
    expect((await post('/v1/admin/dashboard/models/promote', { version: 'v9' })).status).toBe(404);
    expect((await post('/v1/admin/dashboard/models/promote', {})).status).toBe(400);
    for (const bad of ['../v1', 'v 1', 'v1;rm']) expect((await post('/v1/admin/dashboard/models/promote', { version: bad })).status, bad).toBe(400);

    const back = (await (await post('/v1/admin/dashboard/models/rollback', {})).json()) as ModelsView;
    expect(back).toMatchObject({ promoted: 'v1', rollback_to: null });
    expect((await post('/v1/admin/dashboard/models/rollback', {})).status).toBe(409);
    expect((await app.request('/v1/admin/dashboard/models/rollback', { method: 'POST', headers: APP })).status).toBe(403);
  });
});
