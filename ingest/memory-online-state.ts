import { LRUCache } from 'lru-cache';
import { TopK } from '../core/top-k.ts';
import { OnlineConfigSchema, type OnlineConfig } from '../config/sections/online.ts';
import { eventKey, isPositiveKind, type EngagementEvent, type EventKind } from './events.ts';
import type { ItemCounters, OnlineState, RecentEngagement } from './online-state.ts';
import { PresenceFilter } from './presence-filter.ts';
import { RecentIds } from './recent-ids.ts';

/** Weights of the trending score (engagement per item in the window). */
const TRENDING_WEIGHTS: Partial<Record<EventKind, number>> = {
  play: 1,
  complete: 2,
  like: 3,
  comment: 3,
  share: 5,
  add_to_cart: 4,
  purchase: 8,
  skip: -0.5,
  not_interested: -2,
};

// Indexes of the counters kept per item window; `trending` sums TRENDING_WEIGHTS.
const C = { impressions: 0, plays: 1, completions: 2, watchRatioSum: 3, likes: 4, shares: 5, skips: 6, purchases: 7, trending: 8 } as const;
const N_COUNTERS = Object.keys(C).length;
const COUNTER_OF: Partial<Record<EventKind, number>> = {
  impression: C.impressions,
  play: C.plays,
  complete: C.completions,
  like: C.likes,
  share: C.shares,
  skip: C.skips,
  purchase: C.purchases,
};

interface UserState {
  /** Oldest first, sorted by ts. */
  recent: RecentEngagement[];
  seen: Set<string>;
  hiddenItems: Set<string>;
  hiddenCreators: Set<string>;
  followed: Set<string>;
  /** Insertion order = recency (re-added on repeat). */
  positive: Set<string>;
}

/**
 * One item's row in `itemRows`: two aligned windows (current and previous) give a sliding-window
 * estimate in O(1) memory. Rows in one typed array: no per-item objects for lookups to chase or
 * for the GC to trace.
 */
const R = { windowStart: 0, firstSeenTs: 1, current: 2, previous: 2 + N_COUNTERS } as const;
const ROW = 2 + 2 * N_COUNTERS;

const EMPTY: ReadonlySet<string> = new Set();

/** Written by `slidingWeights` (reads run for every candidate: no array per call). */
const WEIGHTS = new Float64Array(2);

/**
 * Weights of a row's current and previous window at `now`, for a sliding window of length `w`
 * over two aligned ones: the previous window counts for the part of it still inside.
 */
function slidingWeights(windowStart: number, now: number, w: number): void {
  const nowStart = Math.floor(now / w) * w;
  const frac = (now - nowStart) / w;
  const age = nowStart - windowStart;
  WEIGHTS[0] = age <= 0 ? 1 : age === w ? 1 - frac : 0;
  WEIGHTS[1] = age <= 0 ? 1 - frac : 0;
}

/** Adds to a Set that forgets its oldest entry beyond `cap`. */
function addCapped(set: Set<string>, value: string, cap: number, refresh = false): void {
  if (refresh) set.delete(value);
  set.add(value);
  if (set.size > cap) set.delete(set.values().next().value as string);
}

export interface MemoryOnlineStateOptions {
  config?: Partial<OnlineConfig>;
  /** Clock for window reads; tests inject one. */
  now?: () => number;
  /** Trending results are reused for this long after a change (the "about a second" freshness). */
  trendingCacheMs?: number;
  /** Only items for which this holds get counters and a trending score (the serving catalog's items; made-up ids get none). */
  countsItem?: (itemId: string) => boolean;
  /** Keep item counters and trending only (per-user state lives elsewhere, e.g. in Redis). */
  itemsOnly?: boolean;
}

/**
 * The in-process OnlineState. Every structure is capped (LRU users and items, FIFO per-user
 * sets, a bounded event-id window for idempotence), and each event is O(1) to apply except the
 * per-user recent list (bounded insertion for late events).
 */
export class MemoryOnlineState implements OnlineState {
  private readonly cfg: OnlineConfig;
  private readonly now: () => number;
  private readonly cacheMs: number;
  /** Least recently active users evicted beyond `maxUsers`; reads `peek`, so only events count as activity. */
  private readonly users: LRUCache<string, UserState>;
  /** Item id → its row in `itemRows`, least recently engaged evicted beyond `maxItems` (its row reused). */
  private readonly itemSlots: LRUCache<string, number>;
  private itemRows = new Float64Array(64 * ROW);
  /** The item of each slot ('' while free): trending scans the rows, not the LRU. */
  private readonly slotIds: string[] = [];
  private readonly freeSlots: number[] = [];
  /** Which ids `itemSlots` may hold: most candidates have no counters, and a miss costs several cache misses in a large Map. */
  private readonly itemKeys: PresenceFilter;
  private readonly applied: RecentIds;
  private trendingCache: { at: number; version: number; list: { item_id: string; score: number }[] } | undefined;
  private version = 0;
  private readonly countsItem: (itemId: string) => boolean;
  private readonly itemsOnly: boolean;

