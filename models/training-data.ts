import type { Config } from '../config/schema.ts';
import { withContext } from '../core/errors.ts';
import type { EventKind } from '../ingest/events.ts';
import { readCatalog, type CreatorRow, type ItemRow, type ProductRow, type SocialEdgeRow, type UserRow } from '../storage/catalog.ts';
import { createClickHouse } from '../storage/clickhouse.ts';
import type { Labels, RankerExample } from './ranker/multitask.ts';
import type { Sequence } from './retrieval/train.ts';
import type { ItemFeatures, UserInput } from './retrieval/two-tower.ts';
import { engagementWeight } from './retrieval/weights.ts';
import type { CandidateSignals, UserContext } from './types.ts';
import { affinityOf, userAffinity, type ItemSide } from './user-relation.ts';

/** One row of the events table, as training reads it (ts in epoch ms). */
export interface EventRow {
  kind: EventKind;
  user_id: string;
  item_id: string;
  product_id: string;
  creator_id: string;
  ts_ms: number;
  watch_ms: number;
  duration_ms: number;
  locale: string;
}

export interface CatalogSnapshot {
  items: ItemRow[];
  products: ProductRow[];
  creators: CreatorRow[];
  users: UserRow[];
  edges: SocialEdgeRow[];
}

export interface TrainingData {
  retrieval: { train: Sequence[]; test: { user: UserInput; item: string; ts: number }[] };
  ranker: { train: RankerExample[]; test: RankerExample[] };
  items: ItemFeatures[];
  /** Event times (epoch ms): everything before `cutoff` trains, the rest evaluates. */
  range: { from: number | null; to: number | null; cutoff: number | null; events: number };
}

/** How long after an impression engagement still counts as its outcome. */
const ATTRIBUTION_MS = 30 * 60 * 1000;
const RECENT = 50;

interface ItemStats {
  impressions: number;
  plays: number;
  completions: number;
  watchRatio: number;
  likes: number;
  shares: number;
  purchases: number;
  engaged: Set<string>;
  buyers: Set<string>;
}

/**
 * Replays events in time order and builds both training sets without looking ahead: features
 * of an impression (item stats, social proof, the user's recent sequence) are the state just
 * before it, training labels only use events before the cutoff, and the most recent `holdout`
 * share of events is held out.
 */
