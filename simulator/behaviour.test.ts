import { describe, expect, it } from 'vitest';
import { EngagementEventSchema, type EngagementEvent } from '../ingest/events.ts';
import { advance, drawVideo, expectedWatchMs, newSession, NO_SOCIAL, type ProductTruth, type UserTruth, type VideoTruth } from './behaviour.ts';
import type { FeedPolicy } from './policies/types.ts';
import { videoEntry } from './policies/in-process.ts';
import { Simulator } from './session.ts';
import { generateWorld } from './world/generate.ts';
import { Rng } from './world/rng.ts';

const unit = (...xs: number[]) => {
  const v = Float32Array.from(xs);
  const n = Math.hypot(...xs);
  return v.map((x) => x / n);
};
const user: UserTruth = { vec: unit(1, 0, 0, 0), patience: 1, buyPropensity: 1 };
const video = (vec: Float32Array, over: Partial<VideoTruth> = {}): VideoTruth => ({
  vec,
  quality: 0.5,
  durationMs: 15_000,
  localeMatch: true,
  creatorIsKol: false,
  ...over,
});
const matched = video(unit(0.9, 0.3, 0, 0));
const unmatched = video(unit(0, 0.2, 1, 0));
const product: ProductTruth = { appeal: 0, price: 99 };

/** Mean of `f` over n draws with a fixed seed. */
function mean(n: number, seed: string, f: (r: Rng) => number): number {
  const r = new Rng(11, seed);
  let s = 0;
  for (let i = 0; i < n; i++) s += f(r);
  return s / n;
}

describe('behaviour model', () => {
  const N = 20_000;

  it('watches a better-matched video longer, both in expectation and in draws', () => {
    expect(expectedWatchMs(user, matched)).toBeGreaterThan(2 * expectedWatchMs(user, unmatched));
    const good = mean(N, 'm', (r) => drawVideo(r, user, matched, null, NO_SOCIAL, 0, newSession()).watchMs);
    const bad = mean(N, 'u', (r) => drawVideo(r, user, unmatched, null, NO_SOCIAL, 0, newSession()).watchMs);
    expect(good).toBeGreaterThan(2 * bad);
    const skipGood = mean(N, 'm2', (r) => Number(drawVideo(r, user, matched, null, NO_SOCIAL, 0, newSession()).skipped));
    const skipBad = mean(N, 'u2', (r) => Number(drawVideo(r, user, unmatched, null, NO_SOCIAL, 0, newSession()).skipped));
    expect(skipBad).toBeGreaterThan(skipGood + 0.3);
  });

  it('watches higher quality longer and same-language longer', () => {
    const mid = video(unit(0.5, 0.5, 0.5, 0.5));
    expect(expectedWatchMs(user, { ...mid, quality: 0.8 })).toBeGreaterThan(expectedWatchMs(user, { ...mid, quality: 0.2 }));
    expect(expectedWatchMs(user, mid)).toBeGreaterThan(expectedWatchMs(user, { ...mid, localeMatch: false }));
  });

  it('likes what matches more often', () => {
    const good = mean(N, 'l1', (r) => Number(drawVideo(r, user, matched, null, NO_SOCIAL, 0, newSession()).liked));
    const bad = mean(N, 'l2', (r) => Number(drawVideo(r, user, unmatched, null, NO_SOCIAL, 0, newSession()).liked));
    expect(good).toBeGreaterThan(3 * bad);
  });

  it('buys more when friends engaged with the item or bought it, and when a followed KOL posted it', () => {
    const buys = (seed: string, social = NO_SOCIAL) => mean(60_000, seed, (r) => Number(drawVideo(r, user, matched, product, social, 0, newSession()).product?.purchase ?? false));
    const alone = buys('p0');
    const friends = buys('p1', { ...NO_SOCIAL, friendsEngaged: 3 });
    const friendsBought = buys('p2', { ...NO_SOCIAL, friendsEngaged: 3, friendsPurchased: 2 });
    const kol = buys('p3', { ...NO_SOCIAL, followedCreator: true, creatorIsKol: true });
    // Standard error of `alone` is about sqrt(p/60000); demand far more than that.
    expect(alone).toBeGreaterThan(0.001);
    expect(friends).toBeGreaterThan(1.8 * alone);
    expect(friendsBought).toBeGreaterThan(1.5 * friends);
    expect(kol).toBeGreaterThan(1.8 * alone);
  });

  it('values a repeat less (novelty decay)', () => {
    const mid = video(unit(0.5, 0.5, 0.5, 0.5));
    const first = mean(N, 'n0', (r) => drawVideo(r, user, mid, null, NO_SOCIAL, 0, newSession()).watchMs);
    const third = mean(N, 'n2', (r) => drawVideo(r, user, mid, null, NO_SOCIAL, 2, newSession()).watchMs);
    expect(third).toBeLessThan(0.8 * first);
    expect(expectedWatchMs(user, matched, 3)).toBeLessThan(expectedWatchMs(user, matched, 1));
  });

  it('ends sessions by fatigue: sooner on bad content and for impatient people', () => {
    const length = (seed: string, v: VideoTruth, patience: number) =>
      mean(3000, seed, (r) => {
        const s = newSession();
        const u = { ...user, patience };
        while (!s.ended && s.entries < 1000) {
          const reaction = drawVideo(r, u, v, null, NO_SOCIAL, 0, s);
          advance(r, s, u, reaction.watchMs, reaction.watchMs / v.durationMs);
        }
        return s.entries;
      });
    const good = length('f1', matched, 1);
    const bad = length('f2', unmatched, 1);
    const impatient = length('f3', matched, 0.5);
    expect(good).toBeLessThan(200);
    expect(good).toBeGreaterThan(1.3 * bad);
    expect(good).toBeGreaterThan(1.3 * impatient);
  });
});

describe('session events', () => {
  const world = generateWorld({ seed: 4, items: 400, users: 50, nowSec: Math.floor(Date.now() / 1000) });

  it('emits valid, uniquely identified events that carry request_id and position', async () => {
    let page = 0;
    const cursors: (string | undefined)[] = [];
    const policy: FeedPolicy = {
      name: 'stub',
      async page(_userId, count, cursor) {
        cursors.push(cursor);
        page++;
        return {
          request_id: `req-${page}`,
          cursor: `cur-${page}`,
          entries: Array.from({ length: count }, (_, k) => videoEntry(world, (page * count + k) % 400, k, 'stub', 0)),
        };
      },
    };
    const sim = new Simulator(world, { seed: 1, runTag: 'evt', wallClock: true });
    const events: EngagementEvent[] = [];
    for (let u = 0; u < 20; u++) {
      await sim.session(u, policy, Date.now(), undefined, (batch) => {
        events.push(...batch);
      });
    }
    expect(events.length).toBeGreaterThan(200);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    for (const e of events) {
      const parsed = EngagementEventSchema.safeParse(e);
      expect(parsed.success, JSON.stringify(e)).toBe(true);
      expect(e.request_id).toMatch(/^req-\d+$/);
      expect(e.position).toBeGreaterThanOrEqual(0);
    }
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of ['impression', 'play', 'skip', 'like']) expect(kinds, k).toContain(k);
    // Within a session the next page asks with the previous page's cursor.
    expect(cursors.filter((c) => c !== undefined).every((c) => /^cur-\d+$/.test(c!))).toBe(true);
    expect(cursors).toContain(undefined);
  });
});