  constructor(opts: MemoryOnlineStateOptions = {}) {
    this.itemsOnly = opts.itemsOnly ?? false;
    this.cfg = OnlineConfigSchema.parse(opts.config ?? {});
    this.users = new LRUCache({ max: this.cfg.maxUsers });
    this.itemSlots = new LRUCache({ max: this.cfg.maxItems });
    this.now = opts.now ?? Date.now;
    this.cacheMs = opts.trendingCacheMs ?? 1000;
    this.applied = new RecentIds(this.cfg.dedupWindow);
    this.itemKeys = new PresenceFilter(this.cfg.maxItems);
    this.countsItem = opts.countsItem ?? (() => true);
  }

  apply(events: readonly EngagementEvent[]): void {
    for (const e of events) {
      if (!this.applied.add(eventKey(e))) continue;
      if (!this.itemsOnly) this.applyUser(e);
      if (e.item_id && this.countsItem(e.item_id)) this.applyItem(e, e.item_id);
    }
    this.version++;
  }

  private applyUser(e: EngagementEvent): void {
    const cfg = this.cfg;
    let u = this.users.get(e.user_id);
    if (!u) {
      u = { recent: [], seen: new Set<string>(), hiddenItems: new Set<string>(), hiddenCreators: new Set<string>(), followed: new Set<string>(), positive: new Set<string>() };
      this.users.set(e.user_id, u);
    }
    if (e.item_id) {
      const entry: RecentEngagement = { item_id: e.item_id, kind: e.kind, ts: e.ts };
      if (e.watch_ms !== undefined) entry.watch_ms = e.watch_ms;
      if (e.duration_ms !== undefined) entry.duration_ms = e.duration_ms;
      let i = u.recent.length;
      while (i > 0 && u.recent[i - 1]!.ts > e.ts) i--;
      u.recent.splice(i, 0, entry);
      if (u.recent.length > cfg.recentPerUser) u.recent.shift();
      addCapped(u.seen, e.item_id, cfg.seenPerUser);
      if (isPositiveKind(e.kind)) addCapped(u.positive, e.item_id, cfg.positivePerUser, true);
      if (e.kind === 'unlike') u.positive.delete(e.item_id);
    }
    if (e.kind === 'not_interested') {
      if (e.item_id) addCapped(u.hiddenItems, e.item_id, cfg.hiddenPerUser);
      if (e.creator_id) addCapped(u.hiddenCreators, e.creator_id, cfg.hiddenPerUser);
    } else if (e.kind === 'follow' && e.creator_id) {
      addCapped(u.followed, e.creator_id, cfg.hiddenPerUser);
      u.hiddenCreators.delete(e.creator_id);
    } else if (e.kind === 'unfollow' && e.creator_id) {
      u.followed.delete(e.creator_id);
      addCapped(u.hiddenCreators, e.creator_id, cfg.hiddenPerUser);
    }
  }

  private applyItem(e: EngagementEvent, itemId: string): void {
    const w = this.cfg.itemWindowMs;
    const start = Math.floor(e.ts / w) * w;
    const o = this.itemRow(itemId, start, e.ts);
    const x = this.itemRows;
    x[o + R.firstSeenTs] = Math.min(x[o + R.firstSeenTs]!, e.ts);
    if (start > x[o + R.windowStart]!) {
      if (start === x[o + R.windowStart]! + w) x.copyWithin(o + R.previous, o + R.current, o + R.current + N_COUNTERS);
      else x.fill(0, o + R.previous, o + R.previous + N_COUNTERS);
      x.fill(0, o + R.current, o + R.current + N_COUNTERS);
      x[o + R.windowStart] = start;
    }
    const at = start === x[o + R.windowStart] ? o + R.current : start === x[o + R.windowStart]! - w ? o + R.previous : -1;
    if (at < 0) return; // older than the two windows
    const k = COUNTER_OF[e.kind];
    if (k !== undefined) x[at + k]! += 1;
    const weight = TRENDING_WEIGHTS[e.kind];
    if (weight !== undefined) x[at + C.trending]! += weight;
    if (e.kind === 'play' && e.watch_ms !== undefined && e.duration_ms) {
      x[at + C.watchRatioSum]! += Math.min(1, e.watch_ms / e.duration_ms);
    }
  }

