import { describe, expect, it } from 'vitest';
import type { OnlineConfig } from '../config/sections/online.ts';
import type { EngagementEvent } from './events.ts';
import type { OnlineState } from './online-state.ts';

/** Limits every implementation under test is built with, so the bounds can be checked. */
const CONTRACT_LIMITS: Partial<OnlineConfig> = {
  maxUsers: 50,
  maxItems: 100,
  recentPerUser: 5,
  seenPerUser: 8,
  hiddenPerUser: 4,
  positivePerUser: 3,
  dedupWindow: 1000,
  itemWindowMs: 600_000,
};

export interface ContractFactoryOptions {
  limits: Partial<OnlineConfig>;
  /** The implementation must read time from here. */
  now: () => number;
}

/** The behaviour every OnlineState implementation must show; run it with a factory per backend. */
export function onlineStateContract(name: string, create: (opts: ContractFactoryOptions) => OnlineState | Promise<OnlineState>): void {
  const T0 = Date.UTC(2030, 0, 1, 12, 0, 0); // aligned to every window used here
  let clock = T0;
  let seq = 0;
  const make = async () => {
    clock = T0;
    return create({ limits: CONTRACT_LIMITS, now: () => clock });
  };
  const ev = (e: Partial<EngagementEvent> & Pick<EngagementEvent, 'kind' | 'user_id'>): EngagementEvent => ({
    schema_version: 1,
    event_id: `e${++seq}`,
    ts: clock,
    ...e,
  });

  describe(`OnlineState contract: ${name}`, () => {
    it('keeps each user’s recent engagement, most recent first, bounded, and ordered by event time', async () => {
      const s = await make();
      const events = Array.from({ length: 7 }, (_, i) => ev({ kind: 'play', user_id: 'u1', item_id: `i${i}`, ts: T0 + i * 1000, watch_ms: 500, duration_ms: 1000 }));
      // Delivered out of order: the list still follows event time.
      s.apply([...events.slice(3), ...events.slice(0, 3)]);
      const recent = s.recent('u1', 10);
      expect(recent.map((r) => r.item_id)).toEqual(['i6', 'i5', 'i4', 'i3', 'i2'].slice(0, CONTRACT_LIMITS.recentPerUser));
      expect(recent[0]).toMatchObject({ kind: 'play', watch_ms: 500, duration_ms: 1000, ts: T0 + 6000 });
      expect(s.recent('u1', 2).map((r) => r.item_id)).toEqual(['i6', 'i5']);
      expect(s.recent('nobody', 5)).toEqual([]);
    });

    it('is idempotent by (user_id, event_id): the same event applied twice counts once, another user’s event with that id counts too', async () => {
      const s = await make();
      const play = ev({ kind: 'play', user_id: 'u1', item_id: 'a', watch_ms: 900, duration_ms: 1000 });
      s.apply([play]);
      s.apply([play, { ...play }]);
      expect(s.recent('u1', 10)).toHaveLength(1);
      expect(s.itemCounters('a')?.plays).toBe(1);
      expect(s.itemCounters('a')?.watchRatioSum).toBeCloseTo(0.9);
      s.apply([{ ...play, user_id: 'u2' }]);
      expect(s.recent('u2', 10)).toHaveLength(1);
      expect(s.itemCounters('a')?.plays).toBe(2);
    });

    it('forgets a person on request: sequence, seen, hidden and follows; others keep theirs', async () => {
      const s = await make();
      s.apply([
        ev({ kind: 'like', user_id: 'gone', item_id: 'a' }),
        ev({ kind: 'not_interested', user_id: 'gone', creator_id: 'c9' }),
        ev({ kind: 'follow', user_id: 'gone', creator_id: 'c1' }),
        ev({ kind: 'like', user_id: 'stays', item_id: 'a' }),
      ]);
      s.forgetUser('gone');
      expect(s.recent('gone', 10)).toEqual([]);
      expect(s.seenItems('gone').size).toBe(0);
      expect(s.hiddenCreators('gone').size).toBe(0);
      expect(s.followedCreators('gone').size).toBe(0);
      expect(s.positiveItems('gone', 10)).toEqual([]);
      expect(s.recent('stays', 10).map((r) => r.item_id)).toEqual(['a']);
    });

    it('tracks the seen set per user, bounded to the most recent items', async () => {
      const s = await make();
      s.apply([ev({ kind: 'impression', user_id: 'u1', item_id: 'x' })]);
      expect(s.seenItems('u1').has('x')).toBe(true);
      expect(s.seenItems('u2').has('x')).toBe(false);
      const cap = CONTRACT_LIMITS.seenPerUser!;
      s.apply(Array.from({ length: cap }, (_, i) => ev({ kind: 'impression', user_id: 'u1', item_id: `s${i}` })));
      expect(s.seenItems('u1').has('x')).toBe(false);
      expect(s.seenItems('u1').has(`s${cap - 1}`)).toBe(true);
    });

    it('hides items and creators marked not interested, and follows/unfollows creators', async () => {
      const s = await make();
      s.apply([
        ev({ kind: 'not_interested', user_id: 'u1', item_id: 'bad' }),
        ev({ kind: 'not_interested', user_id: 'u1', creator_id: 'spammy' }),
        ev({ kind: 'follow', user_id: 'u1', creator_id: 'c1' }),
        ev({ kind: 'follow', user_id: 'u1', creator_id: 'c2' }),
        ev({ kind: 'unfollow', user_id: 'u1', creator_id: 'c2' }),
      ]);
      expect([...s.hiddenItems('u1')]).toEqual(['bad']);
      expect([...s.hiddenCreators('u1')].sort()).toEqual(['c2', 'spammy']);
      expect([...s.followedCreators('u1')]).toEqual(['c1']);
      expect(s.hiddenItems('u2').size).toBe(0);
      s.apply([ev({ kind: 'follow', user_id: 'u1', creator_id: 'c2' })]);
      expect(s.hiddenCreators('u1').has('c2')).toBe(false);
    });

    it('counts item engagement over the short window and forgets it after two windows', async () => {
      const s = await make();
      expect(s.itemCounters('new')).toBeUndefined();
      s.apply([
        ev({ kind: 'impression', user_id: 'u1', item_id: 'new' }),
        ev({ kind: 'impression', user_id: 'u2', item_id: 'new' }),
        ev({ kind: 'play', user_id: 'u1', item_id: 'new', watch_ms: 2000, duration_ms: 1000 }),
        ev({ kind: 'play', user_id: 'u2', item_id: 'new', watch_ms: 250, duration_ms: 1000 }),
        ev({ kind: 'complete', user_id: 'u1', item_id: 'new' }),
        ev({ kind: 'like', user_id: 'u1', item_id: 'new' }),
        ev({ kind: 'skip', user_id: 'u3', item_id: 'new' }),
      ]);
      expect(s.itemCounters('new')).toEqual({
        impressions: 2,
        plays: 2,
        completions: 1,
        watchRatioSum: 1.25,
        likes: 1,
        shares: 0,
        skips: 1,
        purchases: 0,
        firstSeenTs: T0,
      });
      // Filling a caller's object gives the same counters, in that object.
      const into = { impressions: -1, plays: -1, completions: -1, watchRatioSum: -1, likes: -1, shares: -1, skips: -1, purchases: -1, firstSeenTs: -1 };
      expect(s.itemCounters('new', into)).toBe(into);
      expect(into).toEqual(s.itemCounters('new'));
      expect(s.itemCounters('unknown', into)).toBeUndefined();
      const w = CONTRACT_LIMITS.itemWindowMs!;
      clock = T0 + w + w / 2; // half way through the next window: the old one weighs a half
      expect(s.itemCounters('new')?.impressions).toBeCloseTo(1);
      clock = T0 + 2 * w;
      expect(s.itemCounters('new')?.impressions).toBe(0);
      expect(s.itemCounters('new')?.firstSeenTs).toBe(T0);
    });

    it('ranks trending items by weighted engagement over the sliding window', async () => {
      const s = await make();
      const w = CONTRACT_LIMITS.itemWindowMs!;
      s.apply([
        ev({ kind: 'share', user_id: 'u1', item_id: 'old', ts: T0 }),
        ev({ kind: 'share', user_id: 'u2', item_id: 'old', ts: T0 }),
        ev({ kind: 'like', user_id: 'u1', item_id: 'hot', ts: T0 + w }),
        ev({ kind: 'share', user_id: 'u1', item_id: 'hot', ts: T0 + w }),
        ev({ kind: 'play', user_id: 'u2', item_id: 'warm', ts: T0 + w, watch_ms: 1, duration_ms: 2 }),
        ev({ kind: 'impression', user_id: 'u2', item_id: 'shown-only', ts: T0 + w }),
      ]);
      // Two shares (10) a window ago, half of it still inside the sliding window: 5, below hot's 8.
      clock = T0 + w + w / 2;
      expect(s.trending(10)).toEqual([
        { item_id: 'hot', score: 8 },
        { item_id: 'old', score: 5 },
        { item_id: 'warm', score: 1 },
      ]);
      expect(s.trending(1)).toEqual([{ item_id: 'hot', score: 8 }]);
      clock = T0 + w + 0.95 * w;
      expect(s.trending(10).map((t) => t.item_id)).toEqual(['hot', 'warm', 'old']);
      // Both windows passed: nothing is trending any more.
      clock = T0 + 3 * w;
      expect(s.trending(10)).toEqual([]);
    });

    it('lists positively engaged items, most recent first, dropping unliked ones', async () => {
      const s = await make();
      s.apply([
        ev({ kind: 'like', user_id: 'u1', item_id: 'a' }),
        ev({ kind: 'impression', user_id: 'u1', item_id: 'b' }),
        ev({ kind: 'complete', user_id: 'u1', item_id: 'c' }),
        ev({ kind: 'share', user_id: 'u1', item_id: 'd' }),
        ev({ kind: 'unlike', user_id: 'u1', item_id: 'a' }),
      ]);
      expect(s.positiveItems('u1', 10)).toEqual(['d', 'c']);
      s.apply([ev({ kind: 'like', user_id: 'u1', item_id: 'c' }), ev({ kind: 'like', user_id: 'u1', item_id: 'e' }), ev({ kind: 'like', user_id: 'u1', item_id: 'f' })]);
      expect(s.positiveItems('u1', 10)).toEqual(['f', 'e', 'c']);
      expect(s.positiveItems('u1', 1)).toEqual(['f']);
    });

    it('keeps memory bounded: least recently active users are evicted beyond the cap', async () => {
      const s = await make();
      const cap = CONTRACT_LIMITS.maxUsers!;
      s.apply([ev({ kind: 'impression', user_id: 'first', item_id: 'i' })]);
      s.apply(Array.from({ length: cap }, (_, i) => ev({ kind: 'impression', user_id: `u${i}`, item_id: 'i' })));
      expect(s.seenItems('first').has('i')).toBe(false);
      expect(s.seenItems(`u${cap - 1}`).has('i')).toBe(true);
    });

    it('keeps item counters bounded: least recently active items are evicted and count again from zero', async () => {
      const s = await make();
      const cap = CONTRACT_LIMITS.maxItems!;
      s.apply([ev({ kind: 'like', user_id: 'u1', item_id: 'old' }), ev({ kind: 'like', user_id: 'u1', item_id: 'old' })]);
      s.apply(Array.from({ length: cap }, (_, i) => ev({ kind: 'like', user_id: 'u1', item_id: `i${i}` })));
      expect(s.itemCounters('old')).toBeUndefined();
      expect(s.itemCounters('i0')?.likes).toBe(1);
      expect(s.itemCounters(`i${cap - 1}`)?.likes).toBe(1);
      s.apply([ev({ kind: 'like', user_id: 'u1', item_id: 'old' })]);
      expect(s.itemCounters('old')?.likes).toBe(1);
      expect(s.itemCounters('i0')).toBeUndefined();
    });
  });
}
