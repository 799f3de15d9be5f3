import { afterEach, describe, expect, it } from 'vitest';
import { deepMerge } from '../../config/load.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import type { EventProducer } from '../../ingest/producer.ts';
import { catalogFromRows, fakeModels, makeWorld, TEST_WORLD_CAPS, testOnlineState } from '../../ranker/testing.ts';
import { testConfig } from '../../test/stack.ts';
import { metricDelta } from '../../test/metric-delta.ts';
import type { FeedEntry, FeedResponse } from '../feed-response.ts';
import { FeedResponseSchema } from '../feed-response.ts';
import { createFeedService, type FeedService, type ModelSource } from '../service.ts';

const APP = { 'x-api-key': 'demo-app-key' };
const ADMIN = { 'x-api-key': 'demo-admin-key' };

/** Records what would go to Kafka. */
class MemoryProducer implements EventProducer {
  sent: EngagementEvent[] = [];
  async send(events: EngagementEvent[]) {
    this.sent.push(...events);
  }
  async close() {}
}

let service: FeedService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

async function make(extra: Record<string, unknown> = {}, opts: { models?: ModelSource; world?: Parameters<typeof makeWorld>[0] } = {}) {
  const config = testConfig(deepMerge(deepMerge(TEST_WORLD_CAPS, { ranker: { trafficPool: { refreshMs: 0 } } }), extra));
  const rows = makeWorld({ items: 600, creators: 40, ...opts.world });
  const producer = new MemoryProducer();
  service = await createFeedService(config, {
    catalog: catalogFromRows(rows, config),
    online: testOnlineState(),
    producer,
    stackChecks: false,
    ...(opts.models ? { models: opts.models } : {}),
  });
  return { service, config, rows, producer };
}

async function feed(
  s: FeedService,
  query: string,
  headers: Record<string, string> = APP,
): Promise<{ status: number; body: FeedResponse & { error?: { code: string; message: string; fields?: { field: string }[] } }; res: Response }> {
  const res = await s.app.request(`/v1/feed?${query}`, { headers });
  return { status: res.status, body: await res.json(), res };
}

const creatorOf = (e: FeedEntry) => (e.type === 'video' ? e.creator_id : null);

