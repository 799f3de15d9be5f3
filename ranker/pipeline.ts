import type { UserContext } from '../models/types.ts';
import { topAttended } from '../models/user-relation.ts';
import { annSource } from './candidate-source/ann.ts';
import { backfillSource } from './candidate-source/backfill.ts';
import { followingSource } from './candidate-source/following.ts';
import { followingTabSource } from './candidate-source/following-tab.ts';
import { freshSource } from './candidate-source/fresh.ts';
import { itemToItemSource } from './candidate-source/i2i.ts';
import { kolSource } from './candidate-source/kol.ts';
import { localeSource, segmentSource } from './candidate-source/popular.ts';
import { socialSource } from './candidate-source/social.ts';
import { trendingSource } from './candidate-source/trending.ts';
import { CandidateMerge, type SourceHits } from './candidate-merge.ts';
import { signalsHydrator } from './feature-hydrator/signals.ts';
import { coldLocaleFilter } from './filter/cold-locale.ts';
import { hiddenFilter } from './filter/hidden.ts';
import { ownItemsFilter } from './filter/own-items.ts';
import { seenFilter } from './filter/seen.ts';
import { sessionSeenFilter } from './filter/session-seen.ts';
import { trafficPoolFilter } from './filter/traffic-pool.ts';
import { unavailableFilter } from './filter/unavailable.ts';
import { productCardBlender } from './blender/product-cards.ts';
import { shoppableSlotBlender } from './blender/shoppable-slots.ts';
import { feedRequests, filterRemoved, observeSourceCandidates, scorerUsed } from './metrics.ts';
import { Memo } from '../core/memo.ts';
import { itemVector, socialPeers, userRelation } from './per-request.ts';
import { runStage, StageError, type StageTrace } from './run-stage.ts';
import { heuristicScorer } from './scorer/heuristic.ts';
import { modelScorer } from './scorer/model.ts';
import { diversitySelector } from './selector/diversity.ts';
import { newestFirstSelector } from './selector/newest-first.ts';
import type { SessionState } from './session.ts';
import { checkStageKeys, quotaOf, sourceQuotas } from './stage-config.ts';
import {
  byScoreDesc,
  noteScore,
  type Blender,
  type Candidate,
  type CandidateSource,
  type FeatureHydrator,
  type FeedContext,
  type FeedRequest,
  type Filter,
  type PageEntry,
  type PipelineDeps,
  type RemovedCandidate,
  type Scorer,
  type Selector,
  type StageConfig,
} from './types.ts';

export interface PipelineStages {
  sources: CandidateSource[];
  hydrators: FeatureHydrator[];
  filters: Filter[];
  scorers: Scorer[];
  selectors: Selector[];
  blenders: Blender[];
}

/**
 * THE list of stages, in order. Each stage's file holds all of its wiring (a source's default
 * quota and whether it is personal, every stage's budget and failure mode): adding one is that
 * file and a line here. Sources are merged round-robin (so every source gets a share of
 * `maxCandidates`) and deduplicated; filters run cheapest first; the first scorer that
 * applies and succeeds sets the scores (the model, else the heuristic fallback).
 */
export const STAGES: PipelineStages = {
  sources: [annSource, itemToItemSource, followingSource, socialSource, trendingSource, freshSource, kolSource, localeSource, segmentSource, backfillSource],
  hydrators: [signalsHydrator],
  filters: [unavailableFilter, ownItemsFilter, sessionSeenFilter, hiddenFilter, seenFilter, coldLocaleFilter, trafficPoolFilter],
  scorers: [modelScorer, heuristicScorer],
  selectors: [diversitySelector],
  blenders: [productCardBlender, shoppableSlotBlender],
};

/** The Following tab: followed creators' recent videos, newest day first, scored by the same ranker inside a day. */
export const FOLLOWING_STAGES: PipelineStages = {
  sources: [followingTabSource],
  hydrators: [signalsHydrator],
  filters: [unavailableFilter, sessionSeenFilter, hiddenFilter],
  scorers: [modelScorer, heuristicScorer],
  selectors: [newestFirstSelector],
  blenders: [productCardBlender],
};

