import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.ts';
import { Rng } from '../../core/rng.ts';
import { SlotLedger } from '../slot-ledger.ts';
import { FeedPipeline } from '../pipeline.ts';
import { newSession } from '../session.ts';
import { NOW, request, setup, unbounded, videosOf } from '../stage-fixtures.ts';
import { catalogFromRows, event, fakeModels } from '../testing.ts';
import type { Candidate, FeedContext } from '../types.ts';
import { diversitySelector, spreadPositions } from './diversity.ts';

const rerank = { creatorSpacing: 2, categoryPenalty: 0.3, categoryWindow: 3, explorationShare: 0, explorationPromotedShare: 0, promotionShare: 0 };

/** Items row 0..n-1 with the given categories and creators (the creator row is its hash). */
function contextFor(categories: number[], creators: number[], r = rerank, exploration = new SlotLedger(1000, 1), promotion = new SlotLedger(1000, 1)): FeedContext {
  const config = ConfigSchema.parse({ ranker: { rerank: r } });
  const catalog = {
    itemCategory: Uint16Array.from(categories),
    itemCreator: Int32Array.from(creators),
    creatorHash: Uint32Array.from({ length: Math.max(...creators) + 1 }, (_, i) => i),
    // A person the catalog knows: the spacing rules of a known taste, not the cold-start probing.
    users: { row: () => 0 },
  };
  return { config, catalog, pool: { exploration, promotion }, request: { userId: 'u0', explain: false, session: { recentCreators: [] } } } as unknown as FeedContext;
}

/** `n` rows in five categories, each by its own creator. */
const rowsContext = (n: number, r = rerank, exploration?: SlotLedger): FeedContext =>
  contextFor(
    Array.from({ length: n }, (_, i) => i % 5),
    Array.from({ length: n }, (_, i) => i),
    r,
    exploration,
  );

const candidate = (row: number, score: number, sources = ['ann']): Candidate => ({ row, itemId: `i${row}`, source: sources[0], sources, sourceScore: 0, score, purchase: 0 }) as Candidate;

/** The selector's rule without shortcuts: scan the first 300 eligible candidates for every slot. */
function reference(ctx: FeedContext, pool: Candidate[], count: number): number[] {
  const { creatorSpacing, categoryPenalty, categoryWindow } = ctx.config.ranker.rerank;
  const explore = spreadPositions(count, ctx.config.ranker.rerank.explorationShare);
  const used = new Set<number>();
  const creators: number[] = [];
  const categories: number[] = [];
  const out: number[] = [];
  for (let pos = 0; pos < count; pos++) {
    const wantFresh = explore.has(pos) && pool.some((c, i) => !used.has(i) && c.sources.includes('fresh'));
    const pick = (fresh: boolean) => {
      let best = -1;
      let bestAdj = -Infinity;
      let scanned = 0;
      pool.forEach((c, i) => {
        if (used.has(i) || (fresh && !c.sources.includes('fresh')) || scanned >= 300) return;
        scanned++;
        const creator = ctx.catalog.itemCreator[c.row]!;
        if (creatorSpacing > 0 && creators.slice(-creatorSpacing).includes(creator)) return;
        const repeats = categories.slice(-categoryWindow).filter((k) => k === ctx.catalog.itemCategory[c.row]).length;
        const adj = c.score * (1 - (categoryPenalty * repeats) / categoryWindow);
        if (adj > bestAdj) {
          bestAdj = adj;
          best = i;
        }
      });
      return best;
    };
    let best = wantFresh ? pick(true) : -1;
    if (best < 0) best = pick(false);
    if (best < 0) break;
    used.add(best);
    out.push(pool[best]!.row);
    creators.push(ctx.catalog.itemCreator[pool[best]!.row]!);
    categories.push(ctx.catalog.itemCategory[pool[best]!.row]!);
  }
  return out;
}

