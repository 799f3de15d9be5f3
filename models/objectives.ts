import type { ObjectiveWeights } from '../config/sections/models.ts';
import { OBJECTIVES, type Objective } from './types.ts';

/** A video of this length counts one unit of watch time (the median length of a short video). */
const WATCH_TIME_UNIT_S = 15;

/**
 * Watch time an entry is worth per unit of predicted watch ratio: log2(1 + duration / 15 s), so
 * 1 for a 15-second video, 2.3 at 1 minute, 3.2 at 2 minutes. Expected seconds watched (ratio x
 * duration) is what a session is made of, but linear in duration it would let a long video win on
 * length alone; the log keeps the predicted ratio in charge. Entries without a duration (product
 * and live slots) count as one unit.
 */
export function watchTimeUnits(durationMs: number | undefined): number {
  return durationMs === undefined ? 1 : Math.log2(1 + Math.max(0, durationMs) / 1000 / WATCH_TIME_UNIT_S);
}

/** Per-entry inputs of the value beyond the predictions: the product's price and the video's length. */
export interface EntryTerms {
  price?: ArrayLike<number>;
  durationMs?: ArrayLike<number>;
}

/**
 * The final ranking score: the weighted sum of the objectives' predictions, plus the watch-time
 * term (watchTime weight x P(watch) x watchTimeUnits) and the GMV term (P(purchase) x price x gmv
 * weight) so shoppable items compete with organic ones on value.
 */
export function combineObjectives(preds: Record<Objective, ArrayLike<number>>, weights: ObjectiveWeights, terms: EntryTerms = {}): Float32Array {
  const n = preds.complete.length;
  const out = new Float32Array(n);
  for (const o of OBJECTIVES) {
    const w = weights[o];
    if (!w) continue;
    const p = preds[o];
    for (let i = 0; i < n; i++) out[i]! += w * p[i]!;
  }
  const { price, durationMs } = terms;
  if (weights.watchTime) {
    for (let i = 0; i < n; i++) out[i]! += weights.watchTime * preds.watch[i]! * watchTimeUnits(durationMs?.[i]);
  }
  if (price && weights.gmv) {
    for (let i = 0; i < n; i++) out[i]! += weights.gmv * preds.purchase[i]! * Math.max(0, price[i] ?? 0);
  }
  return out;
}