describe('GET /v1/feed', () => {
  it('never repeats an item across 20 pages of scrolling, and every page matches the response schema', async () => {
    const { service } = await make();
    const seen = new Set<string>();
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const { status, body } = await feed(service, `user_id=u1&count=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expect(FeedResponseSchema.safeParse(body).success).toBe(true);
      expect(body.items.length).toBeGreaterThan(0);
      for (const e of body.items) {
        const key = e.type === 'video' ? e.item_id : e.type === 'product' ? `p:${e.product.product_id}` : `l:${e.live_id}`;
        expect(seen.has(key), `${key} repeated on page ${page}`).toBe(false);
        seen.add(key);
      }
      cursor = encodeURIComponent(body.cursor);
    }
    expect([...seen].filter((k) => !k.includes(':')).length).toBeGreaterThanOrEqual(150);
  });

  it('continues a session on another replica with the same secret (the cursor carries the state)', async () => {
    const a = await make();
    const first = await feed(a.service, 'user_id=u2&count=10');
    const ids = new Set(first.body.items.filter((e) => e.type === 'video').map((e) => (e as { item_id: string }).item_id));
    const replica = await createFeedService(a.config, { catalog: catalogFromRows(a.rows, a.config), online: testOnlineState(), producer: null, stackChecks: false });
    try {
      const next = await feed(replica, `user_id=u2&count=10&cursor=${encodeURIComponent(first.body.cursor)}`);
      expect(next.status).toBe(200);
      for (const e of next.body.items) if (e.type === 'video') expect(ids.has(e.item_id)).toBe(false);
    } finally {
      await replica.stop();
    }
  });

  it('serves a cold-start user (unknown id, no history) in their language', async () => {
    const { service } = await make();
    const { status, body } = await feed(service, 'user_id=never-seen-before&count=12&locale=en');
    expect(status).toBe(200);
    const videos = body.items.filter((e) => e.type === 'video');
    expect(videos.length).toBeGreaterThanOrEqual(8);
    expect(videos.filter((v) => v.type === 'video' && v.locale === 'en').length).toBeGreaterThan(videos.length / 2);
  });

  it('keeps creators apart and shoppable slots spaced in the output', async () => {
    const { service } = await make({ ranker: { rerank: { creatorSpacing: 3 }, commerce: { slotEvery: 4, minSpacing: 3, minValueRatio: 0 } } });
    const entries: FeedEntry[] = [];
    let cursor = '';
    for (let page = 0; page < 3; page++) {
      const { body } = await feed(service, `user_id=u3&count=10${cursor}`);
      entries.push(...body.items);
      cursor = `&cursor=${encodeURIComponent(body.cursor)}`;
    }
    const videos = entries.filter((e) => e.type === 'video');
    for (let i = 0; i < videos.length; i++) expect(videos.slice(Math.max(0, i - 3), i).map(creatorOf)).not.toContain(creatorOf(videos[i]!));
    const slots = entries.map((e, i) => (e.type === 'video' ? -1 : i)).filter((i) => i >= 0);
    expect(slots.length).toBeGreaterThanOrEqual(5);
    for (let k = 1; k < slots.length; k++) expect(slots[k]! - slots[k - 1]!).toBeGreaterThanOrEqual(4);
    const withCard = videos.find((v) => v.type === 'video' && v.product);
    expect(withCard && withCard.type === 'video' && withCard.product).toMatchObject({ currency: 'USD', buy_url: expect.stringMatching(/^app:\/\/checkout\//) });
  });

  it('reacts to posted events on the next page: "not interested" in a creator removes that creator', async () => {
    const { service, producer } = await make();
    const first = await feed(service, 'user_id=u4&count=10');
    const victim = first.body.items.map(creatorOf).find((c) => c !== null)!;
    const res = await service.app.request('/v1/events', {
      method: 'POST',
      headers: { ...APP, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_id: 'e-ni-1', kind: 'not_interested', user_id: 'u4', creator_id: victim, ts: Date.now() }] }),
    });
    expect(res.status).toBe(200);
    expect(producer.sent.map((e) => e.event_id)).toEqual(['e-ni-1']);
    let cursor = first.body.cursor;
    for (let page = 0; page < 5; page++) {
      const next = await feed(service, `user_id=u4&count=10&cursor=${encodeURIComponent(cursor)}`);
      expect(next.body.items.map(creatorOf)).not.toContain(victim);
      cursor = next.body.cursor;
    }
  });

  it('explains to admin keys: sources, stage scores, filters passed, removed candidates', async () => {
    const { service } = await make();
    const { status, body } = await feed(service, 'user_id=u5&count=5&explain=1', ADMIN);
    expect(status).toBe(200);
    const explain = body.explain as {
      scorer: string;
      items: { source: string; scores: Record<string, number>; filters_passed: string[] }[];
      removed: unknown[];
      stages: { stage: string; ms: number }[];
    };
    expect(explain.scorer).toBe('heuristic');
    expect(explain.items).toHaveLength(body.items.length);
    expect(explain.items[0]!.filters_passed).toContain('hidden');
    expect(explain.items[0]!.scores.final).toBeCloseTo(body.items[0]!.score, 4);
    expect(Array.isArray(explain.removed)).toBe(true);
    expect(explain.stages.length).toBeGreaterThan(10);
    const plain = await feed(service, 'user_id=u5&count=5', ADMIN);
    expect(plain.body.explain).toBeUndefined();
  });

  it('answers 401, 403, 429 and 4xx naming the field, never a stack trace', async () => {
    const { service } = await make({
      api: {
        keys: [
          { key: 'demo-app-key', app: 'demo' },
          { key: 'demo-admin-key', app: 'admin', admin: true },
          { key: 'tiny-quota-key', app: 'tiny', rateLimitPerMinute: 10 },
        ],
      },
    });
    expect((await feed(service, 'user_id=u1', {})).status).toBe(401);
    expect((await feed(service, 'user_id=u1', { 'x-api-key': 'wrong-key-123' })).status).toBe(401);
    const forbidden = await feed(service, 'user_id=u1&explain=1');
    expect([forbidden.status, forbidden.body.error?.code]).toEqual([403, 'forbidden']);

    const cases: [string, string][] = [
      ['count=5', 'query.user_id'],
      ['user_id=u1&count=abc', 'query.count'],
      ['user_id=u1&count=0', 'query.count'],
      ['user_id=u1&count=100000', 'query.count'],
      ['user_id=bad%20id', 'query.user_id'],
      ['user_id=u1&explain=maybe', 'query.explain'],
      ['user_id=u1&locale=English!', 'query.locale'],
      ['user_id=u1&cursor=garbage', 'query.cursor'],
    ];
    for (const [q, field] of cases) {
      const { status, body } = await feed(service, q);
      expect(status, q).toBe(400);
      expect(
        body.error!.fields!.map((f) => f.field),
        q,
      ).toContain(field);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    }

    const ok = await feed(service, 'user_id=u1&count=3');
    const [payload, mac] = ok.body.cursor.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), p: 0 })).toString('base64url');
    const bad = await feed(service, `user_id=u1&cursor=${tampered}.${mac}`);
    expect([bad.status, bad.body.error?.code]).toEqual([400, 'invalid_cursor']);
    expect(bad.body.error!.message).toMatch(/signature/);
    const otherUser = await feed(service, `user_id=u2&cursor=${encodeURIComponent(ok.body.cursor)}`);
    expect(otherUser.status).toBe(400);
    expect(otherUser.body.error!.message).toMatch(/another user/);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await feed(service, 'user_id=u1&count=1', { 'x-api-key': 'tiny-quota-key' })).status);
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
  });
});

describe('rate limits beyond the per-key budget', () => {
  const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
  const get = async (s: FeedService, query: string, headers: Record<string, string>, address: string) => s.app.request(`/v1/feed?${query}`, { headers }, from(address));

  it('limits the feed per user_id, so one client cannot spend the whole app budget', async () => {
    const { service } = await make({ api: { keys: [{ key: 'demo-app-key', app: 'demo', userRateLimitPerMinute: 20 }] } });
    const u1: number[] = [];
    for (let i = 0; i < 3; i++) u1.push((await feed(service, 'user_id=u1&count=1')).status);
    expect(u1).toEqual([200, 200, 429]);
    const limited = await feed(service, 'user_id=u1&count=1');
    expect([limited.body.error?.code, Number(limited.res.headers.get('retry-after'))]).toEqual(['rate_limited', 3]);
    expect((await feed(service, 'user_id=u2&count=1')).status).toBe(200);
  });

  it('limits failed authentications per client address, then refuses every key from it with 429', async () => {
    const { service } = await make({ api: { authFailuresPerMinute: 3 } });
    const wrong = { 'x-api-key': 'wrong-key-123' };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(service, 'user_id=u1', wrong, '10.0.0.5')).status);
    statuses.push((await get(service, 'user_id=u1', {}, '10.0.0.5')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const blocked = await get(service, 'user_id=u1', APP, '10.0.0.5');
    expect([blocked.status, blocked.headers.get('retry-after')]).toEqual([429, '20']);
    expect((await get(service, 'user_id=u1', APP, '10.0.0.6')).status).toBe(200);
    expect((await get(service, 'user_id=u1', wrong, '10.0.0.6')).status).toBe(401);
  });
});

describe('item, product, health and OpenAPI routes', () => {
  it('shows where a video stands in the traffic pool: its tier, or why its first audience stopped it', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    // The test world publishes from 4 days before its now: a now 3.5 days ahead puts some videos in the pool's 72 h.
    const { service, rows } = await make({}, { world: { nowSec: nowSec + 84 * 3600 } });
    const pool = async (id: string) => ((await (await service.app.request(`/v1/items/${id}`, { headers: APP })).json()) as { traffic_pool: unknown }).traffic_pool;
    const old = rows.items.find((i) => i.published_at < nowSec - 7 * 86_400)!;
    expect(await pool(old.item_id)).toEqual({ tier: null, stopped: null });
    const [fresh, shown] = rows.items.filter((i) => i.published_at > nowSec - 60 * 3600);
    expect(await pool(fresh!.item_id)).toEqual({ tier: 'first-audience', stopped: null });
    // A full first audience (50 impressions) that never played it.
    const events = Array.from({ length: 60 }, (_, k) => ({ schema_version: 1, event_id: `pool-${k}`, kind: 'impression', user_id: `u${k}`, item_id: shown!.item_id, ts: Date.now() }));
    const res = await service.app.request('/v1/events', { method: 'POST', headers: { ...APP, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(200);
    expect(await pool(shown!.item_id)).toEqual({ tier: null, stopped: expect.stringMatching(/^audience of first-audience: watch ratio 0\.00 < 0\.5/) });
  });

  it('returns items and products from the serving catalog, 404 JSON for unknown ids, 400 for bad ids', async () => {
    const { service, rows } = await make();
    const withProduct = rows.items.find((i) => i.product_id)!;
    const item = await service.app.request(`/v1/items/${withProduct.item_id}`, { headers: APP });
    expect(item.status).toBe(200);
    expect(await item.json()).toMatchObject({ item_id: withProduct.item_id, creator_id: withProduct.creator_id, product: { product_id: withProduct.product_id } });
    const product = await service.app.request(`/v1/products/${withProduct.product_id}`, { headers: APP });
    expect(await product.json()).toMatchObject({ product_id: withProduct.product_id, available: true, currency: 'USD' });
    for (const path of ['/v1/items/nope', '/v1/products/nope']) {
      const res = await service.app.request(path, { headers: APP });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('nope') } });
    }
    const bad = await service.app.request(`/v1/items/${'x'.repeat(65)}`, { headers: APP });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.fields[0].field).toBe('path.id');
  });

  it('reports model, tfjs backend and catalog in /v1/health', async () => {
    const { service } = await make();
    const res = await service.app.request('/v1/health');
    const body = (await res.json()) as { status: string; components: Record<string, Record<string, unknown>> };
    expect(res.status).toBe(200);
    expect(body.components.model).toMatchObject({ ok: true, version: null, scorer: 'heuristic' });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(body.components.tfjs!.backend);
    expect(body.components.catalog).toMatchObject({ ok: true, items: 600 });
  });

  it('documents every route in /openapi.json from the zod schemas', async () => {
    const { service } = await make();
    const doc = (await (await service.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/feed', '/v1/items/{id}', '/v1/products/{id}', '/v1/health', '/v1/events']));
    expect(doc.paths['/v1/feed']!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['user_id', 'count', 'cursor', 'explain']));
    // Every API route is declared through app.openapi, so none is missing (web pages and assets are files, not API).
    const handled = service.app.routes.filter((r) => r.method !== 'ALL' && !r.path.includes('*') && !/^\/(app|dashboard|web)\/|^\/(app|dashboard|openapi\.json)$/.test(r.path));
    const missing = handled.filter((r) => !doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
    expect(handled.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('exposes per-stage latency and per-source candidate counts on /metrics', async () => {
    const { service } = await make();
    const scrape = async () => (await service.app.request('/metrics')).text();
    const before = await scrape();
    await feed(service, 'user_id=u1');
    const after = await scrape();
    // One request: one observation of each stage and of each source's candidate count.
    expect(metricDelta(before, after, 'feed_stage_duration_seconds_count{kind="filter",stage="hidden"}')).toEqual({ 'feed_stage_duration_seconds_count{kind="filter",stage="hidden"}': 1 });
    expect(metricDelta(before, after, 'feed_source_candidates_count{source="locale"}')).toEqual({ 'feed_source_candidates_count{source="locale"}': 1 });
    expect(Object.values(metricDelta(before, after, 'feed_source_candidates_sum{source="locale"}'))[0]).toBeGreaterThan(0);
  });
});

describe('model hot reload', () => {
  it('swaps the promoted model under concurrent feed requests without a failed request', async () => {
    let promote: ((m: ReturnType<typeof fakeModels>) => void) | undefined;
    const rows = makeWorld({ items: 600, creators: 40 });
    const ids = rows.items.map((i) => i.item_id);
    const source: ModelSource = {
      load: async () => fakeModels('v1', ids),
      watch: (onChange) => {
        promote = onChange;
        return () => {};
      },
    };
    const { service } = await make({}, { models: source });
    expect(service.models.current?.version).toBe('v1');
    const versions = new Set<string>();
    const statuses: number[] = [];
    const load = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await service.app.request(`/v1/feed?user_id=u${i % 10}&count=10`, { headers: APP });
        statuses.push(res.status);
        versions.add(res.headers.get('x-model-version')!);
        await res.arrayBuffer();
      }
    };
    const running = Promise.all([load(60), load(60), load(60)]);
    promote!(fakeModels('v2', ids, 8, { buildIndex: true }));
    await running;
    // The swap builds its index in a child process; wait until it is live, then check one more request.
    for (let i = 0; i < 100 && service.models.current?.version !== 'v2'; i++) await new Promise((r) => setTimeout(r, 50));
    const after = await service.app.request('/v1/feed?user_id=u1&count=10', { headers: APP });
    expect(after.headers.get('x-model-version')).toBe('v2');
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(versions.has('v1')).toBe(true);
  });
});
