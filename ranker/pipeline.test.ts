import { beforeEach, describe, expect, it } from 'vitest';
import { deepMerge } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import { testConfig } from '../test/stack.ts';
import { itemToItemSource } from './candidate-source/i2i.ts';
import { trendingSource } from './candidate-source/trending.ts';
import { hiddenFilter } from './filter/hidden.ts';
import { ownItemsFilter } from './filter/own-items.ts';
import { seenFilter } from './filter/seen.ts';
import { sessionSeenFilter } from './filter/session-seen.ts';
import { trafficPoolFilter } from './filter/traffic-pool.ts';
import { unavailableFilter } from './filter/unavailable.ts';
import type { ServingCatalog } from './catalog/serving-catalog.ts';
import { ModelHolder } from './models.ts';
import { FeedPipeline, mergeRoundRobin, STAGES, type PipelineStages } from './pipeline.ts';
import { StageError } from './run-stage.ts';
import { heuristicScorer } from './scorer/heuristic.ts';
import { modelScorer } from './scorer/model.ts';
import { explorationPositions } from './selector/diversity.ts';
import { newSession } from './session.ts';
import { catalogFromRows, event, fakeModels, makeWorld, type WorldRows } from './testing.ts';
import { TrafficPool } from './traffic-pool.ts';
import type { CandidateSource, FeedContext, Filter, PageEntry } from './types.ts';

const NOW = Date.now();

function setup(extra: Record<string, unknown> = {}, worldOpts: Parameters<typeof makeWorld>[0] = {}) {
  const config: Config = testConfig(deepMerge({ ranker: { trafficPool: { refreshMs: 0 } } }, extra));
  const rows: WorldRows = makeWorld(worldOpts);
  const catalog = catalogFromRows(rows, config);
  const online = new MemoryOnlineState();
  const holder = new ModelHolder(config, catalog.items);
  const deps = { config, catalog, online, models: () => holder.current, pool: new TrafficPool(config.ranker) };
  return { config, rows, catalog, online, holder, deps };
}

/** The page's videos as the catalog holds them (the ranker returns rows; feed-api renders them). */
function videosOf(catalog: ServingCatalog, entries: readonly PageEntry[]) {
  return entries.flatMap((e) => (e.type === 'video' ? [catalog.itemRow(e.candidate.row)] : []));
}

function request(userId: string, count = 10, explain = false) {
  return { userId, count, explain, now: NOW, session: newSession('0123456789abcdef', 8192, 4) };
}

/** A context with candidates from the given item ids and source, for stage-level tests. */
function contextWith(p: FeedPipeline, userId: string, items: { id: string; source: string }[]) {
  const ctx = p.contextFor(request(userId));
  const perSource = new Map<string, { row: number; score: number }[]>();
  for (const { id, source } of items) {
    const list = perSource.get(source) ?? [];
    list.push({ row: ctx.catalog.items.row(id), score: 1 });
    perSource.set(source, list);
  }
  const candidates = mergeRoundRobin(ctx, [...perSource].map(([name, hits]) => ({ name, hits })), 1000);
  return { ctx, candidates };
}

async function runFilter(f: Filter, ctx: FeedContext, items: ReturnType<typeof contextWith>['candidates']) {
  const res = await f.filter(ctx, items);
  expect(res.kept.length + res.removed.length).toBe(items.length);
  return { kept: res.kept.map((c) => c.itemId), removed: res.removed.map((r) => [r.candidate.itemId, r.reason] as const) };
}