/** Every source's quota by name (the override, else the source's default), for config checks outside a pipeline. */
export function allSourceQuotas(ranker: StageConfig['ranker']): Record<string, number> {
  return sourceQuotas(ranker, [...STAGES.sources, ...FOLLOWING_STAGES.sources]);
}

interface FeedExplain {
  model_version: string | null;
  scorer: string | null;
  cold_start: boolean;
  user: { known: boolean; locale: string; segment: string; recent_events: number };
  page: number;
  session_id: string;
  stages: StageTrace[];
  candidates_per_source: Record<string, number>;
  items: {
    position: number;
    item_id: string | null;
    type: string;
    source: string;
    sources: string[];
    tier: string | null;
    scores: Record<string, number>;
    /** The user–item relation the ranker saw (models/user-relation.ts); null for shoppable slots. */
    relation: ItemRelation | null;
    filters_passed: string[];
  }[];
  removed: RemovedCandidate[];
}

interface ItemRelation {
  affinity: { category_session: number; category_long: number; creator_session: number; creator_long: number };
  attention: { score: number; max: number };
  /** The history items the candidate attends to most, with their cosine. */
  attended: { item_id: string; cosine: number }[];
}

/** Explain shows this many attended history items per entry. */
const EXPLAIN_ATTENDED = 3;

export interface FeedResult {
  /** The page in order, as catalog rows (feed-api/render.ts turns them into the response). */
  entries: PageEntry[];
  /** Nothing is left for this session even with the widened pool: the page is short, every candidate on it, and the next would be empty. */
  endOfFeed: boolean;
  /** The session after this page (goes into the next cursor). */
  session: SessionState;
  modelVersion: string | null;
  scorer: string | null;
  explain?: FeedExplain;
}

const RECENT_LIMIT = 100;

export class FeedPipeline {
  /** What stages see of the config: the same object on every request. */
  private readonly stageConfig: StageConfig;
  /** State the stages keep across this pipeline's requests. */
  private readonly pipelineMemo = new Memo();
  private readonly merge = new CandidateMerge();

  constructor(
    readonly deps: PipelineDeps,
    readonly stages: PipelineStages = STAGES,
  ) {
    // One config serves both tabs' pipelines: its stage keys are checked against the stages of both (and these).
    checkStageKeys(
      deps.config.ranker,
      [STAGES, FOLLOWING_STAGES, stages].flatMap((s) => Object.values(s).flat()),
    );
    this.stageConfig = { ranker: deps.config.ranker, models: { weights: deps.config.models.weights } };
  }

  /** Builds the context: who the user is (known, history, or cold start) and the model snapshot. */
  contextFor(request: FeedRequest & { locale?: string }, widened = false): FeedContext {
    const { catalog, online } = this.deps;
    const profile = catalog.userProfile(request.userId);
    const recent: UserContext['recent'] = online.recent(request.userId, RECENT_LIMIT).map((e) => ({
      item_id: e.item_id,
      kind: e.kind,
      ts: e.ts,
      ...(e.watch_ms !== undefined ? { watch_ms: e.watch_ms } : {}),
      ...(e.duration_ms !== undefined ? { duration_ms: e.duration_ms } : {}),
    }));
    const requested = request.locale ? catalog.locales.find(request.locale) : -1;
    const localeCode = profile.known ? profile.locale : requested >= 0 ? requested : catalog.defaultLocale;
    const segmentCode = profile.known ? profile.segment : catalog.newSegment;
    return {
      config: this.stageConfig,
      catalog,
      online,
      pool: this.deps.pool,
      request,
      user: {
        userId: request.userId,
        locale: catalog.locales.value(localeCode),
        segment: catalog.segments.value(segmentCode),
        recent,
      },
      coldStart: !profile.known && recent.length === 0,
      localeCode,
      segmentCode,
      snapshot: this.deps.models(),
      memo: new Memo(),
      pipelineMemo: this.pipelineMemo,
      ranked: [],
      widened,
    };
  }

