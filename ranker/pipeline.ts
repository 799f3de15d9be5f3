import type { FeedEntry } from '../feed-api/feed-response.ts';
import type { UserContext } from '../models/types.ts';
import { topAttended } from '../models/user-relation.ts';
import { itemVector, userRelation } from './request-cache.ts';
import { annSource } from './candidate-source/ann.ts';
import { backfillSource } from './candidate-source/backfill.ts';
import { followingSource } from './candidate-source/following.ts';
import { followingTabSource } from './candidate-source/following-tab.ts';
import { freshSource } from './candidate-source/fresh.ts';
import { itemToItemSource } from './candidate-source/i2i.ts';
import { kolSource } from './candidate-source/kol.ts';
import { localeSource } from './candidate-source/locale.ts';
import { segmentSource } from './candidate-source/segment.ts';
import { socialSource } from './candidate-source/social.ts';
import { trendingSource } from './candidate-source/trending.ts';
import type { SourceName } from './config.ts';
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
import { renderEntries } from './render.ts';
import { socialPeers } from './request-cache.ts';
import { runStage, StageError, type StageTrace } from './run-stage.ts';
import { heuristicScorer } from './scorer/heuristic.ts';
import { modelScorer } from './scorer/model.ts';
import { diversitySelector } from './selector/diversity.ts';
import { newestFirstSelector } from './selector/newest-first.ts';
import type { SessionState } from './session.ts';
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
 * THE list of stages, in order. Sources are merged round-robin (so every source gets a share
 * of `maxCandidates`) and deduplicated; filters run cheapest first; the first scorer that
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