export function buildTrainingData(events: readonly EventRow[], catalog: CatalogSnapshot, holdout: number): TrainingData {
  const sorted = [...events].sort((a, b) => a.ts_ms - b.ts_ms);
  const n = sorted.length;
  const cutoff = n ? sorted[Math.min(n - 1, Math.floor(n * (1 - holdout)))]!.ts_ms : null;
  const items = new Map(catalog.items.map((i) => [i.item_id, i]));
  const price = new Map(catalog.products.map((p) => [p.product_id, p.price]));
  const itemOfProduct = new Map(catalog.items.filter((i) => i.product_id).map((i) => [i.product_id, i.item_id]));
  const creators = new Map(catalog.creators.map((c) => [c.creator_id, c]));
  const users = new Map(catalog.users.map((u) => [u.user_id, u]));
  const friends = new Map<string, Set<string>>();
  const follows = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
  for (const e of catalog.edges) {
    if (!e.active) continue;
    add(e.kind === 'friend' ? friends : follows, e.src, e.dst);
  }

  const itemFeatures: ItemFeatures[] = catalog.items.map((i) => ({
    item_id: i.item_id,
    category: i.category,
    creator_id: i.creator_id,
    has_product: i.product_id !== '',
    price: price.get(i.product_id) ?? 0,
  }));
  const stats = new Map<string, ItemStats>();
  const statsOf = (id: string) => {
    let s = stats.get(id);
    if (!s) {
      s = { impressions: 0, plays: 0, completions: 0, watchRatio: 0, likes: 0, shares: 0, purchases: 0, engaged: new Set(), buyers: new Set() };
      stats.set(id, s);
    }
    return s;
  };
  const recent = new Map<string, UserContext['recent']>();
  const locale = new Map<string, string>();
  const open = new Map<string, { example: RankerExample; ts: number; train: boolean }>();
  const rankerTrain: RankerExample[] = [];
  const rankerTest: RankerExample[] = [];
  const seqs = new Map<string, Sequence>();
  const retrievalTest: TrainingData['retrieval']['test'] = [];

  const context = (userId: string): UserContext => {
    const u = users.get(userId);
    return { userId, locale: u?.locale ?? locale.get(userId) ?? '', segment: u?.segment ?? '', recent: [...(recent.get(userId) ?? [])] };
  };
  const side = (id: string): ItemSide | undefined => {
    const i = items.get(id);
    return i && { category: i.category, creator: i.creator_id };
  };
  const signals = (user: UserContext, itemId: string, ts: number): CandidateSignals => {
    const item = items.get(itemId);
    const affinity = affinityOf(userAffinity(user.recent, side, ts), { category: item?.category ?? '', creator: item?.creator_id ?? '' });
    const creator = creators.get(item?.creator_id ?? '');
    const s = stats.get(itemId);
    const rate = (x: number) => (s && s.impressions ? x / s.impressions : 0);
    let friendsEngaged = 0;
    let friendsPurchased = 0;
    for (const f of friends.get(user.userId) ?? []) {
      if (s?.engaged.has(f)) friendsEngaged++;
      if (s?.buyers.has(f)) friendsPurchased++;
    }
    return {
      item_id: itemId,
      creator_id: item?.creator_id ?? '',
      category: item?.category ?? '',
      duration_ms: item?.duration_ms ?? 0,
      age_hours: item ? Math.max(0, (ts / 1000 - item.published_at) / 3600) : 0,
      has_product: !!item?.product_id,
      price: price.get(item?.product_id ?? '') ?? 0,
      is_kol: !!creator?.is_kol,
      creator_followers: creator?.followers ?? 0,
      retrieval_score: 0,
      impressions: s?.impressions ?? 0,
      completion_rate: rate(s?.completions ?? 0),
      avg_watch_ratio: s && s.plays ? s.watchRatio / s.plays : 0,
      like_rate: rate(s?.likes ?? 0),
      share_rate: rate(s?.shares ?? 0),
      purchase_rate: rate(s?.purchases ?? 0),
      friends_engaged: friendsEngaged,
      friends_purchased: friendsPurchased,
      followed_creator: follows.get(user.userId)?.has(item?.creator_id ?? '') ?? false,
      locale_match: !!item && item.locale === user.locale,
      affinity_category_session: affinity.category_session,
      affinity_category_long: affinity.category_long,
      affinity_creator_session: affinity.creator_session,
      affinity_creator_long: affinity.creator_long,
      // Filled by models/train.ts once the retrieval model's item vectors exist, as serving has them.
      attention_score: 0,
      attention_max: 0,
    };
  };
  const emptyLabels = (): Labels => ({ complete: 0, watch: 0, like: 0, share: 0, follow: 0, purchase: 0 });

  for (const e of sorted) {
    if (e.locale) locale.set(e.user_id, e.locale);
    if (e.kind === 'follow' && e.creator_id) add(follows, e.user_id, e.creator_id);
    if (e.kind === 'unfollow' && e.creator_id) follows.get(e.user_id)?.delete(e.creator_id);
    const itemId = e.item_id || (e.product_id ? itemOfProduct.get(e.product_id) ?? '' : '');
    if (!itemId) continue;
    const isTrain = cutoff !== null && e.ts_ms < cutoff;
    const key = `${e.user_id}\u0000${itemId}`;
    let ex = open.get(key);
    if (ex && e.ts_ms - ex.ts > ATTRIBUTION_MS) ex = undefined;
    if (e.kind === 'impression' || (!ex && engagementWeight(e.kind, e.watch_ms, e.duration_ms) > 0)) {
      const user = context(e.user_id);
      ex = { example: { user, candidate: signals(user, itemId, e.ts_ms), labels: emptyLabels() }, ts: e.ts_ms, train: isTrain };
      open.set(key, ex);
      (isTrain ? rankerTrain : rankerTest).push(ex.example);
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

    const s = statsOf(itemId);
    if (e.kind === 'impression') s.impressions++;
    if (e.kind === 'play') {
      s.plays++;
      if (e.duration_ms > 0) s.watchRatio += Math.min(1, e.watch_ms / e.duration_ms);
    }
    if (e.kind === 'complete') s.completions++;
    if (e.kind === 'like') s.likes++;
    if (e.kind === 'share') s.shares++;
    if (e.kind === 'purchase') {
      s.purchases++;
      s.buyers.add(e.user_id);
    }
    const weight = engagementWeight(e.kind, e.watch_ms, e.duration_ms);
    if (weight <= 0) continue;
    s.engaged.add(e.user_id);
    if (isTrain) {
      const u = context(e.user_id);
      const seq = seqs.get(e.user_id) ?? { user_id: e.user_id, locale: u.locale, segment: u.segment, items: [], weights: [], ts: [] };
      seqs.set(e.user_id, seq);
      seq.items.push(itemId);
      seq.weights.push(weight);
      seq.ts.push(e.ts_ms);
    } else if (weight >= 1) {
      const u = context(e.user_id);
      const history = u.recent.map((r) => ({ item_id: r.item_id, weight: engagementWeight(r.kind, r.watch_ms, r.duration_ms) })).filter((h) => h.weight > 0);
      retrievalTest.push({ user: { locale: u.locale, segment: u.segment, history }, item: itemId, ts: e.ts_ms });
    }
    const list = recent.get(e.user_id) ?? [];
    list.unshift({ item_id: itemId, kind: e.kind, watch_ms: e.watch_ms, duration_ms: e.duration_ms, ts: e.ts_ms });
    if (list.length > RECENT) list.length = RECENT;
    recent.set(e.user_id, list);
  }

  return {
    retrieval: { train: [...seqs.values()], test: retrievalTest },
    ranker: { train: rankerTrain, test: rankerTest },
    items: itemFeatures,
    range: { from: sorted[0]?.ts_ms ?? null, to: sorted[n - 1]?.ts_ms ?? null, cutoff, events: n },
  };
}

async function collect<T>(gen: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}

/** Reads events and the catalog from ClickHouse and builds the training sets. */
export async function loadTrainingData(config: Config, holdout = config.models.holdout): Promise<TrainingData> {
  const client = createClickHouse(config);
  try {
    const catalog: CatalogSnapshot = {
      items: await collect(readCatalog(client, 'items')),
      products: await collect(readCatalog(client, 'products')),
      creators: await collect(readCatalog(client, 'creators')),
      users: await collect(readCatalog(client, 'users')),
      edges: await collect(readCatalog(client, 'social_edges')),
    };
    const events = await withContext('reading events for training', async () => {
      const rs = await client.query({
        query: `SELECT kind, user_id, item_id, product_id, creator_id, toUInt64(ts_ms) AS ts_ms, watch_ms, duration_ms, locale
                FROM events FINAL ORDER BY ts_ms`,
        format: 'JSONEachRow',
      });
      const rows: EventRow[] = [];
      for await (const batch of rs.stream<Record<string, unknown>>()) {
        for (const r of batch) {
          const j = r.json();
          rows.push({
            kind: String(j.kind) as EventKind, // the events table holds validated events only
            user_id: String(j.user_id),
            item_id: String(j.item_id),
            product_id: String(j.product_id),
            creator_id: String(j.creator_id),
            ts_ms: Number(j.ts_ms),
            watch_ms: Number(j.watch_ms),
            duration_ms: Number(j.duration_ms),
            locale: String(j.locale),
          });
        }
      }
      return rows;
    });
    return buildTrainingData(events, catalog, holdout);
  } finally {
    await client.close();
  }
}