describe('diversity selector', () => {
  it('discounts repeated categories and keeps creators apart', async () => {
    // Rows 0-2: category 0 by creators 0, 1, 2; row 3: category 1 by creator 0; row 4: category 1 by creator 3.
    const ctx = contextFor([0, 0, 0, 1, 1], [0, 1, 2, 0, 3]);
    const pool = [candidate(0, 1.0), candidate(1, 0.95), candidate(3, 0.9), candidate(2, 0.85), candidate(4, 0.5)];
    const rows = (await diversitySelector.select(ctx, pool, 5, unbounded)).map((c) => c.row);
    // Slot 2: row 3 (0.9) has creator 0, two slots back, so row 2 (0.85, third in category 0: x0.8 = 0.68) beats
    // row 4 (0.5); slot 3: creator 0 is three back and category 1 is new, so row 3.
    expect(rows).toEqual([0, 1, 2, 3, 4]);
    expect(rows).toEqual(reference(ctx, pool, 5));
  });

  it('gives way on the last page’s creators rather than return an empty page that would repeat for ever', async () => {
    // Only creator 0's videos are left, and the last page ended with creator 0.
    const ctx = contextFor([0, 1], [0, 0]);
    ctx.request.session.recentCreators.push(0);
    const rows = (await diversitySelector.select(ctx, [candidate(0, 1.0), candidate(1, 0.9)], 5, unbounded)).map((c) => c.row);
    // The first takes the page; within the page the spacing holds again, so the second waits.
    expect(rows).toEqual([0]);
    // With another creator's video in the pool the spacing across pages holds: that one alone, creator 0 two slots back.
    const mixed = contextFor([0, 1, 2], [0, 0, 1]);
    mixed.request.session.recentCreators.push(0);
    expect((await diversitySelector.select(mixed, [candidate(0, 1.0), candidate(1, 0.9), candidate(2, 0.1)], 5, unbounded)).map((c) => c.row)).toEqual([2]);
  });

  it('picks what a full scan picks, on random pools', async () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 50 + rng.int(200);
      const ctx = contextFor(
        Array.from({ length: n }, () => rng.int(4)),
        Array.from({ length: n }, () => rng.int(12)),
        { ...rerank, creatorSpacing: rng.int(4), categoryPenalty: rng.next() * 2, explorationShare: 0.2 },
      );
      const pool = Array.from({ length: n }, (_, row) => candidate(row, rng.next() * 2 - 0.2, rng.next() < 0.1 ? ['fresh'] : ['ann'])).sort((a, b) => b.score - a.score);
      const got = (await diversitySelector.select(ctx, pool, 20, unbounded)).map((c) => c.row);
      expect(got).toEqual(reference(ctx, pool, 20));
    }
  });

  it('shares exploration slots: no fresh item takes more than its share of the window', async () => {
    // Row 0 is the best fresh item for every request; rows 1-4 are weaker fresh items, rows 5-24 regular.
    const n = 25;
    const ledger = new SlotLedger(20, 0.1);
    const ctx = rowsContext(n, { ...rerank, explorationShare: 0.2 }, ledger);
    (ctx.request as { explain: boolean }).explain = true; // exploration slots are marked in the explained scores
    const explored = new Map<number, number>();
    for (let request = 0; request < 20; request++) {
      const pool = Array.from({ length: n }, (_, row) => candidate(row, row < 5 ? 0.5 - row * 0.01 : 1 - row * 0.01, row < 5 ? ['fresh'] : ['ann']));
      pool.sort((a, b) => b.score - a.score);
      for (const c of await diversitySelector.select(ctx, pool, 10, unbounded)) {
        if (c.scores?.exploration) explored.set(c.row, (explored.get(c.row) ?? 0) + 1);
      }
    }
    // 2 exploration slots per request, 40 in all; each item takes at most 2 of every 20 consecutive ones,
    // so every fresh item gets some instead of row 0 taking them all.
    expect(Math.max(...explored.values())).toBeLessThanOrEqual(4);
    expect([...explored.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('with explorationPromotedShare 0, gives exploration slots to first-audience videos before promoted ones, whatever their scores', async () => {
    const n = 20;
    const ctx = rowsContext(n, { ...rerank, explorationShare: 0.2 });
    // Rows 0-3: promoted to pool-2 on a strong record, scored highest; rows 4-7: waiting for their first audience.
    const pool = Array.from({ length: n }, (_, row) => ({ ...candidate(row, 1 - row * 0.01, row < 8 ? ['fresh'] : ['ann']), tier: row < 4 ? 'pool-2' : row < 8 ? 'first-audience' : undefined }));
    const explored = (await diversitySelector.select(ctx, pool, 10, unbounded)).filter((c) => c.explored).map((c) => c.row);
    expect(explored).toHaveLength(2);
    for (const row of explored) expect(row).toBeGreaterThanOrEqual(4);
  });

  it('offers explorationPromotedShare of the exploration slots to promoted videos first, marked promoted', async () => {
    const n = 40;
    const ledger = new SlotLedger(1000, 1);
    const ctx = rowsContext(n, { ...rerank, explorationShare: 0.2, explorationPromotedShare: 0.5 }, ledger);
    // Rows 0-3: promoted to pool-2; rows 4-7: waiting for their first audience; rows 8-39 regular, scored above all.
    const pool = () =>
      Array.from({ length: n }, (_, row) => ({
        ...candidate(row, row < 8 ? 0.5 - row * 0.01 : 1 - row * 0.01, row < 8 ? ['fresh'] : ['ann']),
        tier: row < 4 ? 'pool-2' : row < 8 ? 'first-audience' : undefined,
      })).sort((a, b) => b.score - a.score);
    const taken: { row: number; promoted: boolean }[] = [];
    for (let request = 0; request < 5; request++) {
      for (const c of await diversitySelector.select(ctx, pool(), 10, unbounded)) if (c.explored) taken.push({ row: c.row, promoted: c.promoted === true });
    }
    // 2 exploration slots a page, 10 in all: half to the promoted videos, the other half to first audiences.
    expect(taken).toHaveLength(10);
    expect(taken.filter((t) => t.row < 4).length).toBe(5);
    for (const t of taken) expect(t.promoted).toBe(t.row < 4);
    expect(ledger.promotedShare()).toBe(0.5);
  });
});

describe('promotion slots', () => {
  // Rows 0-3: promoted to pool-2 (row 0 scored highest of them); rows 4-7: in their first audience; rows 8-39 regular, scored above all.
  const n = 40;
  const pool = () =>
    Array.from({ length: n }, (_, row) => ({
      ...candidate(row, row < 8 ? 0.5 - row * 0.01 : 1 - row * 0.01, row < 8 ? ['fresh'] : ['ann']),
      tier: row < 4 ? 'pool-2' : row < 8 ? 'first-audience' : undefined,
    })).sort((a, b) => b.score - a.score);
  const categories = Array.from({ length: n }, (_, i) => i % 5);
  const creators = Array.from({ length: n }, (_, i) => i);

  it('gives promotionShare of the positions to the promoted video the person scores highest, never to a first audience', async () => {
    const ctx = contextFor(categories, creators, { ...rerank, promotionShare: 0.1 });
    (ctx.request as { explain: boolean }).explain = true;
    const page = await diversitySelector.select(ctx, pool(), 20, unbounded);
    const promoted = page.filter((c) => c.promoted);
    expect(promoted.map((c) => c.row)).toEqual([0, 1]);
    expect(promoted.map((c) => c.scores?.promotion)).toEqual([1, 1]);
    // Without the share, the regular candidates outscore every fresh one and fill the page.
    const plain = await diversitySelector.select(contextFor(categories, creators), pool(), 20, unbounded);
    expect(plain.filter((c) => c.row < 8)).toEqual([]);
  });

  it('shares promotion slots: one video takes at most its share of the window, then the next promoted one', async () => {
    const promotion = new SlotLedger(20, 0.1);
    const ctx = contextFor(categories, creators, { ...rerank, promotionShare: 0.1 }, new SlotLedger(1000, 1), promotion);
    const taken = new Map<number, number>();
    for (let request = 0; request < 10; request++) {
      for (const c of await diversitySelector.select(ctx, pool(), 20, unbounded)) if (c.promoted) taken.set(c.row, (taken.get(c.row) ?? 0) + 1);
    }
    // 2 promotion slots per page, 20 in all: each of the 4 promoted videos takes at most 2 of every 20.
    expect([...taken.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(Math.max(...taken.values())).toBeLessThanOrEqual(2);
  });

  it('places promotion slots apart from exploration slots', () => {
    const explore = spreadPositions(20, 0.1);
    const promote = spreadPositions(20, 0.1, explore);
    expect(promote.size).toBe(2);
    for (const p of promote) expect(explore.has(p)).toBe(false);
    expect(promote.has(0)).toBe(false);
  });
});

describe('diversity selector in the pipeline', () => {
  it("gives up to sessionInterestShare of a page to the session's strongest category", async () => {
    const pageShare = async (share: number) => {
      // Many creators, so creator spacing leaves enough food videos to fill the slots.
      const s = setup({ ranker: { rerank: { sessionInterestShare: share } } }, { items: 900, creators: 120 });
      await s.holder.swap(
        fakeModels(
          'm',
          s.rows.items.map((i) => i.item_id),
        ),
      );
      const food = s.rows.items.filter((i) => i.category === 'food').slice(0, 5);
      s.online.apply(food.flatMap((i) => [event('complete', 'u8', { item_id: i.item_id }), event('like', 'u8', { item_id: i.item_id })]));
      const res = await s.pipeline.run(request('u8', 10));
      const videos = videosOf(s.catalog, res.entries);
      return videos.filter((e) => e.category === 'food').length / videos.length;
    };
    // A new user whose session is all food: lift 1, so 8 of 10 positions (product slots may take some of the others).
    expect(await pageShare(0.8)).toBeGreaterThanOrEqual(0.75);
    expect(await pageShare(0)).toBeLessThan(0.5);
  });

  it("gives a slot to a followed creator's new post", async () => {
    // The post is new, so also in the fresh pool: in some worlds an exploration slot takes it
    // first. World 1 is one where none does (the plain page below shows where it ranks then).
    // No creator spacing: the creator's older videos may rank first, and the slot is for the new one.
    const s = setup({ ranker: { rerank: { creatorSpacing: 0 } } }, { seed: 1 });
    const creator = s.rows.creators.find((c) => c.locale === s.rows.users[7]!.locale)!.creator_id;
    const post = s.rows.items.find((i) => i.creator_id === creator)!;
    post.published_at = Math.floor(NOW / 1000) - 3600;
    const catalog = catalogFromRows(s.rows, s.config);
    const p = new FeedPipeline({ ...s.deps, catalog });
    s.online.apply([event('follow', 'u7', { creator_id: creator })]);
    const res = await p.run(request('u7', 10, true));
    expect(res.explain!.items[1]!.item_id).toBe(post.item_id);
    // Without the slot the page is the plain ranking, where this post is not at that position.
    const off = setup({ ranker: { rerank: { followingSlots: 0, creatorSpacing: 0 } } }, { seed: 1 });
    off.online.apply([event('follow', 'u7', { creator_id: creator })]);
    const plain = await new FeedPipeline({ ...off.deps, catalog }).run(request('u7', 10, true));
    expect(plain.explain!.items[1]!.item_id).not.toBe(post.item_id);
  });

  it('never places two items of one creator within creatorSpacing positions, across pages too', async () => {
    // 12 creators over two locales: six in the user's language, enough for a spacing of 4.
    const s = setup({ ranker: { rerank: { creatorSpacing: 4 } } }, { creators: 12, items: 400 });
    let session = newSession('aaaaaaaaaaaaaaaa', 8192, 4);
    const creators: string[] = [];
    for (let page = 0; page < 5; page++) {
      const res = await s.pipeline.run({ userId: 'u5', count: 10, explain: false, now: NOW, session });
      session = res.session;
      for (const e of videosOf(s.catalog, res.entries)) creators.push(e.creator_id);
    }
    expect(creators.length).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < creators.length; i++) {
      expect(creators.slice(Math.max(0, i - 4), i)).not.toContain(creators[i]);
    }
  });

  it('reserves the exploration share of slots for the fresh pool', async () => {
    const s = setup({ ranker: { rerank: { explorationShare: 0.2 } } });
    const nowSec = Math.floor(NOW / 1000);
    s.catalog.upsertItems(
      // Another language, so that only the exploration slots bring them in.
      Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh${k}`, locale: 'fr', published_at: nowSec - 60 * (k + 1) })),
    );
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const res = await s.pipeline.run(request('u7', 10, true));
    const positions = [...spreadPositions(10, 0.2)];
    expect(positions).toHaveLength(2);
    const fresh = res.explain!.items.filter((i) => i.sources.includes('fresh'));
    expect(fresh.map((i) => i.scores.exploration)).toEqual([1, 1]);
    const without = setup({ ranker: { rerank: { explorationShare: 0 } } });
    without.catalog.upsertItems(Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh${k}`, locale: 'fr', published_at: nowSec - 60 * (k + 1) })));
    without.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const plain = await without.pipeline.run(request('u7', 10, true));
    expect(plain.explain!.items.filter((i) => i.sources.includes('fresh'))).toHaveLength(0);
  });
});