describe('ranker pipeline stages', () => {
  let s: ReturnType<typeof setup>;
  let pipeline: FeedPipeline;
  beforeEach(() => {
    s = setup();
    pipeline = new FeedPipeline(s.deps);
  });

  it('lists every stage once, in order, each with a budget and a failure mode', () => {
    const all = Object.values(STAGES).flat();
    expect(new Set(all.map((x) => x.name)).size).toBe(all.length);
    for (const stage of all) {
      expect(stage.budgetMs).toBeGreaterThan(0);
      expect(typeof stage.failOpen).toBe('boolean');
    }
    expect(STAGES.filters.map((f) => f.name)).toEqual(['unavailable', 'own-items', 'session-seen', 'hidden', 'seen', 'cold-locale', 'traffic-pool']);
  });

  it('merges sources round-robin, deduplicating and keeping every source of an item', () => {
    const { candidates } = contextWith(pipeline, 'u1', [
      { id: 'v1', source: 'ann' },
      { id: 'v2', source: 'ann' },
      { id: 'v1', source: 'trending' },
      { id: 'v3', source: 'trending' },
    ]);
    expect(candidates.map((c) => [c.itemId, c.source, c.sources])).toEqual([
      ['v1', 'ann', ['ann', 'trending']],
      ['v2', 'ann', ['ann']],
      ['v3', 'trending', ['trending']],
    ]);
  });

  it('unavailable: removes taken-down items with a reason', async () => {
    s.catalog.itemAvailable[s.catalog.items.row('v2')] = 0;
    const { ctx, candidates } = contextWith(pipeline, 'u1', [{ id: 'v1', source: 'ann' }, { id: 'v2', source: 'ann' }]);
    expect(await runFilter(unavailableFilter, ctx, candidates)).toEqual({ kept: ['v1'], removed: [['v2', 'item is unavailable']] });
  });

  it("own-items: removes the user's own videos", async () => {
    // Creator c3 browsing: v3 is theirs (item i belongs to creator i % 30).
    const { ctx, candidates } = contextWith(pipeline, 'c3', [{ id: 'v3', source: 'ann' }, { id: 'v4', source: 'ann' }]);
    expect(await runFilter(ownItemsFilter, ctx, candidates)).toEqual({ kept: ['v4'], removed: [['v3', "the user's own item"]] });
  });

  it('session-seen: removes what the cursor says this session already got', async () => {
    const { ctx, candidates } = contextWith(pipeline, 'u1', [{ id: 'v5', source: 'locale' }, { id: 'v6', source: 'locale' }]);
    ctx.request.session.page = 1;
    ctx.request.session.served.add('v6');
    expect(await runFilter(sessionSeenFilter, ctx, candidates)).toEqual({ kept: ['v5'], removed: [['v6', 'already served in this session']] });
  });

  it('hidden: removes not-interested items and hidden creators', async () => {
    s.online.apply([event('not_interested', 'u1', { item_id: 'v7' }), event('not_interested', 'u1', { creator_id: 'c8' })]);
    const { ctx, candidates } = contextWith(pipeline, 'u1', [
      { id: 'v7', source: 'ann' },
      { id: 'v8', source: 'ann' },
      { id: 'v9', source: 'ann' },
    ]);
    expect(await runFilter(hiddenFilter, ctx, candidates)).toEqual({
      kept: ['v9'],
      removed: [
        ['v7', 'user marked the item not interested'],
        ['v8', 'user hid creator c8'],
      ],
    });
  });

  it('seen: removes items seen in earlier sessions (online state)', async () => {
    s.online.apply([event('impression', 'u1', { item_id: 'v10' })]);
    const { ctx, candidates } = contextWith(pipeline, 'u1', [{ id: 'v10', source: 'ann' }, { id: 'v11', source: 'ann' }]);
    expect(await runFilter(seenFilter, ctx, candidates)).toEqual({ kept: ['v11'], removed: [['v10', 'seen in an earlier session']] });
  });

  it('traffic-pool: a fresh item its first audience skipped gets no broad traffic, personal sources may still show it', async () => {
    const fresh = { ...s.rows.items[0]!, item_id: 'new-skipped', published_at: Math.floor(NOW / 1000) - 600 };
    s.catalog.upsertItems([fresh]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, Math.floor(NOW / 1000));
    const cap = s.config.ranker.trafficPool.tiers[0]!.maxImpressions;
    const events = Array.from({ length: cap }, (_, k) => [
      event('impression', `aud${k}`, { item_id: 'new-skipped' }),
      event('play', `aud${k}`, { item_id: 'new-skipped', watch_ms: 500, duration_ms: 20_000 }),
      event('skip', `aud${k}`, { item_id: 'new-skipped' }),
    ]).flat();
    s.online.apply(events);
    const { ctx, candidates } = contextWith(pipeline, 'u1', [
      { id: 'new-skipped', source: 'locale' },
      { id: 'v12', source: 'locale' },
    ]);
    const res = await runFilter(trafficPoolFilter, ctx, candidates);
    expect(res.kept).toEqual(['v12']);
    expect(res.removed[0]![0]).toBe('new-skipped');
    expect(res.removed[0]![1]).toMatch(/^traffic pool stopped: audience of first-audience: watch ratio 0\.0\d < 0\.5, completion 0\.00 < 0\.3, skip rate 1\.00 > 0\.6$/);
    const personal = contextWith(pipeline, 'u1', [{ id: 'new-skipped', source: 'following' }]);
    expect((await runFilter(trafficPoolFilter, personal.ctx, personal.candidates)).kept).toEqual(['new-skipped']);
  });

  it('item-to-item: nearest neighbours of well-watched items, each seed searched once per model version', async () => {
    await s.holder.swap(fakeModels('m1', s.rows.items.map((i) => i.item_id)));
    s.online.apply([event('play', 'u1', { item_id: 'v1', watch_ms: 9000, duration_ms: 10_000 }), event('like', 'u1', { item_id: 'v2' })]);
    const snap = s.holder.current!;
    let searches = 0;
    const search = snap.ann.searchLabels.bind(snap.ann);
    snap.ann.searchLabels = (q, k, p) => (searches++, search(q, k, p));
    const ctx = pipeline.contextFor(request('u1'));
    const first = await itemToItemSource.fetch(ctx, 20);
    const ids = first.map((h) => s.catalog.items.id(h.row));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain('v1');
    expect(ids).not.toContain('v2');
    // The best hit is the nearest neighbour of a seed by the model's own vectors.
    const v1 = snap.retrieval.itemVector('v1')!;
    const v2 = snap.retrieval.itemVector('v2')!;
    const sim = (id: string) => Math.max(...[v1, v2].map((v) => v.reduce((a, x, i) => a + x * snap.retrieval.itemVector(id)![i]!, 0)));
    const exact = s.rows.items.map((i) => i.item_id).filter((id) => id !== 'v1' && id !== 'v2').sort((a, b) => sim(b) - sim(a));
    expect(ids[0]).toBe(exact[0]);
    expect(searches).toBe(1);
    expect(await itemToItemSource.fetch(pipeline.contextFor(request('u1')), 20)).toEqual(first);
    expect(searches).toBe(1);
    expect(snap.neighbours.size).toBe(2);
  });

  it('scorers return exactly one score per candidate, in input order', async () => {
    await s.holder.swap(fakeModels('m1', s.rows.items.map((i) => i.item_id)));
    for (const scorer of [heuristicScorer, modelScorer]) {
      const ids = ['v1', 'v2', 'v3', 'v4'];
      const { ctx, candidates } = contextWith(pipeline, 'u1', ids.map((id) => ({ id, source: 'ann' })));
      await STAGES.hydrators[0]!.hydrate(ctx, candidates);
      const forward = Array.from(await scorer.score(ctx, candidates));
      const backward = Array.from(await scorer.score(ctx, [...candidates].reverse()));
      expect(forward).toHaveLength(4);
      expect(backward).toEqual([...forward].reverse());
      expect(forward.every(Number.isFinite)).toBe(true);
    }
  });

  it('explains a page: sources, stage scores, filters passed and removed candidates with reasons', async () => {
    s.online.apply([event('not_interested', 'u1', { creator_id: 'c1' })]);
    const res = await pipeline.run(request('u1', 10, true));
    const explain = res.explain!;
    expect(explain.scorer).toBe('heuristic');
    expect(explain.model_version).toBeNull();
    expect(explain.items).toHaveLength(res.entries.length);
    for (const item of explain.items.filter((i) => i.type === 'video')) {
      expect(item.filters_passed).toEqual(STAGES.filters.map((f) => f.name));
      expect(item.scores).toHaveProperty('heuristic');
      expect(item.scores).toHaveProperty('final');
    }
    const hidden = explain.removed.filter((r) => r.stage === 'hidden');
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden.every((r) => r.reason === 'user hid creator c1')).toBe(true);
    expect(explain.stages.map((t) => t.stage)).toEqual(expect.arrayContaining(['locale', 'signals', 'unavailable', 'heuristic', 'diversity', 'shoppable-slots']));
    const creatorOf = (e: PageEntry) =>
      e.type === 'video' ? s.catalog.itemRow(e.candidate.row).creator_id : e.type === 'product' && e.creatorRow >= 0 ? s.catalog.creators.id(e.creatorRow) : null;
    expect(res.entries.some((e) => creatorOf(e) === 'c1')).toBe(false);
  });

  it('a failing fail-open source drops its output and the page is still served', async () => {
    const broken: CandidateSource = { name: 'trending', kind: 'source', budgetMs: 5, failOpen: true, fetch: () => { throw new Error('boom'); } };
    const stages: PipelineStages = { ...STAGES, sources: [broken, ...STAGES.sources.filter((x) => x.name !== 'trending')] };
    const res = await new FeedPipeline(s.deps, stages).run(request('u2', 10, true));
    expect(res.entries.length).toBe(10);
    expect(res.explain!.stages.find((t) => t.stage === 'trending')).toMatchObject({ outcome: 'failed_open', error: 'boom' });
  });

  it('an async source that overruns its budget is cut off', async () => {
    const slow: CandidateSource = { name: 'kol', kind: 'source', budgetMs: 20, failOpen: true, fetch: () => new Promise(() => {}) };
    const stages: PipelineStages = { ...STAGES, sources: [slow, ...STAGES.sources.filter((x) => x.name !== 'kol')] };
    const res = await new FeedPipeline(s.deps, stages).run(request('u2', 5, true));
    expect(res.explain!.stages.find((t) => t.stage === 'kol')).toMatchObject({ outcome: 'failed_open', error: 'exceeded its 20 ms budget' });
    expect(res.entries.length).toBe(5);
  });

  it('a failing fail-closed stage fails the request', async () => {
    const broken: Filter = { name: 'hidden', kind: 'filter', budgetMs: 5, failOpen: false, filter: () => { throw new Error('bug'); } };
    const stages: PipelineStages = { ...STAGES, filters: [broken] };
    await expect(new FeedPipeline(s.deps, stages).run(request('u2'))).rejects.toThrow(StageError);
  });

  it('falls back to the heuristic scorer when the model fails, and says so', async () => {
    await s.holder.swap(fakeModels('bad', s.rows.items.map((i) => i.item_id), 8, { failPredict: true }));
    const res = await pipeline.run(request('u3', 10, true));
    expect(res.entries.length).toBe(10);
    expect(res.scorer).toBe('heuristic');
    expect(res.modelVersion).toBe('bad');
    expect(res.explain!.stages.find((t) => t.stage === 'ranker-model')).toMatchObject({ outcome: 'failed_open', error: 'model exploded' });
  });

  it('scores with the promoted model and retrieves with its ANN index', async () => {
    await s.holder.swap(fakeModels('m2', s.rows.items.map((i) => i.item_id)));
    const watched = s.rows.items.slice(0, 3);
    s.online.apply(watched.flatMap((i) => [event('complete', 'u4', { item_id: i.item_id }), event('like', 'u4', { item_id: i.item_id })]));
    const res = await pipeline.run(request('u4', 10, true));
    expect(res.scorer).toBe('ranker-model');
    expect(res.explain!.candidates_per_source.ann).toBe(s.config.ranker.sources.ann);
    const videos = res.explain!.items.filter((i) => i.type === 'video');
    expect(Object.keys(videos[0]!.scores)).toEqual(expect.arrayContaining(['p_complete', 'p_follow', 'p_purchase', 'ranker-model']));
    // Explain shows the user–item relation: affinities and the most attended of the watched items.
    for (const v of videos) {
      const r = v.relation!;
      expect(r.attended.length).toBe(3);
      expect(watched.map((i) => i.item_id)).toContain(r.attended[0]!.item_id);
      expect(r.attention.max).toBeCloseTo(r.attended.reduce((m, a) => Math.max(m, a.cosine), -1), 5);
    }
    const sameCategory = videos.find((v) => watched.some((w) => w.category === s.rows.items.find((i) => i.item_id === v.item_id)!.category));
    expect(sameCategory?.relation!.affinity.category_session).toBeGreaterThan(0);
  });
});

