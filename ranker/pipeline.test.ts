import { describe, expect, it, vi } from 'vitest';
import { annSource } from './candidate-source/ann.ts';
import { newestSource } from './candidate-source/newest.fixture.ts';
import { metrics } from '../core/metrics.ts';
import { metricDelta } from '../test/metric-delta.ts';
import { FeedPipeline, STAGES, type PipelineStages } from './pipeline.ts';
import { StageError } from './run-stage.ts';
import { quotaOf } from './stage-config.ts';
import { NOW, request, setup, videosOf } from './stage-fixtures.ts';
import { event, fakeModels } from './testing.ts';
import type { CandidateSource, Filter } from './types.ts';

/** A source standing in for a default one (same name), for failure tests. */
function sourceLike(name: string, budgetMs: number, fetch: CandidateSource['fetch']): CandidateSource {
  return { name, kind: 'source', defaultQuota: 30, personal: false, budgetMs, failOpen: true, fetch };
}

describe('ranker pipeline', () => {
  it('lists every stage once, each with a budget and a failure mode, every source with its quota', () => {
    const all = Object.values(STAGES).flat();
    expect(new Set(all.map((x) => x.name)).size).toBe(all.length);
    for (const stage of all) {
      expect(stage.budgetMs).toBeGreaterThan(0);
      expect(typeof stage.failOpen).toBe('boolean');
    }
    for (const source of STAGES.sources) {
      expect(Number.isInteger(source.defaultQuota) && source.defaultQuota >= 0).toBe(true);
      expect(typeof source.personal).toBe('boolean');
    }
    const filters = STAGES.filters.map((f) => f.name);
    expect([...filters].sort()).toEqual(['cold-locale', 'hidden', 'own-items', 'seen', 'session-seen', 'traffic-pool', 'unavailable']);
    // cold-locale keeps everything when too few in the user's language are left: it counts what the other removals left.
    for (const before of ['unavailable', 'own-items', 'session-seen', 'hidden', 'seen']) expect(filters.indexOf(before)).toBeLessThan(filters.indexOf('cold-locale'));
  });

  it('explains a page: sources, stage scores, filters passed and removed candidates with reasons', async () => {
    const s = setup();
    s.online.apply([event('not_interested', 'u1', { creator_id: 'c1' })]);
    const res = await s.pipeline.run(request('u1', 10, true));
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
    const creatorOf = (e: (typeof res.entries)[number]) =>
      e.type === 'video' ? s.catalog.itemRow(e.candidate.row).creator_id : e.type === 'product' && e.creatorRow >= 0 ? s.catalog.creators.id(e.creatorRow) : null;
    expect(res.entries.some((e) => creatorOf(e) === 'c1')).toBe(false);
  });

  it('a failing fail-open source drops its output and the page is still served', async () => {
    const s = setup();
    const broken = sourceLike('trending', 5, () => {
      throw new Error('boom');
    });
    const stages: PipelineStages = { ...STAGES, sources: [broken, ...STAGES.sources.filter((x) => x.name !== 'trending')] };
    const res = await new FeedPipeline(s.deps, stages).run(request('u2', 10, true));
    expect(res.entries.length).toBe(10);
    expect(res.explain!.stages.find((t) => t.stage === 'trending')).toMatchObject({ outcome: 'failed_open', cause: 'error', error: 'boom' });
  });

  it('an async source that overruns its budget is cut off, as a timeout', async () => {
    const s = setup();
    const slow = sourceLike('kol', 20, () => new Promise(() => {}));
    const stages: PipelineStages = { ...STAGES, sources: [slow, ...STAGES.sources.filter((x) => x.name !== 'kol')] };
    const before = await metrics.metrics();
    const res = await new FeedPipeline(s.deps, stages).run(request('u2', 5, true));
    expect(res.explain!.stages.find((t) => t.stage === 'kol')).toMatchObject({ outcome: 'failed_open', cause: 'timeout', error: 'exceeded its 20 ms budget' });
    expect(res.entries.length).toBe(5);
    expect(metricDelta(before, await metrics.metrics(), 'feed_stage_failures_total{')).toEqual({
      'feed_stage_failures_total{kind="source",stage="kol",outcome="failed_open",cause="timeout"}': 1,
    });
  });

  it('a cut-off stage is told to stop: its signal aborts at the budget', async () => {
    const s = setup();
    let stopped = false;
    const polling = sourceLike('kol', 20, async (_ctx, _limit, run) => {
      while (!run.signal.aborted) await new Promise((r) => setTimeout(r, 2));
      stopped = true;
      return [];
    });
    const res = await new FeedPipeline(s.deps, { ...STAGES, sources: [polling] }).run(request('u2', 5, true));
    expect(res.explain!.stages.find((t) => t.stage === 'kol')).toMatchObject({ cause: 'timeout' });
    await vi.waitFor(() => expect(stopped).toBe(true));
  });

  it('a failing fail-closed stage fails the request', async () => {
    const s = setup();
    const broken: Filter = {
      name: 'hidden',
      kind: 'filter',
      budgetMs: 5,
      failOpen: false,
      filter: () => {
        throw new Error('bug');
      },
    };
    const stages: PipelineStages = { ...STAGES, filters: [broken] };
    await expect(new FeedPipeline(s.deps, stages).run(request('u2'))).rejects.toThrow(StageError);
  });

  it('falls back to the heuristic scorer when the model fails, and says so', async () => {
    const s = setup();
    await s.holder.swap(
      fakeModels(
        'bad',
        s.rows.items.map((i) => i.item_id),
        8,
        { failPredict: true },
      ),
    );
    const res = await s.pipeline.run(request('u3', 10, true));
    expect(res.entries.length).toBe(10);
    expect(res.scorer).toBe('heuristic');
    expect(res.modelVersion).toBe('bad');
    expect(res.explain!.stages.find((t) => t.stage === 'ranker-model')).toMatchObject({ outcome: 'failed_open', error: 'model exploded' });
  });

  it('scores with the promoted model and retrieves with its ANN index', async () => {
    const s = setup();
    await s.holder.swap(
      fakeModels(
        'm2',
        s.rows.items.map((i) => i.item_id),
      ),
    );
    const watched = s.rows.items.slice(0, 3);
    s.online.apply(watched.flatMap((i) => [event('complete', 'u4', { item_id: i.item_id }), event('like', 'u4', { item_id: i.item_id })]));
    const res = await s.pipeline.run(request('u4', 10, true));
    expect(res.scorer).toBe('ranker-model');
    expect(res.explain!.candidates_per_source.ann).toBe(quotaOf(s.config.ranker, annSource));
    const videos = res.explain!.items.filter((i) => i.type === 'video');
    expect(Object.keys(videos[0]!.scores)).toEqual(expect.arrayContaining(['p_complete', 'p_follow', 'p_purchase', 'ranker-model']));
    // Explain shows the user–item relation: affinities and the most attended of the watched items.
    for (const v of videos) {
      const r = v.relation!;
      expect(r.attended.length).toBe(3);
      expect(watched.map((i) => i.item_id)).toContain(r.attended[0]!.item_id);
      expect(r.attention.max).toBeCloseTo(
        r.attended.reduce((m, a) => Math.max(m, a.cosine), -1),
        5,
      );
    }
    const sameCategory = videos.find((v) => watched.some((w) => w.category === s.rows.items.find((i) => i.item_id === v.item_id)!.category));
    expect(sameCategory!.relation!.affinity.category_session).toBeGreaterThan(0);
  });

  it('gives a cold-start user a mix of trending, fresh, locale and segment content in their language', async () => {
    const s = setup();
    const nowSec = Math.floor(NOW / 1000);
    s.catalog.upsertItems([{ ...s.rows.items[1]!, item_id: 'fresh-en', locale: 'en', published_at: nowSec - 60 }]);
    // People the catalog does not know are segment `new`: they get what new people engaged with.
    s.catalog.stats.segmentTop = new Map([['new', ['v20', 'v21', 'v22']]]);
    s.catalog.reindex({ freshMaxAgeHours: 72, popularListSize: 100 }, nowSec);
    s.online.apply(['v30', 'v31', 'v32'].map((id) => event('like', 'someone', { item_id: id })));
    const res = await s.pipeline.run({ ...request('brand-new-user', 20, true), locale: 'zh' });
    expect(res.explain!.cold_start).toBe(true);
    expect(res.explain!.user.segment).toBe('new');
    expect(res.entries.length).toBe(20);
    for (const src of ['trending', 'fresh', 'locale', 'segment', 'kol']) expect(res.explain!.candidates_per_source[src]).toBeGreaterThan(0);
    expect(res.explain!.candidates_per_source.ann).toBe(0);
    expect(new Set(res.explain!.items.map((i) => i.source)).size).toBeGreaterThanOrEqual(2);
    const videos = videosOf(s.catalog, res.entries);
    expect(videos.filter((v) => v.locale === 'zh').length).toBeGreaterThan(videos.length / 2);
  });
});