  /** Offset of the item's row, created (or reused from an evicted item) when new; the most recent at the LRU end. */
  private itemRow(itemId: string, windowStart: number, ts: number): number {
    let slot = this.itemSlots.get(itemId);
    if (slot !== undefined) return slot * ROW;
    if (this.itemSlots.size >= this.cfg.maxItems) {
      const oldest = this.itemSlots.rkeys().next().value!;
      const freed = this.itemSlots.peek(oldest)!;
      this.freeSlots.push(freed);
      this.slotIds[freed] = '';
      this.itemSlots.delete(oldest);
      this.itemKeys.remove(oldest);
    }
    slot = this.freeSlots.pop() ?? this.itemSlots.size;
    if ((slot + 1) * ROW > this.itemRows.length) {
      const grown = new Float64Array(Math.min(this.cfg.maxItems, Math.max(slot + 1, (2 * this.itemRows.length) / ROW)) * ROW);
      grown.set(this.itemRows);
      this.itemRows = grown;
    }
    const o = slot * ROW;
    this.itemRows.fill(0, o, o + ROW);
    this.itemRows[o + R.windowStart] = windowStart;
    this.itemRows[o + R.firstSeenTs] = ts;
    this.itemSlots.set(itemId, slot);
    this.slotIds[slot] = itemId;
    this.itemKeys.add(itemId);
    return o;
  }

  forgetUser(userId: string): void {
    this.users.delete(userId);
  }

  recent(userId: string, limit: number): RecentEngagement[] {
    const r = this.users.peek(userId)?.recent ?? [];
    return r.slice(Math.max(0, r.length - limit)).reverse();
  }

  seenItems(userId: string): ReadonlySet<string> {
    return this.users.peek(userId)?.seen ?? EMPTY;
  }

  hiddenItems(userId: string): ReadonlySet<string> {
    return this.users.peek(userId)?.hiddenItems ?? EMPTY;
  }

  hiddenCreators(userId: string): ReadonlySet<string> {
    return this.users.peek(userId)?.hiddenCreators ?? EMPTY;
  }

  followedCreators(userId: string): ReadonlySet<string> {
    return this.users.peek(userId)?.followed ?? EMPTY;
  }

  positiveItems(userId: string, limit: number): string[] {
    const p = [...(this.users.peek(userId)?.positive ?? [])];
    return p.slice(Math.max(0, p.length - limit)).reverse();
  }

  itemCounters(itemId: string, into?: ItemCounters): ItemCounters | undefined {
    if (!this.itemKeys.mayHave(itemId)) return undefined;
    const slot = this.itemSlots.peek(itemId);
    if (slot === undefined) return undefined;
    const x = this.itemRows;
    const o = slot * ROW;
    slidingWeights(x[o + R.windowStart]!, this.now(), this.cfg.itemWindowMs);
    const a = WEIGHTS[0]!;
    const b = WEIGHTS[1]!;
    const cur = o + R.current;
    const prev = o + R.previous;
    const out = into ?? { impressions: 0, plays: 0, completions: 0, watchRatioSum: 0, likes: 0, shares: 0, skips: 0, purchases: 0, firstSeenTs: 0 };
    out.impressions = x[cur + C.impressions]! * a + x[prev + C.impressions]! * b;
    out.plays = x[cur + C.plays]! * a + x[prev + C.plays]! * b;
    out.completions = x[cur + C.completions]! * a + x[prev + C.completions]! * b;
    out.watchRatioSum = x[cur + C.watchRatioSum]! * a + x[prev + C.watchRatioSum]! * b;
    out.likes = x[cur + C.likes]! * a + x[prev + C.likes]! * b;
    out.shares = x[cur + C.shares]! * a + x[prev + C.shares]! * b;
    out.skips = x[cur + C.skips]! * a + x[prev + C.skips]! * b;
    out.purchases = x[cur + C.purchases]! * a + x[prev + C.purchases]! * b;
    out.firstSeenTs = x[o + R.firstSeenTs]!;
    return out;
  }

  trending(limit: number): { item_id: string; score: number }[] {
    const now = this.now();
    const cached = this.trendingCache;
    if (cached && cached.list.length >= limit && (cached.version === this.version || now - cached.at < this.cacheMs) && now >= cached.at) {
      return cached.list.slice(0, limit);
    }
    const keep = new TopK(Math.max(limit, 200));
    const x = this.itemRows;
    for (let slot = 0; slot < this.slotIds.length; slot++) {
      if (!this.slotIds[slot]) continue;
      const o = slot * ROW;
      slidingWeights(x[o + R.windowStart]!, now, this.cfg.itemWindowMs);
      const score = x[o + R.current + C.trending]! * WEIGHTS[0]! + x[o + R.previous + C.trending]! * WEIGHTS[1]!;
      if (score > 0 && score > keep.floor) keep.offer(slot, score);
    }
    const { ids, keys } = keep.sorted();
    const list = Array.from(ids, (slot, i) => ({ item_id: this.slotIds[slot]!, score: keys[i]! }));
    list.sort((p, q) => q.score - p.score || (p.item_id < q.item_id ? -1 : 1));
    this.trendingCache = { at: now, version: this.version, list };
    return list.slice(0, limit);
  }
}
