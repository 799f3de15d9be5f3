import { describe, expect, it } from 'vitest';
import { combineObjectives } from '../../models/objectives.ts';
import { OBJECTIVES, type Objective } from '../../models/types.ts';
import { testConfig } from '../../test/stack.ts';
import { expectedValue } from './value.ts';
import { Rng } from '../../core/rng.ts';

describe('expectedValue', () => {
  it('is exactly the score combineObjectives gives the same predictions, price and duration', () => {
    const weights = { ...testConfig().models.weights, watchTime: 1.5 };
    const rand = new Rng(7).next;
    for (let i = 0; i < 200; i++) {
      const p = Object.fromEntries(OBJECTIVES.map((o) => [o, rand()])) as Record<Objective, number>;
      const price = i % 3 === 0 ? 0 : rand() * 500;
      const durationMs = i % 4 === 0 ? undefined : rand() * 120_000;
      const batch = combineObjectives(Object.fromEntries(OBJECTIVES.map((o) => [o, [p[o]]])) as Record<Objective, number[]>, weights, {
        price: [price],
        ...(durationMs === undefined ? {} : { durationMs: [durationMs] }),
      });
      expect(expectedValue(p, price, weights, durationMs)).toBe(batch[0]);
    }
  });
});