describe('adding a candidate source', () => {
  it('is one file and one line in STAGES: its candidates are served and explained, its quota and budget configurable', async () => {
    // Config keys naming the new source are known once it is in the stages (unknown ones fail at start, below).
    const s = setup({ ranker: { sources: { newest: 4 }, stageBudgetsMs: { newest: 50 } } });
    const withIt: PipelineStages = { ...STAGES, sources: [...STAGES.sources, newestSource] };
    const res = await new FeedPipeline(s.deps, withIt).run(request('u1', 10, true));
    expect(res.explain!.candidates_per_source.newest).toBe(4);
    const traced = res.explain!.stages.find((t) => t.stage === 'newest');
    expect(traced).toMatchObject({ kind: 'source' });
    expect(traced!.cause).toBeUndefined(); // ran (on a busy machine maybe over its budget), did not fail

    const alone = await new FeedPipeline(setup().deps, { ...STAGES, sources: [newestSource] }).run(request('u1', 10, true));
    expect(alone.explain!.candidates_per_source).toEqual({ newest: newestSource.defaultQuota });
    const videos = alone.explain!.items.filter((i) => i.type === 'video');
    expect(videos.length).toBeGreaterThan(0);
    for (const v of videos) expect(v.sources).toEqual(['newest']);
    expect(videosOf(s.catalog, alone.entries).every((e) => e.source === 'newest')).toBe(true);
  });
});

