import type { ObjectiveWeights } from '../../models/config.ts';
import { combineObjectives } from '../../models/objectives.ts';
import type { Objective } from '../../models/types.ts';

/**
 * Expected value of one entry (models/objectives.ts `combineObjectives`: weighted objectives
 * plus gmv weight × P(purchase) × price). Organic videos and shoppable slots use the same
 * formula, so they compete on one scale.
 */
export function expectedValue(p: Readonly<Record<Objective, number>>, price: number, w: ObjectiveWeights): number {
  const one = (o: Objective) => [p[o]];
  const preds = { complete: one('complete'), watch: one('watch'), like: one('like'), share: one('share'), purchase: one('purchase') };
  return combineObjectives(preds, w, [price])[0]!;
}
