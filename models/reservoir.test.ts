import { describe, expect, it } from 'vitest';
import { Reservoir } from './reservoir.ts';

describe('reservoir sample', () => {
  it('keeps every item, in order, while under capacity', () => {
    const r = new Reservoir<number>(10, 1);
    for (let i = 0; i < 7; i++) r.offer(i);
    expect(r.items).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.seen).toBe(7);
  });

  it('keeps a uniform sample of a longer stream, the same for the same seed', () => {
    const counts = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      const r = new Reservoir<number>(5, seed);
      for (let i = 0; i < 10; i++) r.offer(i);
      expect(r.items).toHaveLength(5);
      for (const x of r.items) counts[x]!++;
    }
    // Each item is kept with probability 1/2: 1000 of 2000 expected, sd ~22.
    for (const c of counts) expect(c).toBeGreaterThan(880);
    for (const c of counts) expect(c).toBeLessThan(1120);
    const again = (seed: number) => {
      const r = new Reservoir<number>(5, seed);
      for (let i = 0; i < 100; i++) r.offer(i);
      return r.items;
    };
    expect(again(3)).toEqual(again(3));
    expect(again(3)).not.toEqual(again(4));
  });
});
