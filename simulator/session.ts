import type { FeedEntry } from '../feed-api/feed-response.ts';
import type { EngagementEvent, EventKind } from '../ingest/events.ts';
import {
  advance,
  BEHAVIOUR_PARAMS as B,
  drawLive,
  drawProductSlot,
  drawVideo,
  newSession,
  type Funnel,
  type ProductTruth,
  type SessionState,
  type SocialProof,
  type UserTruth,
  type VideoTruth,
} from './behaviour.ts';
import type { MetricsAccumulator } from './metrics.ts';
import type { FeedPolicy } from './policies/types.ts';
import { categoryVec, productTruth, userTruth, videoTruth } from './truth.ts';
import type { World } from './world/generate.ts';
import { hasEdge, neighbours } from './world/graph.ts';
import { ids, indexOf } from './world/rows.ts';
import { Rng } from './world/rng.ts';
import { LOCALES } from './world/spec.ts';

export interface SimulatorOptions {
  seed: number;
  /** Prefix of event ids (letters, digits, '_', '-'); a fresh tag per run keeps runs from deduplicating each other. */
  runTag: string;
  /** Entries requested per page. */
  pageSize?: number;
  /** Hard cap on entries per session (fatigue normally ends it first). */
  maxEntries?: number;
  /**
   * Stamp events with the real clock (for a live engine, which rejects far-future events);
   * otherwise with simulated time from each session's start.
   */
  wallClock?: boolean;
  /** Ground truth of videos outside the world (published during a scenario), by item id. */
  extraItems?: ReadonlyMap<string, VideoTruth>;
}

export type EventSink = (events: EngagementEvent[]) => void | Promise<void>;

/**
 * The simulated population's memory across sessions: what each person has seen (novelty),
 * what friends engaged with and bought (social proof), and follows made during the run.
 */
export class Simulator {
  private readonly rng: Rng;
  private readonly U: number;
  private readonly views = new Map<number, number>();
  private readonly engaged = new Set<number>();
  private readonly bought = new Set<number>();
  private readonly newFollows = new Set<number>();
  private seq = 0;
  readonly pageSize: number;
  readonly maxEntries: number;

  constructor(
    readonly world: World,
    private readonly opts: SimulatorOptions,
  ) {
    if (!/^[A-Za-z0-9_-]{1,24}$/.test(opts.runTag)) throw new RangeError(`runTag must be 1-24 letters, digits, _ or - (got "${opts.runTag}")`);
    this.rng = new Rng(opts.seed, 'behaviour');
    this.U = world.users.count;
    this.pageSize = opts.pageSize ?? 10;
    this.maxEntries = opts.maxEntries ?? 200;
  }

  private social(u: number, item: number, product: number, creator: number): SocialProof {
    let friendsEngaged = 0;
    let friendsPurchased = 0;
    for (const f of neighbours(this.world.friends, u)) {
      if (item >= 0 && this.engaged.has(item * this.U + f)) friendsEngaged++;
      if (product >= 0 && this.bought.has(product * this.U + f)) friendsPurchased++;
    }
    const followedCreator = creator >= 0 && (hasEdge(this.world.follows, u, creator) || this.newFollows.has(creator * this.U + u));
    return { friendsEngaged, friendsPurchased, followedCreator, creatorIsKol: creator >= 0 && this.world.creators.isKol[creator] === 1 };
  }

  /** Runs one session of user `u` against `policy`, starting at `startMs`; events go to the policy and `sink`. */
  async session(u: number, policy: FeedPolicy, startMs: number, metrics?: MetricsAccumulator, sink?: EventSink): Promise<SessionState> {
    const state = newSession();
    const userId = ids.user(u);
    const user = userTruth(this.world, u);
    metrics?.session(u);
    let cursor: string | undefined;
    while (!state.ended && state.entries < this.maxEntries) {
      const nowMs = startMs + state.elapsedMs;
      const page = await policy.page(userId, this.pageSize, cursor, { nowSec: Math.floor(nowMs / 1000) });
      if (page.entries.length === 0) break;
      cursor = page.cursor;
      const events: EngagementEvent[] = [];
      for (const entry of page.entries) {
        if (state.ended || state.entries >= this.maxEntries) break;
        this.react(u, user, entry, page.request_id, startMs, state, events, metrics);
      }
      if (metrics) metrics.events += events.length;
      await policy.observe?.(events);
      await sink?.(events);
    }
    return state;
  }