  async run(request: FeedRequest & { locale?: string }): Promise<FeedResult> {
    try {
      const { online, catalog } = this.deps;
      if (online.prefetch) await online.prefetch(request.userId, socialPeers(catalog, request.userId));
      const result = await this.build(request);
      feedRequests.inc({ outcome: 'ok' });
      return result;
    } catch (err) {
      feedRequests.inc({ outcome: err instanceof StageError ? 'stage_failed' : 'error' });
      throw err;
    }
  }

  /** A page shorter than asked for is built again with the widened pool (where the stages have one); still short, it is the end of the feed. */
  private async build(request: FeedRequest & { locale?: string }, widened = false): Promise<FeedResult> {
    const ctx = this.contextFor(request, widened);
    const trace: StageTrace[] = [];
    const { config } = ctx;
    const removed: RemovedCandidate[] = [];

    // Sources: each fails open to an empty list; a quota of 0 turns one off.
    const perSource: SourceHits[] = [];
    for (const source of this.stages.sources) {
      const quota = quotaOf(config.ranker, source);
      if (quota === 0) continue;
      const hits = await runStage(
        ctx,
        trace,
        source,
        (run) => source.fetch(ctx, quota, run),
        () => [],
      );
      observeSourceCandidates(source, hits.length);
      perSource.push({ source, hits: hits.slice(0, quota) });
    }
    let candidates = this.merge.merge(ctx.catalog, perSource, config.ranker.maxCandidates);

    for (const h of this.stages.hydrators) {
      await runStage(
        ctx,
        trace,
        h,
        (run) => h.hydrate(ctx, candidates, run),
        () => undefined,
      );
    }

    for (const f of this.stages.filters) {
      const res = await runStage(
        ctx,
        trace,
        f,
        (run) => f.filter(ctx, candidates, run),
        () => ({ kept: candidates, removed: [] }),
      );
      for (const r of res.removed) removed.push({ item_id: r.candidate.itemId, source: r.candidate.source, stage: f.name, reason: r.reason });
      if (res.removed.length > 0) filterRemoved.inc({ filter: f.name }, res.removed.length);
      if (request.explain) for (const c of res.kept) (c.passed ??= []).push(f.name);
      candidates = res.kept;
    }

    for (const s of this.stages.scorers) {
      if (candidates.length === 0 || s.applies?.(ctx) === false) continue;
      const scores = await runStage(
        ctx,
        trace,
        s,
        (run) => s.score(ctx, candidates, run),
        () => null,
      );
      if (scores === null) continue;
      if (scores.length !== candidates.length) {
        throw new StageError(s.name, new Error(`returned ${scores.length} scores for ${candidates.length} candidates`));
      }
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!;
        c.score = scores[i]!;
        noteScore(ctx, c, s.name, scores[i]!);
      }
      ctx.scoredBy = s.name;
      scorerUsed.inc({ scorer: s.name });
      break;
    }
    ctx.ranked = [...candidates].sort(byScoreDesc);

    let selected = ctx.ranked;
    for (const sel of this.stages.selectors) {
      const input = selected;
      selected = await runStage(
        ctx,
        trace,
        sel,
        (run) => sel.select(ctx, input, request.count, run),
        () => [...input].sort(byScoreDesc).slice(0, request.count),
      );
    }

    if (selected.length < request.count && !widened && this.stages.sources.includes(backfillSource)) return this.build(request, true);
    let page: PageEntry[] = selected.slice(0, request.count).map((candidate) => ({ type: 'video', candidate, productRow: -1 }));
    for (const b of this.stages.blenders) {
      const input = page;
      page = await runStage(
        ctx,
        trace,
        b,
        (run) => b.blend(ctx, input, request.count, run),
        () => input,
      );
    }

