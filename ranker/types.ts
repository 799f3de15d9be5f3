import type { Config } from '../config/schema.ts';
import type { OnlineState } from '../ingest/online-state.ts';
import type { ObjectiveWeights } from '../config/sections/models.ts';
import type { CandidateSignals, UserContext } from '../models/types.ts';
import type { CatalogView } from './catalog/catalog-view.ts';
import type { ServingCatalog } from './catalog/serving-catalog.ts';
import type { RankerConfig } from '../config/sections/ranker.ts';
import type { Memo } from '../core/memo.ts';
import type { OnlineView } from './online-view.ts';
import type { ServingSnapshot } from './models.ts';
import type { SessionState } from './session.ts';
import type { TrafficPool } from './traffic-pool.ts';

/** One organic (video) candidate moving through the pipeline. */
export interface Candidate {
  /** Item row in the serving catalog. */
  row: number;
  itemId: string;
  /** First source that produced it (reported to clients). */
  source: string;
  /** Every source that produced it (explain). */
  sources: string[];
  /** The source's own relevance (cosine, trending score, ...); only comparable within a source. */
  sourceScore: number;
  /** Traffic-pool tier when it came from the fresh pool. */
  tier?: string;
  /** A source that matches the user personally produced it (CandidateSource.personal). */
  personal: boolean;
  /** Took a reserved exploration slot (selector); the response says so. */
  explored?: boolean;
  /** Took a reserved promotion slot (selector): traffic a higher tier of the pool earned. */
  promoted?: boolean;
  signals?: CandidateSignals;
  /** The scorer's predicted purchase probability (values the attached product for shoppable slots). */
  purchase: number;
  /** The score that orders the feed (expected value on the organic scale). */
  score: number;
  /** Per-stage scores (model objectives, expected value, re-rank adjustments); explain requests only. */
  scores?: Record<string, number>;
  /** Filters this candidate passed; explain requests only. */
  passed?: string[];
}

/** Larger first, for sort(). Returns -1/0/1: sort() boxes a comparator's double result, one allocation per comparison. */
export function descending(a: number, b: number): number {
  return b > a ? 1 : b < a ? -1 : 0;
}

/** Best score first. */
export function byScoreDesc(a: { score: number }, b: { score: number }): number {
  return descending(a.score, b.score);
}

/** Records a stage score for explain output; a no-op otherwise (500 candidates × 8 keyed stores per request add up). */
export function noteScore(ctx: Pick<FeedContext, 'request'>, c: Candidate, key: string, value: number): void {
  if (ctx.request.explain) (c.scores ??= {})[key] = value;
}

export interface RemovedCandidate {
  item_id: string;
  source: string;
  stage: string;
  reason: string;
}

/** A shoppable slot candidate (product or live-stream sale), valued on the organic scale. */
export type ShoppableSlot = { type: 'product'; productRow: number; creatorRow: number; value: number; source: string } | { type: 'live'; liveIndex: number; value: number; source: string };

/** A video on the page; `productRow` is its attached product card (-1: none or not buyable). */
export type PageEntry = { type: 'video'; candidate: Candidate; productRow: number } | ShoppableSlot;

export interface FeedRequest {
  userId: string;
  count: number;
  session: SessionState;
  explain: boolean;
  /** Epoch milliseconds; injectable for tests. */
  now: number;
}

export interface PipelineDeps {
  config: Config;
  catalog: ServingCatalog;
  online: OnlineState;
  /** The current model snapshot, read once per request. */
  models: () => ServingSnapshot | undefined;
  pool: TrafficPool;
}

/** What stages may read of the config: the ranker's section and the objective weights (no keys, secrets or addresses). */
export interface StageConfig {
  readonly ranker: Readonly<RankerConfig>;
  readonly models: { readonly weights: Readonly<ObjectiveWeights> };
}

/** The traffic pool as stages use it: its current lists and the exploration and promotion ledgers. */
type PoolView = Pick<TrafficPool, 'current' | 'exploration' | 'promotion'>;

