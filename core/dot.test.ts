import { describe, expect, it } from 'vitest';
import { dotAt } from './dot.ts';

describe('dotAt', () => {
  it('equals the plain sum of products for any length and offset', () => {
    for (const dim of [1, 3, 4, 7, 64]) {
      const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(i + 1));
      const block = Float32Array.from({ length: dim * 3 + 5 }, (_, i) => Math.cos(i));
      for (const at of [0, 5, dim * 2 + 5]) {
        let want = 0;
        for (let d = 0; d < dim; d++) want += block[at + d]! * v[d]!;
        expect(dotAt(block, at, v)).toBeCloseTo(want, 10);
      }
    }
  });
});