    const explain = request.explain ? explainOf(ctx, trace, perSource, page, removed) : undefined;
    return {
      entries: page,
      // Short because every candidate left is on it (not because creator spacing held some back).
      endOfFeed: selected.length < request.count && selected.length >= candidates.length,
      session: advanceSession(ctx, page),
      modelVersion: ctx.snapshot?.version ?? null,
      scorer: ctx.scoredBy ?? null,
      ...(explain ? { explain } : {}),
    };
  }
}

/** Records the page in the session: served ids, the creators at the tail, entries since the last shoppable slot. */
function advanceSession(ctx: FeedContext, page: PageEntry[]): SessionState {
  const s = ctx.request.session;
  const { catalog } = ctx;
  const spacing = ctx.config.ranker.rerank.creatorSpacing;
  for (const e of page) {
    if (e.type === 'video') {
      s.served.add(e.candidate.itemId);
      s.recentCreators.push(catalog.creatorHash[catalog.itemCreator[e.candidate.row]!]!);
      if (e.productRow >= 0) s.served.add(`p:${catalog.products.id(e.productRow)}`);
      s.sinceShoppable++;
    } else if (e.type === 'product') {
      s.served.add(`p:${catalog.products.id(e.productRow)}`);
      s.sinceShoppable = 0;
    } else {
      s.served.add(`l:${catalog.lives[e.liveIndex]!.live_id}`);
      s.sinceShoppable = 0;
    }
  }
  s.recentCreators = s.recentCreators.slice(-Math.max(1, spacing));
  s.sinceShoppable = Math.min(s.sinceShoppable, 1000);
  s.page++;
  return s;
}

function relationOf(ctx: FeedContext, c: Candidate, round: (v: number) => number): ItemRelation | null {
  const s = c.signals;
  if (!s) return null;
  const keys = userRelation(ctx).keys;
  return {
    affinity: {
      category_session: round(s.affinity_category_session),
      category_long: round(s.affinity_category_long),
      creator_session: round(s.affinity_creator_session),
      creator_long: round(s.affinity_creator_long),
    },
    attention: { score: round(s.attention_score), max: round(s.attention_max) },
    attended: keys ? topAttended(keys, itemVector(ctx, c), EXPLAIN_ATTENDED).map((a) => ({ item_id: a.item_id, cosine: round(a.cosine) })) : [],
  };
}

function explainOf(ctx: FeedContext, trace: StageTrace[], perSource: readonly SourceHits[], page: PageEntry[], removed: RemovedCandidate[]): FeedExplain {
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    model_version: ctx.snapshot?.version ?? null,
    scorer: ctx.scoredBy ?? null,
    cold_start: ctx.coldStart,
    user: { known: ctx.catalog.users.row(ctx.request.userId) >= 0, locale: ctx.user.locale, segment: ctx.user.segment, recent_events: ctx.user.recent.length },
    page: ctx.request.session.page,
    session_id: ctx.request.session.sessionId,
    stages: trace,
    candidates_per_source: Object.fromEntries(perSource.map((s) => [s.source.name, s.hits.length])),
    items: page.map((e, position) => {
      if (e.type === 'video') {
        const c = e.candidate;
        return {
          position,
          item_id: c.itemId,
          type: 'video',
          source: c.source,
          sources: c.sources,
          tier: c.tier ?? null,
          scores: Object.fromEntries(Object.entries({ source: c.sourceScore, ...c.scores, final: c.score }).map(([k, v]) => [k, round(v)])),
          relation: relationOf(ctx, c, round),
          filters_passed: c.passed ?? [],
        };
      }
      return {
        position,
        item_id: null,
        type: e.type,
        source: e.source,
        sources: [e.source],
        tier: null,
        scores: { expected_value: round(e.value) },
        relation: null,
        filters_passed: [],
      };
    }),
    removed,
  };
}