/** What one request's stages see: read-only views of the shared state, the request, and its memos. */
export interface FeedContext {
  readonly config: StageConfig;
  readonly catalog: CatalogView;
  readonly online: OnlineView;
  readonly pool: PoolView;
  readonly request: FeedRequest;
  readonly user: UserContext;
  /** Known user (catalog row or history) or cold start. */
  readonly coldStart: boolean;
  readonly localeCode: number;
  readonly segmentCode: number;
  readonly snapshot: ServingSnapshot | undefined;
  /** Values computed once per request (memo.ts perRequest). */
  readonly memo: Memo;
  /** State kept across this pipeline's requests (memo.ts perPipeline). */
  readonly pipelineMemo: Memo;
  /** Name of the scorer that produced the final scores. */
  scoredBy?: string;
  /** Scored candidates, best first (blenders pick shoppable products from them). */
  ranked: Candidate[];
  /** The session ran out of candidates: the backfill source adds the rest of the catalog and items seen in earlier sessions may return. */
  readonly widened: boolean;
}

type StageKind = 'source' | 'hydrator' | 'filter' | 'scorer' | 'selector' | 'blender';

export interface StageSpec {
  readonly name: string;
  readonly kind: StageKind;
  /** Time budget in ms (config `ranker.stageBudgetsMs` overrides). */
  readonly budgetMs: number;
  /** true: on error or timeout drop this stage's output and count it; false: fail the request. */
  readonly failOpen: boolean;
}

type MaybeAsync<T> = T | Promise<T>;

/**
 * What every stage method gets last: its run's signal, aborted when the budget runs out. An
 * async stage checks it between steps (or hands it to its I/O) so that a cut-off run stops. The
 * signal is made on first read (one costs microseconds; most stages are synchronous and never ask).
 */
export interface StageRun {
  readonly signal: AbortSignal;
}

export interface CandidateSource extends StageSpec {
  readonly kind: 'source';
  /** Candidates it may contribute before merging (config `ranker.sources` overrides); 0 turns it off. */
  readonly defaultQuota: number;
  /** It matches the user personally (their vector, history, follows, friends): the traffic-pool filter lets its stopped items through. */
  readonly personal: boolean;
  /** At most `limit` candidates (the source's quota), best first. */
  fetch(ctx: FeedContext, limit: number, run: StageRun): MaybeAsync<SourceHit[]>;
}

/** One candidate as a source returns it. */
export interface SourceHit {
  row: number;
  score: number;
  tier?: string;
}

export interface FeatureHydrator extends StageSpec {
  readonly kind: 'hydrator';
  hydrate(ctx: FeedContext, candidates: Candidate[], run: StageRun): MaybeAsync<void>;
}

export interface FilterResult {
  kept: Candidate[];
  removed: { candidate: Candidate; reason: string }[];
}

export interface Filter extends StageSpec {
  readonly kind: 'filter';
  filter(ctx: FeedContext, candidates: Candidate[], run: StageRun): MaybeAsync<FilterResult>;
}

export interface Scorer extends StageSpec {
  readonly kind: 'scorer';
  /** Whether it can score this request (e.g. a model is loaded); absent: always. */
  applies?(ctx: FeedContext): boolean;
  /** Exactly one score per input, in order; sets `candidate.purchase` and may note stage scores. */
  score(ctx: FeedContext, candidates: readonly Candidate[], run: StageRun): MaybeAsync<ArrayLike<number>>;
}

export interface Selector extends StageSpec {
  readonly kind: 'selector';
  select(ctx: FeedContext, candidates: Candidate[], count: number, run: StageRun): MaybeAsync<Candidate[]>;
}

export interface Blender extends StageSpec {
  readonly kind: 'blender';
  blend(ctx: FeedContext, page: PageEntry[], count: number, run: StageRun): MaybeAsync<PageEntry[]>;
}
