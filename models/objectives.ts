import type { ObjectiveWeights } from '../config/sections/models.ts';
import { OBJECTIVES, type Objective } from './types.ts';

/**
 * The final ranking score: the weighted sum of the objectives' predictions, plus the GMV term
 * (P(purchase) x price x gmv weight) so shoppable items compete with organic ones on value.
 */
export function combineObjectives(preds: Record<Objective, ArrayLike<number>>, weights: ObjectiveWeights, price?: ArrayLike<number>): Float32Array {
  const n = preds.complete.length;
  const out = new Float32Array(n);
  for (const o of OBJECTIVES) {
    const w = weights[o];
    if (!w) continue;
    const p = preds[o];
    for (let i = 0; i < n; i++) out[i]! += w * p[i]!;
  }
  if (price && weights.gmv) {
    for (let i = 0; i < n; i++) out[i]! += weights.gmv * preds.purchase[i]! * Math.max(0, price[i] ?? 0);
  }
  return out;
}
