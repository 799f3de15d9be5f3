import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { Rng } from '../core/rng.ts';
import type { UserContext } from './types.ts';
import { affinityOf, attentionKeys, attentionSims, poolAttention, ATTENTION_LIMIT, engagedItems, SESSION_MS, sessionLift, targetAttention, topAttended, userAffinity } from './user-relation.ts';

const NOW = 10 * 24 * 3600_000;
const SIDE: Record<string, { category: string; creator: string }> = {
  pet1: { category: 'pets', creator: 'c1' },
  pet2: { category: 'pets', creator: 'c2' },
  food1: { category: 'food', creator: 'c3' },
  food2: { category: 'food', creator: 'c3' },
};
const side = (id: string) => SIDE[id];

function unit(rng: Rng, dim: number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => rng.next() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('user–item relation', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('splits category and creator affinity into the session window and the long window', () => {
    // Most recent first: a pets binge now, food a day ago; impressions carry no weight.
    const recent: UserContext['recent'] = [
      { item_id: 'pet2', kind: 'complete', ts: NOW - 60_000 },
      { item_id: 'pet1', kind: 'like', ts: NOW - 120_000 },
      { item_id: 'food1', kind: 'impression', ts: NOW - 130_000 },
      { item_id: 'food1', kind: 'like', ts: NOW - SESSION_MS - 24 * 3600_000 },
      { item_id: 'food2', kind: 'complete', ts: NOW - SESSION_MS - 24 * 3600_000 },
    ];
    const u = userAffinity(recent, side, NOW);
    const pets = affinityOf(u, { category: 'pets', creator: 'c1' });
    const food = affinityOf(u, { category: 'food', creator: 'c3' });
    expect(pets.category_session).toBe(1);
    expect(pets.category_long).toBeCloseTo(3.5 / 7);
    expect(pets.creator_long).toBeCloseTo(2 / 7);
    expect(food.category_session).toBe(0);
    expect(food.category_long).toBeCloseTo(3.5 / 7);
    expect(food.creator_long).toBeCloseTo(3.5 / 7);
    expect(affinityOf(userAffinity([], side, NOW), { category: 'pets', creator: 'c1' })).toEqual({ category_session: 0, category_long: 0, creator_session: 0, creator_long: 0 });
  });

  it('lifts a session category by how far the session departs from the profile before it', () => {
    const day = (ago: number) => NOW - SESSION_MS - ago * 3600_000;
    const pets = (ts: (k: number) => number): UserContext['recent'] => [0, 1, 2].map((k) => ({ item_id: k % 2 ? 'pet1' : 'pet2', kind: 'complete', ts: ts(k) }));
    // A new user: the session is all the evidence, all pets.
    expect(
      sessionLift(
        userAffinity(
          pets((k) => NOW - k * 60_000),
          side,
          NOW,
        ),
        'pets',
      ),
    ).toBe(1);
    // A pets regular watching pets again: nothing new for the ranker's long window to miss.
    const regular = [...pets((k) => NOW - k * 60_000), ...pets((k) => day(k + 1))];
    expect(sessionLift(userAffinity(regular, side, NOW), 'pets')).toBe(0);
    // A food regular turning to pets: the session's pets share is all news.
    const switcher: UserContext['recent'] = [...pets((k) => NOW - k * 60_000), { item_id: 'food1', kind: 'complete', ts: day(1) }, { item_id: 'food2', kind: 'like', ts: day(2) }];
    expect(sessionLift(userAffinity(switcher, side, NOW), 'pets')).toBe(1);
    // Half food, half pets before; pets only now: all the room the profile left, and none for food.
    const mixed: UserContext['recent'] = [...pets((k) => NOW - k * 60_000), { item_id: 'food1', kind: 'complete', ts: day(1) }, { item_id: 'pet1', kind: 'complete', ts: day(2) }];
    expect(sessionLift(userAffinity(mixed, side, NOW), 'pets')).toBeCloseTo(1);
    expect(sessionLift(userAffinity(mixed, side, NOW), 'food')).toBe(0);
  });

  it('keeps at most ATTENTION_LIMIT distinct engaged items, most recent first, weights summed', () => {
    const recent: UserContext['recent'] = Array.from({ length: ATTENTION_LIMIT + 20 }, (_, i) => ({ item_id: `i${i}`, kind: 'like', ts: NOW - i }));
    recent.unshift({ item_id: 'i0', kind: 'complete', ts: NOW }, { item_id: 'i1', kind: 'skip', ts: NOW });
    const engaged = engagedItems(recent);
    expect(engaged).toHaveLength(ATTENTION_LIMIT);
    expect(engaged[0]).toEqual({ item_id: 'i0', weight: 3.5 });
    expect(engaged[1]).toEqual({ item_id: 'i1', weight: 2 });
    expect(engaged.at(-1)!.item_id).toBe(`i${ATTENTION_LIMIT - 1}`);
  });

  it('target attention picks the history item related to the candidate', () => {
    const rng = new Rng(3);
    const dim = 32;
    const vectors = new Map<string, Float32Array>(Array.from({ length: 20 }, (_, i) => [`h${i}`, unit(rng, dim)]));
    const keys = attentionKeys(
      [...vectors.keys()].map((item_id) => ({ item_id, weight: 1 })),
      (id) => vectors.get(id),
    );
    // A candidate close to h13 (and unrelated noise): attention lands on h13 and pools near its cosine.
    const noise = unit(rng, dim);
    const h13 = vectors.get('h13')!;
    const mixed = h13.map((x, k) => 4 * x + noise[k]!);
    const candidate = mixed.map((x) => x / Math.hypot(...mixed));
    const a = targetAttention(keys, candidate);
    expect(keys.items[a.top]).toBe('h13');
    expect(a.max).toBeGreaterThan(0.9);
    expect(a.score).toBeGreaterThan(0.8);
    expect(topAttended(keys, { block: candidate, at: 0 }, 3)[0]!.item_id).toBe('h13');
    // The batched cosines (one matMul, as serving computes them) pool to the same attention.
    const sims = attentionSims(keys, candidate, 1, dim);
    expect(poolAttention(keys, sims, 0).score).toBeCloseTo(a.score, 5);
    // An unrelated candidate gets a low pooled score: the feature separates the two.
    expect(targetAttention(keys, unit(rng, dim)).score).toBeLessThan(a.score - 0.3);
    expect(targetAttention(keys, undefined)).toEqual({ score: 0, max: 0, top: -1 });
  });
});
