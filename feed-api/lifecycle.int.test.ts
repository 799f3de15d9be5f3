import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { sleep } from '../core/errors.ts';
import { metrics } from '../core/metrics.ts';
import { publishFile } from '../ingest/publish-file.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { queryRows, sql } from '../storage/sql.ts';
import { trainedWorld, waitFor, type TrainedWorld } from '../test/trained-world.ts';
import type { FeedResponse } from './feed-response.ts';
import { registryModelSource } from './model-source.ts';
import { createFeedService, type FeedService } from './service.ts';

const APP = { 'x-api-key': 'demo-app-key' };
const ADMIN = { 'x-api-key': 'demo-admin-key' };
const PUBLISHER = { 'x-api-key': 'demo-publisher-key', 'content-type': 'application/json' };

type Explained = FeedResponse & { explain: { items: { item_id: string | null; sources: string[] }[] } };

/** Two serving replicas (A and B) in one process, each with its own catalog, models and Kafka followers. */
describe('content lifecycle and people’s data on the real Kafka and ClickHouse', () => {
  let world: TrainedWorld;
  let config: Config;
  let ch: ClickHouseClient;
  let a: FeedService;
  let b: FeedService;
  const newId = `v-new-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    // A one-day world is all "fresh" under the default 72-hour window; one hour keeps the fresh pool to what is new.
    world = await trainedWorld('lifecycle', { items: 300, users: 40, days: 1 }, { config: { ranker: { trafficPool: { maxAgeHours: 1 } } } });
    ({ config, ch } = world);
    a = await createFeedService(config, { models: registryModelSource(config) });
    b = await createFeedService(config, { models: registryModelSource(config) });
  }, 300_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await world?.drop();
  });

  const post = (s: FeedService, path: string, body: unknown, headers: Record<string, string> = PUBLISHER) => s.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });

  it('publish: a new video is served through ANN within a page to a user who matches it, on both replicas', async () => {
    // The new video copies the content (creator, category, product) of an item that active people engaged with.
    const users = Array.from({ length: 40 }, (_, i) => `u${i + 1}`);
    const active = users.sort((x, y) => b.online.recent(y, 100).length - b.online.recent(x, 100).length)[0]!;
    const liked = b.online.positiveItems(active, 1)[0] ?? b.online.recent(active, 1)[0]!.item_id;
    const row = a.catalog.itemRow(a.catalog.items.row(liked));
    const started = performance.now();
    const res = await post(a, '/v1/items', [{ ...row, item_id: newId, title: 'brand new', available: true, published_at: Math.floor(Date.now() / 1000) }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: [newId], rejected: [] });
    const appliedOnB = await waitFor('replica B to apply the write', () => (b.catalog.items.row(newId) >= 0 ? performance.now() - started : undefined), 5_000);
    expect(appliedOnB).toBeLessThan(1_000);
    const health = (await (await b.app.request('/v1/health')).json()) as { components: { catalog: { writes_applied: number } } };
    expect(health.components.catalog.writes_applied).toBeGreaterThanOrEqual(1);
    for (const s of [a, b]) {
      expect(s.models.current!.annIds.has(newId)).toBe(true);
      expect(s.pipeline.deps.pool.tierName(s.catalog.items.row(newId))).toBe(config.ranker.trafficPool.tiers[0]!.name);
    }
    // The person it matches: the one whose user vector finds it highest in the ANN index, among
    // those who have not hidden its creator (the simulated history has not_interested events).
    const snap = b.models.current!;
    const rankFor = (u: string) => snap.ann.search(snap.retrieval.userVector(b.pipeline.contextFor({ userId: u } as never).user), snap.ann.size)[0]!.findIndex((h) => h.id === newId);
    const user = users.filter((u) => !b.online.hiddenCreators(u).has(row.creator_id)).sort((x, y) => rankFor(x) - rankFor(y))[0]!;
    let cursor: string | undefined;
    let served: { page: number; sources: string[]; ms: number } | undefined;
    for (let page = 0; page < 5 && !served; page++) {
      const r = await b.app.request(`/v1/feed?user_id=${user}&count=10&explain=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: ADMIN });
      const body = (await r.json()) as Explained;
      const hit = body.explain.items.find((i) => i.item_id === newId);
      if (hit) served = { page, sources: hit.sources, ms: performance.now() - started };
      cursor = body.cursor;
    }
    console.log(`publish -> applied on replica B in ${appliedOnB.toFixed(0)} ms; ANN rank ${rankFor(user)} for ${user}; served on page ${served?.page} after ${served?.ms.toFixed(0)} ms`);
    expect(served?.sources).toContain('ann');
    // ClickHouse gets the row through the ingest process.
    await waitFor('the row in ClickHouse', async () => ((await queryRows(ch, sql`SELECT item_id FROM items WHERE item_id = ${newId}`)).length ? true : undefined), 10_000);
  });

  it('rejects bad catalog writes with 4xx naming the field, and app keys with 403', async () => {
    expect((await post(a, '/v1/items', [{ item_id: 'x' }], { ...APP, 'content-type': 'application/json' })).status).toBe(403);
    const bad = await post(a, '/v1/items', [{ item_id: 'bad id!', creator_id: 'c1', title: 't', category: 'c', locale: 'zh', duration_ms: 1000 }]);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('item_id');
    expect((await a.app.request('/v1/items', { method: 'POST', headers: PUBLISHER, body: '{' })).status).toBe(400);
    expect((await a.app.request('/v1/items/nope-404', { method: 'DELETE', headers: PUBLISHER })).status).toBe(404);
    expect((await post(a, '/v1/items', { items: [] })).status).toBe(400);
  });

  it('documents the catalog writes, the people’s-data routes and the feed tab in /openapi.json', async () => {
    const doc = (await (await a.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    for (const table of ['items', 'products', 'creators', 'live_streams']) expect(doc.paths[`/v1/${table}`]?.post).toBeDefined();
    for (const table of ['items', 'products', 'live_streams']) expect(doc.paths[`/v1/${table}/{id}`]?.delete).toBeDefined();
    expect(doc.paths['/v1/users/{id}']?.delete).toBeDefined();
    expect(doc.paths['/v1/users/{id}/export']?.get).toBeDefined();
    expect(doc.paths['/v1/feed']!.get!.parameters!.map((p) => p.name)).toContain('tab');
  });

  it('feed publish --file: valid lines reach every replica and ClickHouse, invalid ones are reported by line', async () => {
    const file = join(config.dataDir, 'bulk.jsonl');
    const item = (id: string) => JSON.stringify({ item_id: id, creator_id: 'bulk-creator', title: id, category: 'food', locale: 'zh', duration_ms: 15_000 });
    writeFileSync(file, [item('bulk-1'), '{"item_id": "bulk-2"}', 'not json', item('bulk-3'), ''].join('\n'));
    const result = await publishFile(config, 'items', file);
    expect(result.published).toBe(2);
    expect(result.rejected.map((r) => r.line)).toEqual([2, 3]);
    expect(result.rejected[0]!.reason).toContain('creator_id');
    for (const s of [a, b]) await waitFor('the bulk rows on a replica', () => (s.catalog.items.row('bulk-3') >= 0 ? true : undefined), 5_000);
    await waitFor('the bulk rows in ClickHouse', async () => ((await queryRows(ch, sql`SELECT item_id FROM items WHERE creator_id = 'bulk-creator'`)).length === 2 ? true : undefined), 10_000);
  });

  it('retire: the item is never served again on any replica', async () => {
    const res = await a.app.request(`/v1/items/${newId}`, { method: 'DELETE', headers: PUBLISHER });
    expect(res.status).toBe(200);
    await waitFor('replica B to retire it', () => (b.catalog.itemAvailable[b.catalog.items.row(newId)] === 0 ? true : undefined), 2_000);
    // The periodic ClickHouse refresh (older publish row and the retire row) must not bring it back.
    await waitFor('the retire row in ClickHouse', async () => ((await queryRows(ch, sql`SELECT item_id FROM items WHERE item_id = ${newId} AND available = 0`)).length ? true : undefined), 10_000);
    for (const s of [a, b]) await s.refreshCatalog();
    for (const s of [a, b]) {
      expect(await (await s.app.request(`/v1/items/${newId}`, { headers: APP })).json()).toMatchObject({ available: false });
      for (const user of ['u1', 'u2', 'u3', 'u-cold']) {
        let cursor: string | undefined;
        for (let page = 0; page < 3; page++) {
          const body = (await (await s.app.request(`/v1/feed?user_id=${user}&count=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: APP })).json()) as FeedResponse;
          expect(body.items.some((e) => e.type === 'video' && e.item_id === newId)).toBe(false);
          cursor = body.cursor;
        }
      }
    }
  });

  it('unknown item ids: events are stored and counted, but create no ANN vector (index size equals catalog size)', async () => {
    const before = (await metrics.getSingleMetric('feed_events_unknown_item_total')!.get()).values[0]?.value ?? 0;
    const events = [];
    for (let i = 0; i < 200; i++) {
      events.push({ event_id: `fake-${i}-${randomBytes(3).toString('hex')}`, kind: 'complete', user_id: `u${i % 5}`, item_id: `made-up-${i % 3}`, ts: Date.now() });
    }
    const res = await post(a, '/v1/events', { events }, { ...APP, 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    await waitFor(
      'the events in ClickHouse',
      async () => {
        const [row] = await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM events WHERE item_id LIKE 'made-up-%'`);
        return Number(row!.n) >= 200 ? true : undefined;
      },
      20_000,
    );
    // The online trainer flushes partial batches every 10 s: give it the chance to (wrongly) add vectors.
    await sleep(11_000);
    const after = (await metrics.getSingleMetric('feed_events_unknown_item_total')!.get()).values[0]?.value ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(200);
    for (const s of [a, b]) {
      expect(s.models.current!.ann.size).toBe(s.catalog.items.size);
      expect(s.models.current!.annIds.has('made-up-0')).toBe(false);
      expect(s.online.itemCounters('made-up-0')).toBeUndefined();
    }
  }, 60_000);

  it('delete: zero rows for the person after the mutation, an empty export, and no online state on any replica', async () => {
    const user = 'u7';
    const exported = await (await a.app.request(`/v1/users/${user}/export`, { headers: ADMIN })).text();
    const tables = new Set(
      exported
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { table: string }).table),
    );
    expect(tables).toEqual(new Set(['users', 'events', 'social_edges', 'user_stats_daily']));
    expect((await a.app.request(`/v1/users/${user}`, { method: 'DELETE', headers: APP })).status).toBe(403);

    const res = await a.app.request(`/v1/users/${user}`, { method: 'DELETE', headers: ADMIN });
    expect(res.status).toBe(202);
    await waitFor('replica B to forget the person', () => (b.online.recent(user, 10).length === 0 && !b.catalog.userProfile(user).known ? true : undefined), 2_000);
    await waitFor(
      'the delete mutations',
      async () => {
        const [row] = await queryRows<{ n: string }>(
          ch,
          sql`
        SELECT (SELECT count() FROM events WHERE user_id = ${user}) + (SELECT count() FROM users WHERE user_id = ${user})
             + (SELECT count() FROM social_edges WHERE src = ${user} OR dst = ${user} AND kind = 'friend') + (SELECT count() FROM user_stats_daily WHERE user_id = ${user}) AS n`,
        );
        return Number(row!.n) === 0 ? true : undefined;
      },
      30_000,
    );
    expect(await (await a.app.request(`/v1/users/${user}/export`, { headers: ADMIN })).text()).toBe('');
  }, 60_000);

  it("the following tab returns a followed creator's new video first, and says when the feed ends", async () => {
    const creator = `c-new-${randomBytes(3).toString('hex')}`;
    expect((await post(a, '/v1/creators', [{ creator_id: creator, name: 'New Creator', locale: 'zh', category: 'food' }])).status).toBe(200);
    const nowSec = Math.floor(Date.now() / 1000);
    // The shape the simulator's new-item scenario sends: product_id null for none.
    const video = (id: string, published_at: number) => ({ item_id: id, creator_id: creator, title: id, category: 'food', locale: 'zh', duration_ms: 20_000, published_at, product_id: null });
    const [older, newest] = [`${creator}-old`, `${creator}-new`];
    expect((await post(a, '/v1/items', [video(older, nowSec - 2 * 86_400), video(newest, nowSec)])).status).toBe(200);
    const fan = `fan-${randomBytes(3).toString('hex')}`;
    const follow = { events: [{ event_id: `f-${fan}`, kind: 'follow', user_id: fan, creator_id: creator, ts: Date.now() }] };
    expect((await post(a, '/v1/events', follow, { ...APP, 'content-type': 'application/json' })).status).toBe(200);
    await waitFor('replica B to know the follow and the videos', () => (b.online.followedCreators(fan).has(creator) && b.catalog.items.row(newest) >= 0 ? true : undefined), 5_000);
    const res = await b.app.request(`/v1/feed?user_id=${fan}&tab=following&count=10`, { headers: APP });
    expect(res.status).toBe(200);
    const body = (await res.json()) as FeedResponse;
    expect(body.items.map((e) => (e.type === 'video' ? e.item_id : e.type))).toEqual([newest, older]);
    expect(body.end_of_feed).toBe(true);
    const forYou = (await (await b.app.request(`/v1/feed?user_id=${fan}&count=10`, { headers: APP })).json()) as FeedResponse;
    expect(forYou.items).toHaveLength(10);
    expect(forYou.end_of_feed).toBe(false);
    expect((await b.app.request(`/v1/feed?user_id=${fan}&tab=nope`, { headers: APP })).status).toBe(400);
  });
});
