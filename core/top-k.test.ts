import { describe, expect, it } from 'vitest';
import { TopK } from './top-k.ts';
import { Rng } from './rng.ts';

describe('TopK', () => {
  it('keeps the k largest keys, largest first', () => {
    const top = new TopK(3);
    [5, 1, 9, 7, 3, 8].forEach((key, id) => top.offer(id, key));
    expect([...top.sorted().ids]).toEqual([2, 5, 3]);
    expect([...top.sorted().keys]).toEqual([9, 8, 7]);
  });

  it('ranks equal keys by the smaller id, whatever the order of the offers', () => {
    const keys = [2, 5, 5, 1, 5, 5, 3];
    const forward = new TopK(3);
    const backward = new TopK(3);
    keys.forEach((key, id) => forward.offer(id, key));
    [...keys.entries()].reverse().forEach(([id, key]) => backward.offer(id, key));
    expect([...forward.sorted().ids]).toEqual([1, 2, 4]);
    expect([...backward.sorted().ids]).toEqual([1, 2, 4]);
  });

  it('agrees with a full sort on random keys', () => {
    const rng = new Rng(7);
    const rnd = () => rng.int(50);
    const keys = Array.from({ length: 500 }, rnd);
    const top = new TopK(20);
    keys.forEach((key, id) => top.offer(id, key));
    const expected = keys
      .map((key, id) => ({ key, id }))
      .sort((a, b) => b.key - a.key || a.id - b.id)
      .slice(0, 20)
      .map((e) => e.id);
    expect([...top.sorted().ids]).toEqual(expected);
    const none = new TopK(0);
    none.offer(1, 5);
    expect(none.sorted().ids).toHaveLength(0);
    expect(none.floor).toBe(Infinity);
  });

  it('reports as floor the lowest kept key once k are kept', () => {
    const top = new TopK(2);
    expect(top.floor).toBe(-Infinity);
    top.offer(0, 4);
    expect(top.floor).toBe(-Infinity);
    top.offer(1, 6);
    expect(top.floor).toBe(4);
    top.offer(2, 5);
    expect(top.floor).toBe(5);
  });
});
