import type { TrainingDataConfig } from '../config/sections/models.ts';
import { TrainingDataConfigSchema } from '../config/sections/models.ts';
import type { CreatorRow, ItemRow, ProductRow, SocialEdgeRow, UserRow } from '../storage/catalog.ts';
import type { EventKind } from '../ingest/events.ts';
import type { EventRow } from '../storage/training-events.ts';
import type { Labels, MultitaskExample } from './multitask/multitask.ts';
import type { ItemCounts } from '../ingest/online-state.ts';
import { itemRates } from './features.ts';
import { Reservoir } from './reservoir.ts';
import type { Sequence } from './retrieval/train.ts';
import type { ItemFeatures, UserInput } from './retrieval/two-tower.ts';
import { engagementWeight } from './retrieval/weights.ts';
import type { CandidateSignals, UserContext } from './types.ts';
import { affinityOf, userAffinity, type ItemSide } from './user-relation.ts';

/** An events-table row with its kind typed: the table holds validated events only. */
export type TrainingEvent = EventRow<EventKind>;

export interface CatalogSnapshot {
  items: ItemRow[];
  products: ProductRow[];
  creators: CreatorRow[];
  users: UserRow[];
  edges: SocialEdgeRow[];
}

export interface TrainingData {
  retrieval: {
    /** Each user's most recent positives before the cutoff (at most `sequenceLength`). */
    train: Sequence[];
    /** A uniform sample of the held-out positives (at most `retrievalTestExamples`). */
    test: { user: UserInput; item: string; ts: number }[];
    /** Positives before the cutoff per item, over the whole range (the popularity baseline). */
    positives: Map<string, number>;
  };
  /** Uniform samples of the examples in [multitaskFrom, cutoff) and after the cutoff (see TrainingDataConfig). */
  multitask: { train: MultitaskExample[]; test: MultitaskExample[] };
  items: ItemFeatures[];
  /**
   * Event times (epoch ms): everything before `cutoff` trains, the rest evaluates. The multi-task
   * model trains on impressions from `multitaskFrom` (null: from the start), scored by a retrieval model
   * trained on the positives before it (see TrainingSplit).
   */
  range: { from: number | null; to: number | null; cutoff: number | null; multitaskFrom: number | null; events: number };
  /** How many of each there were before sampling (equal to the kept counts while under the bounds). */
  totals: { rankerTrain: number; rankerTest: number; retrievalTest: number; positives: number };
}

/** How long after an impression engagement still counts as its outcome. */
const ATTRIBUTION_MS = 30 * 60 * 1000;
const RECENT = 50;
/** Events between sweeps of impressions past their attribution window. */
const SWEEP_EVERY = 65_536;

const DEFAULT_TRAINING_LIMITS: TrainingDataConfig = TrainingDataConfigSchema.parse({});

const NO_STATS: ItemCounts = { impressions: 0, plays: 0, completions: 0, watchRatioSum: 0, likes: 0, shares: 0, purchases: 0 };

/** The index of the first held-out event among `n` in time order: the most recent `holdout` share. */
function holdoutIndex(n: number, holdout: number): number {
  return Math.min(n - 1, Math.floor(n * (1 - holdout)));
}

/**
 * Where the time range splits (epoch ms). Before `cutoff` trains, from it evaluates. The multi-task
 * model learns from impressions in [multitaskFrom, cutoff): a retrieval score computed by a model that
 * trained on the same engagements is in-sample (it predicted completion with AUC 0.77 there
 * against 0.56 held out on the demo world), so the model would lean on a signal serving
 * never has. null `multitaskFrom`: the whole training range.
 */
export interface TrainingSplit {
  cutoff: number | null;
  multitaskFrom: number | null;
}

/** Event indices (in time order, of `n`) where the split falls: the holdout share last, the multi-task window just before it. */
export function splitIndices(n: number, holdout: number, multitaskWindow: number): { cutoff: number; multitaskFrom: number | null } {
  return { cutoff: holdoutIndex(n, holdout), multitaskFrom: multitaskWindow > 0 ? holdoutIndex(n, holdout + multitaskWindow) : null };
}

/** Adds `value` as the most recent member of `set`, dropping the oldest beyond `limit`. */
function remember(set: Set<string>, value: string, limit: number): void {
  set.delete(value);
  set.add(value);
  if (set.size > limit) set.delete(set.values().next().value!);
}

