import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { sleep } from '../core/errors.ts';
import { createEventProducer } from '../ingest/producer.ts';
import { event } from '../ranker/testing.ts';
import { insertCatalog, type ItemRow } from '../storage/catalog.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { trainedWorld, waitFor, type TrainedWorld } from '../test/trained-world.ts';
import type { FeedEntry, FeedResponse } from './feed-response.ts';
import { registryModelSource } from './model-source.ts';
import { createFeedService, type FeedService } from './service.ts';

const APP = { 'x-api-key': 'demo-app-key' };

const creatorOf = (e: FeedEntry) => (e.type === 'video' ? e.creator_id : null);

describe('the feed end to end on the real Kafka and ClickHouse', () => {
  let world: TrainedWorld;
  let config: Config;
  let ch: ClickHouseClient;
  let service: FeedService;
  let seededEvents = 0;
  let version = '';

  beforeAll(async () => {
    world = await trainedWorld('feed_e2e', { items: 300, users: 40, days: 1 }, { epochs: 2 });
    ({ config, ch, events: seededEvents } = world);
    version = world.trained.version;
    expect(world.trained.promoted).toBe(true);
    service = await createFeedService(config, { models: registryModelSource(config) });
  }, 300_000);

  afterAll(async () => {
    await service?.stop();
    await world?.drop();
  });

  async function page(userId: string, cursor?: string): Promise<FeedResponse> {
    const res = await service.app.request(`/v1/feed?user_id=${userId}&count=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: APP });
    expect(res.status).toBe(200);
    return (await res.json()) as FeedResponse;
  }

  it('serves feeds scored by the promoted model, from the catalog and stats loaded from ClickHouse', async () => {
    expect(seededEvents).toBeGreaterThan(0);
    expect(service.catalog.size.items).toBe(300);
    expect(service.catalog.size.users).toBe(40);
    let withStats = 0;
    for (let i = 0; i < service.catalog.items.size; i++) if (service.catalog.stats.plays[i]! > 0) withStats++;
    expect(withStats).toBeGreaterThan(10);
    expect(service.catalog.popularBySegment.size).toBeGreaterThan(0);
    const res = await service.app.request('/v1/feed?user_id=u1&count=10&explain=1', { headers: { 'x-api-key': 'demo-admin-key' } });
    expect(res.headers.get('x-model-version')).toBe(version);
    expect(res.headers.get('x-scorer')).toBe('ranker-model');
    const first = (await res.json()) as FeedResponse & { explain: { candidates_per_source: Record<string, number> } };
    expect(first.items.filter((e) => e.type === 'video').length).toBeGreaterThanOrEqual(5);
    expect(first.explain.candidates_per_source.ann).toBeGreaterThan(0);
    const health = await service.app.request('/v1/health');
    const body = (await health.json()) as { components: Record<string, { ok: boolean; version?: string }> };
    expect(body.components.model).toMatchObject({ ok: true, version, scorer: 'ranker-model' });
    expect(body.components.kafka?.ok).toBe(true);
    expect(body.components.clickhouse?.ok).toBe(true);
    expect(body.components.catalog).toMatchObject({ ok: true, items: 300 });
  });

  it('"not interested" in a creator, posted through Kafka, removes that creator from the next page within seconds', async () => {
    const first = await page('u2');
    const victim = first.items.map(creatorOf).find((c) => c !== null)!;
    const started = Date.now();
    const res = await service.app.request('/v1/events', {
      method: 'POST',
      headers: { ...APP, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_id: `ni-${randomBytes(4).toString('hex')}`, kind: 'not_interested', user_id: 'u2', creator_id: victim, ts: Date.now() }] }),
    });
    expect(res.status).toBe(200);
    let cursor = first.cursor;
    for (let p = 0; p < 4; p++) {
      const next = await page('u2', cursor);
      expect(next.items.map(creatorOf)).not.toContain(victim);
      cursor = next.cursor;
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('applies events posted to another replica (through the Kafka stream follower) within seconds', async () => {
    const first = await page('u3');
    const victim = first.items.map(creatorOf).find((c) => c !== null)!;
    const otherReplica = await createEventProducer(config);
    try {
      await otherReplica.send([event('not_interested', 'u3', { creator_id: victim })]);
    } finally {
      await otherReplica.close();
    }
    await waitFor('the follower to apply the event', async () => (service.online.hiddenCreators('u3').has(victim) ? true : undefined), 10_000);
    const next = await page('u3', first.cursor);
    expect(next.items.map(creatorOf)).not.toContain(victim);
  });

  it('drops an item taken down in ClickHouse after the next catalog refresh', async () => {
    const first = await page('u4');
    const video = first.items.find((e) => e.type === 'video')!;
    if (video.type !== 'video') throw new Error('expected a video');
    const rs = await ch.query({
      query: `SELECT item_id, creator_id, title, category, locale, duration_ms, toUInt32(published_at) AS published_at, product_id, available
              FROM items FINAL WHERE item_id = '${video.item_id}'`,
      format: 'JSONEachRow',
    });
    const row = (await rs.json<ItemRow>())[0]!;
    // updated_at has one-second resolution: make sure the takedown is the newer version.
    await sleep(1100);
    await insertCatalog(ch, 'items', [{ ...row, available: 0 }]);
    expect((await service.refreshCatalog()).items).toBeGreaterThanOrEqual(1);
    const item = await service.app.request(`/v1/items/${video.item_id}`, { headers: APP });
    expect(await item.json()).toMatchObject({ item_id: video.item_id, available: false });
    // The same user in a new session got this item first before the takedown; not any more.
    const again = await page('u4');
    expect(again.items.some((e) => e.type === 'video' && e.item_id === video.item_id)).toBe(false);
  });
});
