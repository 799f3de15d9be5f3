import { childLogger } from '../core/logger.ts';
import { OnlineConfigSchema } from '../config/sections/online.ts';
import type { EngagementEvent } from './events.ts';
import { MemoryOnlineState, type MemoryOnlineStateOptions } from './memory-online-state.ts';
import type { ItemCounters, OnlineState, RecentEngagement } from './online-state.ts';
import type { RedisUserStore, UserSnapshot } from './redis-user-store.ts';

const EMPTY: ReadonlySet<string> = new Set();
/** Snapshots kept between a request's prefetch and its reads; far more than requests in flight. */
const MAX_SNAPSHOTS = 10_000;

/**
 * OnlineState shared by replicas: per-user state in Redis, loaded per request by `prefetch`
 * (one pipelined round trip for the user and their friends), item counters and trending in
 * process on each replica (they are read for ~500 candidates per request, which would cost
 * far more as remote reads than following the stream costs).
 */
export class RedisOnlineState implements OnlineState {
  private readonly items: MemoryOnlineState;
  private readonly snapshots = new Map<string, UserSnapshot>();
  private pending: Promise<void> = Promise.resolve();
  private readonly log = childLogger('redis-online-state');

  constructor(
    readonly users: RedisUserStore,
    opts: Pick<MemoryOnlineStateOptions, 'config' | 'now' | 'countsItem'> = {},
  ) {
    this.items = new MemoryOnlineState({ ...opts, config: OnlineConfigSchema.parse(opts.config ?? {}), itemsOnly: true });
  }

  /** Item counters here, and the users' state in Redis at once (idempotent with the writer group's copy). */
  apply(events: readonly EngagementEvent[]): void {
    this.applyFromStream(events);
    this.track(this.users.write(events), (err) => this.log.warn({ err: err.message, events: events.length }, 'writing user state to Redis failed; the writer group applies it from the stream'));
  }

  forgetUser(userId: string): void {
    this.snapshots.delete(userId);
    this.track(this.users.forget(userId), (err) => this.log.error({ err: err.message }, 'deleting a user from Redis failed'));
  }

  /** Keeps `flush()` waiting for the write; a failure is reported, not thrown, as `apply` has no caller to throw to. */
  private track(write: Promise<void>, onError: (err: Error) => void): void {
    this.pending = Promise.all([this.pending, write]).then(() => undefined, onError);
  }

  /** From this replica's stream follower: only the in-process part; the writer group writes users once. */
  applyFromStream(events: readonly EngagementEvent[]): void {
    this.items.apply(events);
  }

  /** Resolves when the writes of every `apply` so far have reached Redis. */
  flush(): Promise<void> {
    return this.pending;
  }

  async prefetch(userId: string, peers: readonly string[]): Promise<void> {
    const loaded = await this.users.load(userId, peers);
    this.keep(userId, loaded.user);
    for (const [id, snap] of loaded.peers) this.keep(id, snap);
  }

  private keep(id: string, snap: UserSnapshot): void {
    this.snapshots.delete(id);
    this.snapshots.set(id, snap);
    if (this.snapshots.size > MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value as string);
  }

  recent(userId: string, limit: number): RecentEngagement[] {
    return this.snapshots.get(userId)?.recent.slice(0, limit) ?? [];
  }

  seenItems(userId: string): ReadonlySet<string> {
    return this.snapshots.get(userId)?.seen ?? EMPTY;
  }

  hiddenItems(userId: string): ReadonlySet<string> {
    return this.snapshots.get(userId)?.hiddenItems ?? EMPTY;
  }

  hiddenCreators(userId: string): ReadonlySet<string> {
    return this.snapshots.get(userId)?.hiddenCreators ?? EMPTY;
  }

  followedCreators(userId: string): ReadonlySet<string> {
    return this.snapshots.get(userId)?.followed ?? EMPTY;
  }

  positiveItems(userId: string, limit: number): string[] {
    return this.snapshots.get(userId)?.positive.slice(0, limit) ?? [];
  }

  itemCounters(itemId: string, into?: ItemCounters): ItemCounters | undefined {
    return this.items.itemCounters(itemId, into);
  }

  trending(limit: number): { item_id: string; score: number }[] {
    return this.items.trending(limit);
  }
}
