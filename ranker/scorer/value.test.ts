import { describe, expect, it } from 'vitest';
import { combineObjectives } from '../../models/objectives.ts';
import { OBJECTIVES, type Objective } from '../../models/types.ts';
import { testConfig } from '../../test/stack.ts';
import { expectedValue } from './value.ts';
import { Rng } from '../../core/rng.ts';

describe('expectedValue', () => {
  it('is exactly the score combineObjectives gives the same predictions and price', () => {
    const weights = testConfig().models.weights;
    const rand = new Rng(7).next;
    for (let i = 0; i < 200; i++) {
      const p = Object.fromEntries(OBJECTIVES.map((o) => [o, rand()])) as Record<Objective, number>;
      const price = i % 3 === 0 ? 0 : rand() * 500;
      const batch = combineObjectives(Object.fromEntries(OBJECTIVES.map((o) => [o, [p[o]]])) as Record<Objective, number[]>, weights, [price]);
      expect(expectedValue(p, price, weights)).toBe(batch[0]);
    }
  });
});
