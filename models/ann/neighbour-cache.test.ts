import { describe, expect, it } from 'vitest';
import { NeighbourCache, type Neighbours } from './neighbour-cache.ts';

const entry = (k: number, at: number): Neighbours => ({ k, rows: Int32Array.from({ length: k }, (_, i) => i), scores: new Float32Array(k), at });

describe('NeighbourCache', () => {
  it('serves an entry searched for at least k, until it expires', () => {
    const cache = new NeighbourCache(10, 1000);
    cache.set('a', entry(17, 0));
    expect(cache.get('a', 17, 500)?.rows.length).toBe(17);
    expect(cache.get('a', 10, 500)?.k).toBe(17);
    expect(cache.get('a', 40, 500)).toBeUndefined();
    expect(cache.get('a', 17, 1001)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond capacity', () => {
    const cache = new NeighbourCache(2, 1000);
    cache.set('a', entry(5, 0));
    cache.set('b', entry(5, 0));
    cache.get('a', 5, 1);
    cache.set('c', entry(5, 0));
    expect(cache.get('b', 5, 1)).toBeUndefined();
    expect(cache.get('a', 5, 1)).toBeDefined();
    expect(cache.get('c', 5, 1)).toBeDefined();
  });

  it('keeps nothing with capacity 0', () => {
    const cache = new NeighbourCache(0, 1000);
    cache.set('a', entry(5, 0));
    expect(cache.get('a', 5, 1)).toBeUndefined();
  });
});
