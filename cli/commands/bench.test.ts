import { describe, expect, it } from 'vitest';
import { itemSizes } from './bench.ts';

describe('feed bench --items', () => {
  it('reads sizes with k and m suffixes and rejects anything else', () => {
    expect(itemSizes('100k,1m, 2500,1.5M')).toEqual([100_000, 1_000_000, 2_500, 1_500_000]);
    expect(() => itemSizes('100x')).toThrow(/--items expects sizes like 100k,1m,250000; got "100x"/);
  });
});