export interface FeedExplain {
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

export interface ItemRelation {
  affinity: { category_session: number; category_long: number; creator_session: number; creator_long: number };
  attention: { score: number; max: number };
  /** The history items the candidate attends to most, with their cosine. */
  attended: { item_id: string; cosine: number }[];
}

/** Explain shows this many attended history items per entry. */
const EXPLAIN_ATTENDED = 3;

export interface FeedResult {
  entries: FeedEntry[];
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
  constructor(
    readonly deps: PipelineDeps,
    readonly stages: PipelineStages = STAGES,
  ) {
    // Budgets are checked against every stage of both tabs: one config serves both pipelines.
    const names = new Set([...Object.values(STAGES), ...Object.values(FOLLOWING_STAGES)].flat().map((s: { name: string }) => s.name));
    const unknown = Object.keys(deps.config.ranker.stageBudgetsMs).filter((n) => !names.has(n));
    if (unknown.length > 0) {
      throw new Error(`ranker.stageBudgetsMs names unknown stages: ${unknown.join(', ')} (stages: ${[...names].join(', ')})`);
    }
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
      ...this.deps,
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
      cache: {},
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

    // Sources: each fails open to an empty list.
    const perSource: { name: string; hits: { row: number; score: number; tier?: string }[] }[] = [];
    for (const source of this.stages.sources) {
      const quota = config.ranker.sources[source.name as SourceName] ?? 0;
      if (quota === 0) continue;
      const hits = await runStage(ctx, trace, source, () => source.fetch(ctx, quota), () => []);
      observeSourceCandidates(source, hits.length);
      perSource.push({ name: source.name, hits: hits.slice(0, quota) });
    }
    let candidates = mergeRoundRobin(ctx, perSource, config.ranker.maxCandidates);

    for (const h of this.stages.hydrators) {
      await runStage(ctx, trace, h, () => h.hydrate(ctx, candidates), () => undefined);
    }

    for (const f of this.stages.filters) {
      const res = await runStage(ctx, trace, f, () => f.filter(ctx, candidates), () => ({ kept: candidates, removed: [] }));
      for (const r of res.removed) removed.push({ item_id: r.candidate.itemId, source: r.candidate.source, stage: f.name, reason: r.reason });
      if (res.removed.length > 0) filterRemoved.inc({ filter: f.name }, res.removed.length);
      if (request.explain) for (const c of res.kept) (c.passed ??= []).push(f.name);
      candidates = res.kept;
    }

    for (const s of this.stages.scorers) {
      if (!s.applies(ctx) || candidates.length === 0) continue;
      const scores = await runStage(ctx, trace, s, () => s.score(ctx, candidates), () => null);
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
      selected = await runStage(ctx, trace, sel, () => sel.select(ctx, input, request.count), () =>
        [...input].sort(byScoreDesc).slice(0, request.count),
      );
    }

    if (selected.length < request.count && !widened && this.stages.sources.includes(backfillSource)) return this.build(request, true);
    let page: PageEntry[] = selected.slice(0, request.count).map((candidate) => ({ type: 'video', candidate, productRow: -1 }));
    for (const b of this.stages.blenders) {
      const input = page;
      page = await runStage(ctx, trace, b, () => b.blend(ctx, input, request.count), () => input);
    }

    const entries = renderEntries(ctx, page);
    const explain = request.explain ? explainOf(ctx, trace, perSource, page, removed) : undefined;
    return {
      entries,
      // Short because every candidate left is on it (not because creator spacing held some back).
      endOfFeed: selected.length < request.count && selected.length >= candidates.length,
      session: advanceSession(ctx, page),
      modelVersion: ctx.snapshot?.version ?? null,
      scorer: ctx.scoredBy ?? null,
      ...(explain ? { explain } : {}),
    };
  }
}

/** Per catalog row: the merge call that last took it (so the arrays are never cleared) and its index in that call's output. */
let mergeStamp = new Uint32Array(0);
let mergeIndex = new Int32Array(0);
let mergeCall = 0;

/** Merges sources round-robin by rank, deduplicating by item; the first source is kept, all are listed. */
export function mergeRoundRobin(
  ctx: Pick<FeedContext, 'catalog'>,
  perSource: { name: string; hits: { row: number; score: number; tier?: string }[] }[],
  max: number,
): Candidate[] {
  const rows = ctx.catalog.items.size;
  if (mergeStamp.length < rows) {
    mergeStamp = new Uint32Array(Math.ceil(rows * 1.25));
    mergeIndex = new Int32Array(mergeStamp.length);
  }
  const call = (mergeCall = (mergeCall % 0xfffffffe) + 1);
  const out: Candidate[] = [];
  let longest = 0;
  for (const s of perSource) longest = Math.max(longest, s.hits.length);
  for (let rank = 0; rank < longest; rank++) {
    for (const { name, hits } of perSource) {
      const hit = hits[rank];
      if (!hit) continue;
      if (mergeStamp[hit.row] === call) {
        const existing = out[mergeIndex[hit.row]!]!;
        if (!existing.sources.includes(name)) existing.sources.push(name);
        if (hit.tier && !existing.tier) existing.tier = hit.tier;
        continue;
      }
      if (out.length >= max) continue;
      mergeStamp[hit.row] = call;
      mergeIndex[hit.row] = out.length;
      // Every field from the start: one object shape, so the stages' property reads stay monomorphic.
      out.push({
        row: hit.row,
        itemId: ctx.catalog.items.id(hit.row),
        source: name,
        sources: [name],
        sourceScore: hit.score,
        tier: hit.tier,
        explored: false,
        signals: undefined,
        purchase: 0,
        score: 0,
        scores: undefined,
        passed: undefined,
      });
    }
  }
  return out;
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

function explainOf(
  ctx: FeedContext,
  trace: StageTrace[],
  perSource: { name: string; hits: unknown[] }[],
  page: PageEntry[],
  removed: RemovedCandidate[],
): FeedExplain {
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    model_version: ctx.snapshot?.version ?? null,
    scorer: ctx.scoredBy ?? null,
    cold_start: ctx.coldStart,
    user: { known: ctx.catalog.users.row(ctx.request.userId) >= 0, locale: ctx.user.locale, segment: ctx.user.segment, recent_events: ctx.user.recent.length },
    page: ctx.request.session.page,
    session_id: ctx.request.session.sessionId,
    stages: trace,
    candidates_per_source: Object.fromEntries(perSource.map((s) => [s.name, s.hits.length])),
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
