import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/stack.ts';
import { FeedPipeline } from '../pipeline.ts';
import { newSession } from '../session.ts';
import { NOW, setup, unbounded } from '../stage-fixtures.ts';
import { catalogFromRows, makeWorld, testOnlineState } from '../testing.ts';
import { TrafficPool } from '../traffic-pool.ts';
import type { Candidate, PageEntry } from '../types.ts';
import { shoppableCandidates, shoppableSlotBlender } from './shoppable-slots.ts';

describe('shoppableCandidates', () => {
  it('returns the best unserved slots in value order, the first `limit` of the full list', () => {
    const config = testConfig();
    const rows = makeWorld({ items: 200, productShare: 0.6 });
    const catalog = catalogFromRows(rows, config);
    const pipeline = new FeedPipeline({ config, catalog, online: testOnlineState(), models: () => undefined, pool: new TrafficPool(config.ranker) });
    const ctx = pipeline.contextFor({ userId: 'u1', count: 10, explain: false, now: Date.now(), session: newSession('0123456789abcdef', 8192, 4) });
    ctx.ranked = Array.from(
      { length: 200 },
      (_, row): Candidate => ({
        row,
        itemId: catalog.items.id(row),
        source: 'locale',
        sources: ['locale'],
        sourceScore: 0,
        personal: false,
        purchase: (row % 17) / 100,
        score: 1,
      }),
    );
    const key = (s: ReturnType<typeof shoppableCandidates>[number]) => (s.type === 'product' ? `p:${catalog.products.id(s.productRow)}` : `l:${catalog.lives[s.liveIndex]!.live_id}`);

    const all = shoppableCandidates(ctx, new Set());
    expect(all.length).toBeGreaterThan(20);
    const values = all.map((s) => s.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(shoppableCandidates(ctx, new Set(), 5).map(key)).toEqual(all.slice(0, 5).map(key));

    // Served in this session: skipped, and the next best take their places.
    ctx.request.session.served.add(key(all[0]!));
    ctx.request.session.served.add(key(all[2]!));
    expect(shoppableCandidates(ctx, new Set(), 3).map(key)).toEqual([all[1]!, all[3]!, all[4]!].map(key));
  });
});

describe('shoppableSlotBlender', () => {
  const config = testConfig({ ranker: { commerce: { minValueRatio: 0, slotEvery: 3, minSpacing: 2 }, rerank: { creatorSpacing: 3 } } });
  const rows = makeWorld({ items: 300, productShare: 0.8 });
  const catalog = catalogFromRows(rows, config);
  const pipeline = new FeedPipeline({ config, catalog, online: testOnlineState(), models: () => undefined, pool: new TrafficPool(config.ranker) });
  const context = (userId: string) => pipeline.contextFor({ userId, count: 12, explain: false, now: Date.now(), session: newSession('0123456789abcdef', 8192, 4) });
  const video = (row: number): PageEntry => ({
    type: 'video',
    productRow: -1,
    candidate: { row, itemId: catalog.items.id(row), source: 'locale', sources: ['locale'], sourceScore: 0, purchase: 0.05, score: 1 } as Candidate,
  });
  const creatorOf = (e: PageEntry) => (e.type === 'video' ? catalog.itemCreator[e.candidate.row]! : e.type === 'product' ? e.creatorRow : catalog.lives[e.liveIndex]!.creator);

  it('never puts a product or live slot within creatorSpacing positions of a video by the same creator', async () => {
    let slotsSeen = 0;
    for (let trial = 0; trial < 20; trial++) {
      const ctx = context(`u${trial}`);
      // The page's own videos carry the products: the best product's creator is always on the page.
      const page = Array.from({ length: 12 }, (_, i) => video((trial * 12 + i) % 300));
      ctx.ranked = page.map((e) => (e as Extract<PageEntry, { type: 'video' }>).candidate);
      const out = await shoppableSlotBlender.blend(ctx, page, 12, unbounded);
      out.forEach((e, i) => {
        if (e.type === 'video') return;
        slotsSeen++;
        for (let j = Math.max(0, i - 3); j <= Math.min(out.length - 1, i + 3); j++) if (j !== i) expect(creatorOf(out[j]!)).not.toBe(creatorOf(e));
      });
    }
    expect(slotsSeen).toBeGreaterThan(10);
  });

  it('rotates on-air live streams among viewers, best first for most', () => {
    const now = Math.floor(Date.now() / 1000);
    catalog.setLives(['l1', 'l2', 'l3', 'l4'].map((live_id, i) => ({ live_id, creator_id: rows.creators[i]!.creator_id, product_id: '', title: live_id, starts_at: now - 60, ends_at: now + 3600 })));
    const firstLive = new Map<string, number>();
    for (let u = 0; u < 200; u++) {
      const ctx = context(`viewer${u}`);
      ctx.ranked = [];
      const live = shoppableCandidates(ctx, new Set()).find((s) => s.type === 'live');
      const id = live?.type === 'live' ? catalog.lives[live.liveIndex]!.live_id : 'none';
      firstLive.set(id, (firstLive.get(id) ?? 0) + 1);
    }
    expect([...firstLive.keys()].sort()).toEqual(['l1', 'l2', 'l3', 'l4']);
  });
});

describe('shoppable slots in the pipeline', () => {
  it('inserts shoppable slots at the configured spacing, never two in a row, and cards only for buyable products', async () => {
    const s = setup({ ranker: { commerce: { slotEvery: 4, minSpacing: 3, minValueRatio: 0 } } }, { productShare: 0.6 });
    s.catalog.productAvailable[s.catalog.products.row('p0')] = 0;
    let session = newSession('bbbbbbbbbbbbbbbb', 8192, 4);
    const types: string[] = [];
    for (let page = 0; page < 4; page++) {
      const res = await s.pipeline.run({ userId: 'u6', count: 10, explain: false, now: NOW, session });
      session = res.session;
      for (const e of res.entries) {
        types.push(e.type);
        if (e.type !== 'live' && e.productRow >= 0) expect(s.catalog.products.id(e.productRow)).not.toBe('p0');
      }
    }
    const slots = types.map((t, i) => (t === 'video' ? -1 : i)).filter((i) => i >= 0);
    expect(slots.length).toBeGreaterThanOrEqual(8);
    for (let k = 1; k < slots.length; k++) expect(slots[k]! - slots[k - 1]!).toBeGreaterThanOrEqual(4);
    expect(types.some((t) => t === 'live')).toBe(true);
  });
});