describe('page composition', () => {
  it('gives up to sessionInterestShare of a page to the session\'s strongest category', async () => {
    const pageShare = async (share: number) => {
      // Many creators, so creator spacing leaves enough food videos to fill the slots.
      const s = setup({ ranker: { rerank: { sessionInterestShare: share } } }, { items: 900, creators: 120 });
      await s.holder.swap(fakeModels('m', s.rows.items.map((i) => i.item_id)));
      const food = s.rows.items.filter((i) => i.category === 'food').slice(0, 5);
      s.online.apply(food.flatMap((i) => [event('complete', 'u8', { item_id: i.item_id }), event('like', 'u8', { item_id: i.item_id })]));
      const res = await new FeedPipeline(s.deps).run(request('u8', 10));
      const videos = videosOf(s.catalog, res.entries);
      return videos.filter((v) => v.category === 'food').length / videos.length;
    };
    // A new user whose session is all food: lift 1, so 8 of 10 positions (product slots may take some of the others).
    expect(await pageShare(0.8)).toBeGreaterThanOrEqual(0.75);
    expect(await pageShare(0)).toBeLessThan(0.5);
  });

  it('gives a slot to a followed creator\'s new post', async () => {
    const s = setup();
    const creator = s.rows.creators.find((c) => c.locale === s.rows.users[7]!.locale)!.creator_id;
    const post = s.rows.items.find((i) => i.creator_id === creator)!;
    post.published_at = Math.floor(NOW / 1000) - 3600;
    const catalog = catalogFromRows(s.rows, s.config);
    const p = new FeedPipeline({ ...s.deps, catalog });
    s.online.apply([event('follow', 'u7', { creator_id: creator })]);
    const res = await p.run(request('u7', 10, true));
    expect(res.explain!.items[1]!.item_id).toBe(post.item_id);
    // Without the slot the page is the plain ranking, where this post is not at that position.
    const off = setup({ ranker: { rerank: { followingSlots: 0 } } });
    off.online.apply([event('follow', 'u7', { creator_id: creator })]);
    const plain = await new FeedPipeline({ ...off.deps, catalog }).run(request('u7', 10, true));
    expect(plain.explain!.items[1]!.item_id).not.toBe(post.item_id);
  });

  it('never places two items of one creator within creatorSpacing positions, across pages too', async () => {
    // 12 creators over two locales: six in the user's language, enough for a spacing of 4.
    const s = setup({ ranker: { rerank: { creatorSpacing: 4 } } }, { creators: 12, items: 400 });
    const p = new FeedPipeline(s.deps);
    let session = newSession('aaaaaaaaaaaaaaaa', 8192, 4);
    const creators: string[] = [];
    for (let page = 0; page < 5; page++) {
      const res = await p.run({ userId: 'u5', count: 10, explain: false, now: NOW, session });
      session = res.session;
      for (const v of videosOf(s.catalog, res.entries)) creators.push(v.creator_id);
    }
    expect(creators.length).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < creators.length; i++) {
      expect(creators.slice(Math.max(0, i - 4), i)).not.toContain(creators[i]);
    }
  });

  it('inserts shoppable slots at the configured spacing, never two in a row, and cards only for buyable products', async () => {
    const s = setup({ ranker: { commerce: { slotEvery: 4, minSpacing: 3, minValueRatio: 0 } } }, { productShare: 0.6 });
    s.catalog.productAvailable[s.catalog.products.row('p0')] = 0;
    const p = new FeedPipeline(s.deps);
    let session = newSession('bbbbbbbbbbbbbbbb', 8192, 4);
    const types: string[] = [];
    for (let page = 0; page < 4; page++) {
      const res = await p.run({ userId: 'u6', count: 10, explain: false, now: NOW, session });
      session = res.session;
      for (const e of res.entries) {
        types.push(e.type);
        if (e.type === 'video' && e.productRow >= 0) expect(s.catalog.products.id(e.productRow)).not.toBe('p0');
      }
    }
    const slots = types.map((t, i) => (t === 'video' ? -1 : i)).filter((i) => i >= 0);
    expect(slots.length).toBeGreaterThanOrEqual(8);
    for (let k = 1; k < slots.length; k++) expect(slots[k]! - slots[k - 1]!).toBeGreaterThanOrEqual(4);
    expect(types.some((t) => t === 'live')).toBe(true);
  });

  it('reserves the exploration share of slots for the fresh pool', async () => {
    const s = setup({ ranker: { rerank: { explorationShare: 0.2 } } });
    const nowSec = Math.floor(NOW / 1000);
    s.catalog.upsertItems(
      // Another language, so that only the exploration slots bring them in.
      Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh${k}`, locale: 'fr', published_at: nowSec - 60 * (k + 1) })),
    );
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const res = await new FeedPipeline(s.deps).run(request('u7', 10, true));
    const positions = [...explorationPositions(10, 0.2)];
    expect(positions).toHaveLength(2);
    const fresh = res.explain!.items.filter((i) => i.sources.includes('fresh'));
    expect(fresh.map((i) => i.scores.exploration)).toEqual([1, 1]);
    const without = setup({ ranker: { rerank: { explorationShare: 0 } } });
    without.catalog.upsertItems(
      Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh${k}`, locale: 'fr', published_at: nowSec - 60 * (k + 1) })),
    );
    without.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const plain = await new FeedPipeline(without.deps).run(request('u7', 10, true));
    expect(plain.explain!.items.filter((i) => i.sources.includes('fresh'))).toHaveLength(0);
  });

  it('gives a cold-start user a mix of trending, fresh, locale and segment content in their language', async () => {
    const s = setup();
    const nowSec = Math.floor(NOW / 1000);
    s.catalog.upsertItems([{ ...s.rows.items[1]!, item_id: 'fresh-en', locale: 'en', published_at: nowSec - 60 }]);
    // People the catalog does not know are segment `new`: they get what new people engaged with.
    s.catalog.stats.segmentTop = new Map([['new', ['v20', 'v21', 'v22']]]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    s.online.apply(['v30', 'v31', 'v32'].map((id) => event('like', 'someone', { item_id: id })));
    const p = new FeedPipeline(s.deps);
    const res = await p.run({ ...request('brand-new-user', 20, true), locale: 'zh' });
    expect(res.explain!.cold_start).toBe(true);
    expect(res.explain!.user.segment).toBe('new');
    expect(res.entries.length).toBe(20);
    for (const src of ['trending', 'fresh', 'locale', 'segment', 'kol']) expect(res.explain!.candidates_per_source[src]).toBeGreaterThan(0);
    expect(res.explain!.candidates_per_source.ann).toBe(0);
    expect(new Set(res.explain!.items.map((i) => i.source)).size).toBeGreaterThanOrEqual(2);
    const videos = videosOf(s.catalog, res.entries);
    expect(videos.filter((v) => v.locale === 'zh').length).toBeGreaterThan(videos.length / 2);
  });

  it('serves a new user who has engaged with nothing only videos in their language, ANN and fresh ones too', async () => {
    const s = setup({}, { items: 900, creators: 120 });
    await s.holder.swap(fakeModels('m', s.rows.items.map((i) => i.item_id)));
    const nowSec = Math.floor(NOW / 1000);
    // Fresh videos in the other language compete for the exploration slots.
    s.catalog.upsertItems(Array.from({ length: 10 }, (_, k) => ({ ...s.rows.items[k]!, item_id: `fresh-zh${k}`, locale: 'zh', published_at: nowSec - 60 * (k + 1) })));
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const p = new FeedPipeline(s.deps);
    const res = await p.run({ ...request('brand-new-en', 20, true), locale: 'en' });
    expect(res.explain!.candidates_per_source.ann).toBeGreaterThan(0);
    const videos = videosOf(s.catalog, res.entries);
    expect(videos.length).toBeGreaterThan(10);
    expect(videos.filter((v) => v.locale !== 'en')).toEqual([]);
    // Nothing else is known of them: the page probes every category before repeating one.
    const categories = new Set(s.rows.items.map((i) => i.category)).size;
    expect(new Set(videos.slice(0, categories).map((v) => v.category)).size).toBe(categories);
    // Once they engage, their history speaks and the ranker decides: other languages may come back.
    s.online.apply([event('complete', 'brand-new-en', { item_id: videos[0]!.item_id })]);
    const next = await p.run({ ...request('brand-new-en', 20, true), locale: 'en' });
    expect(next.explain!.removed.filter((r) => r.reason.includes('not in their language'))).toEqual([]);
  });

  it('trending falls back to the last day from ClickHouse while the online window is empty', async () => {
    const s = setup();
    s.catalog.stats.trendingFallback = [{ item_id: 'v7', score: 9 }, { item_id: 'v3', score: 4 }];
    const p = new FeedPipeline(s.deps);
    const rows = async () => (await trendingSource.fetch(p.contextFor(request('u1')), 10)).map((h) => s.catalog.items.id(h.row));
    expect(await rows()).toEqual(['v7', 'v3']);
    s.online.apply([event('like', 'someone', { item_id: 'v30' })]);
    expect(await rows()).toEqual(['v30']);
  });

  it('a session that runs out of candidates widens the pool, then says end_of_feed instead of a silently short page', async () => {
    const s = setup({}, { items: 120 });
    const p = new FeedPipeline(s.deps);
    const req = request('u1', 20);
    const served = new Set<string>();
    let res;
    let pages = 0;
    do {
      res = await p.run(req);
      pages++;
      for (const v of videosOf(s.catalog, res.entries)) {
        expect(served.has(v.item_id)).toBe(false);
        served.add(v.item_id);
      }
      if (!res.endOfFeed) expect(res.entries.length).toBe(20);
    } while (!res.endOfFeed && pages < 30);
    expect(res.endOfFeed).toBe(true);
    // Well past what the sources' quotas give one session: the backfill source widened the pool.
    const available = s.catalog.itemAvailable.subarray(0, s.catalog.items.size).reduce((a, b) => a + b, 0);
    expect(served.size).toBeGreaterThan(0.8 * available);
  });

  it('traffic pool: a new item its first audience watched fully reaches more users than one they skipped', async () => {
    const s = setup({ ranker: { rerank: { explorationShare: 0.2 }, sources: { fresh: 10 } } }, { items: 200, users: 10 });
    const nowSec = Math.floor(NOW / 1000);
    const base = s.rows.items[0]!;
    s.catalog.upsertItems([
      { ...base, item_id: 'new-loved', creator_id: 'c1', published_at: nowSec - 300 },
      { ...base, item_id: 'new-skipped', creator_id: 'c2', published_at: nowSec - 300 },
    ]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    const p = new FeedPipeline(s.deps);
    const cap = s.config.ranker.trafficPool.tiers[0]!.maxImpressions;

    // The first audience: fetch feeds until each new item was shown `cap` times; react as the item deserves.
    const shown = { 'new-loved': 0, 'new-skipped': 0 } as Record<string, number>;
    for (let u = 0; u < 400 && (shown['new-loved']! < cap || shown['new-skipped']! < cap); u++) {
      const user = `first${u}`;
      const res = await p.run(request(user, 10));
      for (const e of videosOf(s.catalog, res.entries)) {
        if (!(e.item_id in shown)) continue;
        shown[e.item_id]!++;
        const loved = e.item_id === 'new-loved';
        s.online.apply([
          event('impression', user, { item_id: e.item_id }),
          event('play', user, { item_id: e.item_id, watch_ms: loved ? e.duration_ms : 300, duration_ms: e.duration_ms }),
          event(loved ? 'complete' : 'skip', user, { item_id: e.item_id }),
        ]);
      }
    }
    expect(shown['new-loved']).toBeGreaterThanOrEqual(cap);
    expect(shown['new-skipped']).toBeGreaterThanOrEqual(cap);

    // The next audience.
    const reached = { 'new-loved': 0, 'new-skipped': 0 } as Record<string, number>;
    for (let u = 0; u < 60; u++) {
      const res = await p.run(request(`next${u}`, 10));
      for (const e of videosOf(s.catalog, res.entries)) if (e.item_id in reached) reached[e.item_id]!++;
    }
    expect(reached['new-loved']).toBeGreaterThan(10);
    expect(reached['new-loved']).toBeGreaterThan(3 * reached['new-skipped']!);
  });
});


describe('pipeline config', () => {
  it('rejects budgets for stages that do not exist, naming the known ones', () => {
    const s = setup({ ranker: { stageBudgetsMs: { scorer: 10 } } });
    expect(() => new FeedPipeline(s.deps)).toThrow(/ranker.stageBudgetsMs names unknown stages: scorer \(stages: ann, i2i/);
  });

  it('applies a configured budget override to a stage', async () => {
    const s = setup({ ranker: { stageBudgetsMs: { kol: 5 } } });
    const slow: CandidateSource = { name: 'kol', kind: 'source', budgetMs: 1000, failOpen: true, fetch: () => new Promise(() => {}) };
    const res = await new FeedPipeline(s.deps, { ...STAGES, sources: [slow] }).run(request('u1', 5, true));
    expect(res.explain!.stages.find((t) => t.stage === 'kol')).toMatchObject({ outcome: 'failed_open', error: 'exceeded its 5 ms budget' });
  });
});