  private react(u: number, user: UserTruth, entry: FeedEntry, requestId: string | undefined, startMs: number, state: SessionState, out: EngagementEvent[], metrics?: MetricsAccumulator): void {
    const w = this.world;
    const t0 = startMs + state.elapsedMs;
    const locale = LOCALES[w.users.locale[u]!]!;
    const event = (kind: EventKind, offsetMs: number, fields: Partial<EngagementEvent>): void => {
      out.push({
        schema_version: 1,
        event_id: `${this.opts.runTag}-${(this.seq++).toString(36)}`,
        kind,
        user_id: ids.user(u),
        ts: this.opts.wallClock ? Date.now() : t0 + Math.round(offsetMs),
        ...(requestId ? { request_id: requestId } : {}),
        position: entry.position,
        app: 'simulator',
        locale,
        ...fields,
      });
    };
    const productIdx = entry.product ? indexOf(entry.product.product_id, 'p', w.products.count) : -1;
    const product: ProductTruth | null = entry.product ? (productIdx >= 0 ? productTruth(w, productIdx) : { appeal: 0, price: entry.product.price }) : null;
    const creator = entry.creator_id ? indexOf(entry.creator_id, 'c', w.creators.count) : -1;
    const funnel = (f: Funnel, at: number, fields: Partial<EngagementEvent>): number => {
      if (!entry.product || !product) return 0;
      const p = { product_id: entry.product.product_id, ...fields };
      if (!f.click) return 0;
      event('product_click', at, p);
      if (f.cart) event('add_to_cart', at + B.productPageMs / 2, p);
      if (f.purchase) {
        event('purchase', at + B.productPageMs, { ...p, price: product.price, quantity: f.quantity });
        if (productIdx >= 0) this.bought.add(productIdx * this.U + u);
        metrics?.purchase(product.price * f.quantity, entry.type === 'video');
      }
      return B.productPageMs;
    };

    if (entry.type === 'video') {
      const item = indexOf(entry.item_id, 'v', w.items.count);
      const truth =
        item >= 0
          ? videoTruth(w, item, w.users.locale[u]!)
          : (this.opts.extraItems?.get(entry.item_id) ?? { vec: null, quality: 0.5, durationMs: entry.duration_ms, localeMatch: entry.locale === locale, creatorIsKol: false });
      const viewKey = item * this.U + u;
      const views = item >= 0 ? (this.views.get(viewKey) ?? 0) : 0;
      if (item >= 0) this.views.set(viewKey, views + 1);
      const r = drawVideo(this.rng, user, truth, product, this.social(u, item, productIdx, creator), views, state);
      const at = r.watchMs;
      const v = { item_id: entry.item_id };
      event('impression', 0, v);
      event('play', at, { ...v, watch_ms: r.watchMs, duration_ms: truth.durationMs });
      if (r.completed) event('complete', at, v);
      if (r.skipped) event('skip', at, v);
      // About this video: the behaviour model draws it from interest in the video, not in its creator (hiding a creator is the engine's reading of a creator_id).
      if (r.notInterested) event('not_interested', at, v);
      if (r.liked) event('like', at, v);
      if (r.shared) event('share', at, v);
      if (r.commented) event('comment', at, v);
      if (r.followed) {
        event('follow', at, { ...v, creator_id: entry.creator_id });
        if (creator >= 0) this.newFollows.add(creator * this.U + u);
      }
      if ((r.liked || r.shared || r.product?.purchase) && item >= 0) this.engaged.add(viewKey);
      let extra = 0;
      if (r.product && entry.product) {
        event('product_impression', B.cardAfterMs, { ...v, product_id: entry.product.product_id });
        extra = funnel(r.product, at, v);
      }
      metrics?.video(item, creator, Math.floor(t0 / 1000) - entry.published_at, r.completed, r.liked);
      if (metrics) metrics.watchMs += r.watchMs;
      advance(this.rng, state, user, r.watchMs + extra, r.watchMs / truth.durationMs);
    } else if (entry.type === 'product') {
      const topic = productIdx >= 0 ? categoryVec(w, w.products.category[productIdx]!) : null;
      const f = drawProductSlot(this.rng, user, topic, product!, this.social(u, -1, productIdx, creator), state);
      event('product_impression', 0, { product_id: entry.product.product_id });
      const extra = funnel(f, B.productSlotMs, {});
      metrics?.slot();
      advance(this.rng, state, user, B.productSlotMs + extra, f.click ? 1 : 0);
    } else {
      const topic = creator >= 0 ? categoryVec(w, w.creators.category[creator]!) : null;
      const r = drawLive(this.rng, user, topic, product, this.social(u, -1, productIdx, creator), state);
      const l = { live_id: entry.live_id, creator_id: entry.creator_id };
      let spent = B.productSlotMs;
      if (r.entered) {
        event('live_enter', 0, l);
        const extra = r.product ? funnel(r.product, Math.min(r.stayMs, 10_000), { live_id: entry.live_id }) : 0;
        event('live_exit', r.stayMs, l);
        spent = r.stayMs + extra;
        if (metrics) metrics.liveStayMs += r.stayMs;
      }
      metrics?.slot();
      advance(this.rng, state, user, spent, r.entered ? 1 : 0);
    }
  }
}
