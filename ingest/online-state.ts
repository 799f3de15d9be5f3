import type { EngagementEvent, EventKind } from './events.ts';

/** One engagement in a user's recent sequence. */
export interface RecentEngagement {
  item_id: string;
  kind: EventKind;
  ts: number;
  watch_ms?: number;
  duration_ms?: number;
}

/** What an item's rate features are computed from: counts over one window (online or long-term). */
export interface ItemCounts {
  impressions: number;
  plays: number;
  completions: number;
  /** Sum over plays of min(1, watch_ms / duration_ms). */
  watchRatioSum: number;
  likes: number;
  shares: number;
  purchases: number;
}

/** Short-window counters for one item (the trending and traffic-pool signals). */
export interface ItemCounters extends ItemCounts {
  skips: number;
  /** First time any event for this item was seen by this state. */
  firstSeenTs: number;
}

/**
 * Serving state updated from the event stream within about a second. The in-process
 * implementation lives next to this file; a shared store can implement the same interface.
 */
export interface OnlineState {
  /** Write path: fold a batch of accepted events in (idempotent by (user_id, event_id) within a window). */
  apply(events: readonly EngagementEvent[]): void;
  /**
   * Events from this replica's stream follower. A shared store whose users are written once by a
   * consumer group applies only its replica-local part (item counters, trending); default: `apply`.
   */
  applyFromStream?(events: readonly EngagementEvent[]): void;
  /**
   * Loads what a feed request reads about the user and their friends (`peers`: recent and
   * positive items only) before the request's reads; a shared store does it in one round trip.
   * In-process states have nothing to load and leave it out.
   */
  prefetch?(userId: string, peers: readonly string[]): Promise<void>;

  /** Drops everything held about a person (a data deletion request); their past events stay in item counters and trending, which hold no user ids. */
  forgetUser(userId: string): void;

  /** Most recent first, at most `limit`. */
  recent(userId: string, limit: number): RecentEngagement[];
  /** Items the user was shown or played (cross-session seen set, bounded). */
  seenItems(userId: string): ReadonlySet<string>;
  /** Items and creators the user marked not interested, and creators they unfollowed from the feed. */
  hiddenItems(userId: string): ReadonlySet<string>;
  hiddenCreators(userId: string): ReadonlySet<string>;
  /** Creators followed through events (on top of the catalog's follow graph). */
  followedCreators(userId: string): ReadonlySet<string>;

  /**
   * Counters for an item over the short window; undefined when nothing was seen. With `into`,
   * fills and returns it instead of allocating (hydration reads 500 items per request).
   */
  itemCounters(itemId: string, into?: ItemCounters): ItemCounters | undefined;
  /** Items with the most weighted engagement over the item counters' sliding window, best first. */
  trending(limit: number): { item_id: string; score: number }[];
  /** Items a user engaged with positively (liked, completed, shared, bought) recently. */
  positiveItems(userId: string, limit: number): string[];
}

/** Hands a stream follower's events to the state (`applyFromStream` where it has one). */
export function applyFromStream(state: OnlineState, events: readonly EngagementEvent[]): void {
  if (state.applyFromStream) state.applyFromStream(events);
  else state.apply(events);
}