const emptyLabels = (): Labels => ({ complete: 0, watch: 0, like: 0, share: 0, follow: 0, purchase: 0 });

/**
 * Replays events in time order (one `add` per event) and builds both training sets without
 * looking ahead: features of an impression (item stats, social proof, the user's recent
 * sequence) are the state just before it, training labels only use events before `cutoff`.
 * Memory is bounded by users and items, not events: per user the last RECENT events, the last
 * `sequenceLength` positives and `socialItemsPerUser` engaged/bought items; per item counters;
 * examples are reservoir samples.
 */
export class TrainingSetBuilder {
  private readonly items: Map<string, ItemRow>;
  private readonly price: Map<string, number>;
  private readonly itemOfProduct: Map<string, string>;
  private readonly creators: Map<string, CreatorRow>;
  private readonly users: Map<string, UserRow>;
  private readonly friends = new Map<string, Set<string>>();
  private readonly follows = new Map<string, Set<string>>();
  private readonly itemFeatures: ItemFeatures[];
  private readonly stats = new Map<string, ItemCounts>();
  private readonly recent = new Map<string, UserContext['recent']>();
  private readonly locale = new Map<string, string>();
  /** Per user, the items they engaged with and bought (social proof for their friends). */
  private readonly engaged = new Map<string, Set<string>>();
  private readonly bought = new Map<string, Set<string>>();
  private readonly open = new Map<string, { example: MultitaskExample; ts: number; train: boolean }>();
  private readonly rankerTrain: Reservoir<MultitaskExample>;
  private readonly rankerTest: Reservoir<MultitaskExample>;
  private readonly retrievalTest: Reservoir<TrainingData['retrieval']['test'][number]>;
  private readonly seqs = new Map<string, Sequence>();
  private readonly positives = new Map<string, number>();
  private positiveCount = 0;
  private events = 0;
  private from: number | null = null;
  private to: number | null = null;

  constructor(
    catalog: CatalogSnapshot,
    private readonly split: TrainingSplit,
    private readonly limits: TrainingDataConfig = DEFAULT_TRAINING_LIMITS,
    seed = 0,
  ) {
    this.items = new Map(catalog.items.map((i) => [i.item_id, i]));
    this.price = new Map(catalog.products.map((p) => [p.product_id, p.price]));
    this.itemOfProduct = new Map(catalog.items.filter((i) => i.product_id).map((i) => [i.product_id, i.item_id]));
    this.creators = new Map(catalog.creators.map((c) => [c.creator_id, c]));
    this.users = new Map(catalog.users.map((u) => [u.user_id, u]));
    for (const e of catalog.edges) {
      if (e.active) this.link(e.kind === 'friend' ? this.friends : this.follows, e.src, e.dst);
    }
    this.itemFeatures = catalog.items.map((i) => ({
      item_id: i.item_id,
      category: i.category,
      creator_id: i.creator_id,
      has_product: i.product_id !== '',
      price: this.price.get(i.product_id) ?? 0,
    }));
    this.rankerTrain = new Reservoir(limits.multitaskExamples, seed);
    this.rankerTest = new Reservoir(limits.multitaskTestExamples, seed + 1);
    this.retrievalTest = new Reservoir(limits.retrievalTestExamples, seed + 2);
  }