describe('pipeline config', () => {
  it('rejects budgets for stages that do not exist, naming the known ones', () => {
    const s = setup({ ranker: { stageBudgetsMs: { scorer: 10 } } });
    expect(() => new FeedPipeline(s.deps)).toThrow(/ranker.stageBudgetsMs names unknown stages: scorer \(stages: ann, i2i/);
  });

  it('rejects quotas for sources that do not exist, naming the known ones', () => {
    const s = setup({ ranker: { sources: { newest: 4 } } });
    expect(() => new FeedPipeline(s.deps)).toThrow(/ranker\.sources names unknown sources: newest \(sources: ann, i2i/);
  });

  it('applies a configured budget override to a stage', async () => {
    const s = setup({ ranker: { stageBudgetsMs: { kol: 5 } } });
    const slow = sourceLike('kol', 1000, () => new Promise(() => {}));
    const res = await new FeedPipeline(s.deps, { ...STAGES, sources: [slow] }).run(request('u1', 5, true));
    expect(res.explain!.stages.find((t) => t.stage === 'kol')).toMatchObject({ outcome: 'failed_open', error: 'exceeded its 5 ms budget' });
  });

  it('applies a configured quota override to a source, and 0 turns it off', async () => {
    const s = setup({ ranker: { sources: { locale: 3, kol: 0 } } });
    const res = await s.pipeline.run(request('u1', 10, true));
    expect(res.explain!.candidates_per_source.locale).toBe(3);
    expect(res.explain!.candidates_per_source).not.toHaveProperty('kol');
    expect(res.explain!.stages.map((t) => t.stage)).not.toContain('kol');
  });
});
