import type { ObjectiveWeights } from '../../config/sections/models.ts';
import { type EntryTerms, watchTimeUnits } from '../../models/objectives.ts';
import { OBJECTIVES, type Objective } from '../../models/types.ts';
import type { Candidate } from '../types.ts';

/**
 * Expected value of one entry (models/objectives.ts `combineObjectives`: weighted objectives,
 * the watch-time term, and gmv weight × P(purchase) × price). Organic videos and shoppable slots
 * use the same formula, so they compete on one scale; a slot has no duration (one watch-time unit).
 */
export function expectedValue(p: Readonly<Record<Objective, number>>, price: number, w: ObjectiveWeights, durationMs?: number): number {
  // The same float32 steps as combineObjectives, without its arrays (called per live stream and product).
  let v = 0;
  for (const o of OBJECTIVES) if (w[o]) v = Math.fround(v + w[o] * p[o]);
  if (w.watchTime) v = Math.fround(v + w.watchTime * p.watch * watchTimeUnits(durationMs));
  if (w.gmv) v = Math.fround(v + w.gmv * p.purchase * Math.max(0, price));
  return v;
}

/** The per-candidate inputs of the value besides the predictions (price, length), from the hydrated signals. */
export function entryTerms(candidates: readonly Candidate[]): EntryTerms {
  const price = new Float32Array(candidates.length);
  const durationMs = new Float32Array(candidates.length);
  candidates.forEach((c, i) => {
    price[i] = c.signals!.price;
    durationMs[i] = c.signals!.duration_ms;
  });
  return { price, durationMs };
}