  private link(m: Map<string, Set<string>>, k: string, v: string): void {
    (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
  }

  private statsOf(id: string): ItemCounts {
    let s = this.stats.get(id);
    if (!s) {
      s = { ...NO_STATS };
      this.stats.set(id, s);
    }
    return s;
  }

  private context(userId: string): UserContext {
    const u = this.users.get(userId);
    return { userId, locale: u?.locale ?? this.locale.get(userId) ?? '', segment: u?.segment ?? '', recent: [...(this.recent.get(userId) ?? [])] };
  }

  private readonly side = (id: string): ItemSide | undefined => {
    const i = this.items.get(id);
    return i && { category: i.category, creator: i.creator_id };
  };

  private signals(user: UserContext, itemId: string, ts: number): CandidateSignals {
    const item = this.items.get(itemId);
    const affinity = affinityOf(userAffinity(user.recent, this.side, ts), { category: item?.category ?? '', creator: item?.creator_id ?? '' });
    const creator = this.creators.get(item?.creator_id ?? '');
    const s = this.stats.get(itemId) ?? NO_STATS;
    let friendsEngaged = 0;
    let friendsPurchased = 0;
    for (const f of this.friends.get(user.userId) ?? []) {
      if (this.engaged.get(f)?.has(itemId)) friendsEngaged++;
      if (this.bought.get(f)?.has(itemId)) friendsPurchased++;
    }
    return {
      item_id: itemId,
      creator_id: item?.creator_id ?? '',
      category: item?.category ?? '',
      duration_ms: item?.duration_ms ?? 0,
      age_hours: item ? Math.max(0, (ts / 1000 - item.published_at) / 3600) : 0,
      has_product: !!item?.product_id,
      price: this.price.get(item?.product_id ?? '') ?? 0,
      is_kol: !!creator?.is_kol,
      creator_followers: creator?.followers ?? 0,
      retrieval_score: 0,
      impressions: s.impressions,
      ...itemRates(s, { completion_rate: 0, avg_watch_ratio: 0, like_rate: 0, share_rate: 0, purchase_rate: 0 }),
      friends_engaged: friendsEngaged,
      friends_purchased: friendsPurchased,
      followed_creator: this.follows.get(user.userId)?.has(item?.creator_id ?? '') ?? false,
      locale_match: !!item && item.locale === user.locale,
      affinity_category_session: affinity.category_session,
      affinity_category_long: affinity.category_long,
      affinity_creator_session: affinity.creator_session,
      affinity_creator_long: affinity.creator_long,
      // Filled by models/train.ts once the retrieval model's item vectors exist, as serving has them.
      attention_score: 0,
      attention_max: 0,
    };
  }

  /** Forgets impressions whose attribution window has passed: no later event can label them. */
  private sweep(now: number): void {
    for (const [key, ex] of this.open) if (now - ex.ts > ATTRIBUTION_MS) this.open.delete(key);
  }

  /** The next event; events must come in time order. */
  add(e: TrainingEvent): void {
    this.from ??= e.ts_ms;
    this.to = e.ts_ms;
    if (++this.events % SWEEP_EVERY === 0) this.sweep(e.ts_ms);
    if (e.locale) this.locale.set(e.user_id, e.locale);
    if (e.kind === 'follow' && e.creator_id) this.link(this.follows, e.user_id, e.creator_id);
    if (e.kind === 'unfollow' && e.creator_id) this.follows.get(e.user_id)?.delete(e.creator_id);
    const itemId = e.item_id || (e.product_id ? (this.itemOfProduct.get(e.product_id) ?? '') : '');
    if (!itemId) return;
    const { cutoff, multitaskFrom } = this.split;
    const isTrain = cutoff !== null && e.ts_ms < cutoff;
    const key = `${e.user_id}\u0000${itemId}`;
    let ex = this.open.get(key);
    if (ex && e.ts_ms - ex.ts > ATTRIBUTION_MS) ex = undefined;
    const weight = engagementWeight(e.kind, e.watch_ms, e.duration_ms);
    if (e.kind === 'impression' || (!ex && weight > 0)) {
      const user = this.context(e.user_id);
      ex = { example: { user, candidate: this.signals(user, itemId, e.ts_ms), labels: emptyLabels() }, ts: e.ts_ms, train: isTrain };
      this.open.set(key, ex);
      if (!isTrain) this.rankerTest.offer(ex.example);
      else if (multitaskFrom === null || e.ts_ms >= multitaskFrom) this.rankerTrain.offer(ex.example);
    }
    // A training example never learns from events after the cutoff.
    if (ex && (!ex.train || isTrain)) {
      const l = ex.example.labels;
      if (e.kind === 'play' && e.duration_ms > 0) l.watch = Math.max(l.watch, Math.min(1, e.watch_ms / e.duration_ms));
      if (e.kind === 'complete') {
        l.complete = 1;
        l.watch = 1;
      }
      if (e.kind === 'like') l.like = 1;
      if (e.kind === 'share') l.share = 1;
      if (e.kind === 'follow') l.follow = 1;
      if (e.kind === 'purchase') l.purchase = 1;
    }

    const s = this.statsOf(itemId);
    if (e.kind === 'impression') s.impressions++;
    if (e.kind === 'play') {
      s.plays++;
      if (e.duration_ms > 0) s.watchRatioSum += Math.min(1, e.watch_ms / e.duration_ms);
    }
    if (e.kind === 'complete') s.completions++;
    if (e.kind === 'like') s.likes++;
    if (e.kind === 'share') s.shares++;
    if (e.kind === 'purchase') {
      s.purchases++;
      remember(this.bought.get(e.user_id) ?? this.bought.set(e.user_id, new Set()).get(e.user_id)!, itemId, this.limits.socialItemsPerUser);
    }
    if (weight <= 0) return;
    remember(this.engaged.get(e.user_id) ?? this.engaged.set(e.user_id, new Set()).get(e.user_id)!, itemId, this.limits.socialItemsPerUser);
    if (isTrain) this.addPositive(e.user_id, itemId, weight, e.ts_ms);
    else if (weight >= 1) {
      const u = this.context(e.user_id);
      const history = u.recent.map((r) => ({ item_id: r.item_id, weight: engagementWeight(r.kind, r.watch_ms, r.duration_ms) })).filter((h) => h.weight > 0);
      this.retrievalTest.offer({ user: { locale: u.locale, segment: u.segment, history }, item: itemId, ts: e.ts_ms });
    }
    const list = this.recent.get(e.user_id) ?? [];
    list.unshift({ item_id: itemId, kind: e.kind, watch_ms: e.watch_ms, duration_ms: e.duration_ms, ts: e.ts_ms });
    if (list.length > RECENT) list.length = RECENT;
    this.recent.set(e.user_id, list);
  }

  private addPositive(userId: string, itemId: string, weight: number, ts: number): void {
    this.positiveCount++;
    this.positives.set(itemId, (this.positives.get(itemId) ?? 0) + 1);
    let seq = this.seqs.get(userId);
    if (!seq) {
      const u = this.context(userId);
      seq = { user_id: userId, locale: u.locale, segment: u.segment, items: [], weights: [], ts: [] };
      this.seqs.set(userId, seq);
    }
    seq.items.push(itemId);
    seq.weights.push(weight);
    seq.ts.push(ts);
    // Trimmed in halves rather than per positive: shifting arrays on every event would be quadratic.
    if (seq.items.length >= 2 * this.limits.sequenceLength) trimSequence(seq, this.limits.sequenceLength);
  }

  finish(): TrainingData {
    for (const seq of this.seqs.values()) trimSequence(seq, this.limits.sequenceLength);
    return {
      retrieval: { train: [...this.seqs.values()], test: this.retrievalTest.items, positives: this.positives },
      multitask: { train: this.rankerTrain.items, test: this.rankerTest.items },
      items: this.itemFeatures,
      range: { from: this.from, to: this.to, ...this.split, events: this.events },
      totals: { rankerTrain: this.rankerTrain.seen, rankerTest: this.rankerTest.seen, retrievalTest: this.retrievalTest.seen, positives: this.positiveCount },
    };
  }
}

/** Keeps the `length` most recent positions of a sequence. */
function trimSequence(seq: Sequence, length: number): void {
  const drop = seq.items.length - length;
  if (drop <= 0) return;
  seq.items.splice(0, drop);
  seq.weights.splice(0, drop);
  seq.ts.splice(0, drop);
}

/** Builds the training sets from events in memory (tests, small files): the most recent `holdout` share is held out. */
export function buildTrainingData(events: readonly TrainingEvent[], catalog: CatalogSnapshot, holdout: number, limits = DEFAULT_TRAINING_LIMITS, seed = 0, multitaskWindow = 0): TrainingData {
  const sorted = [...events].sort((a, b) => a.ts_ms - b.ts_ms);
  const at = splitIndices(sorted.length, holdout, multitaskWindow);
  const time = (i: number | null) => (sorted.length && i !== null ? sorted[i]!.ts_ms : null);
  const builder = new TrainingSetBuilder(catalog, { cutoff: time(at.cutoff), multitaskFrom: time(at.multitaskFrom) }, limits, seed);
  for (const e of sorted) builder.add(e);
  return builder.finish();
}
