import { OBJECTIVES } from '../../models/types.ts';
import type { Scorer } from '../types.ts';
import { combineObjectives } from '../../models/objectives.ts';

const SCORE_KEYS = OBJECTIVES.map((o) => `p_${o}`);

/** The promoted multi-task ranker: one batched predict for all candidates, combined with the config weights. */
export const modelScorer: Scorer = {
  name: 'ranker-model',
  kind: 'scorer',
  budgetMs: 30,
  failOpen: true,
  applies: (ctx) => ctx.snapshot !== undefined,
  score(ctx, candidates) {
    const model = ctx.snapshot!.ranker;
    const preds = model.predict(
      ctx.user,
      candidates.map((c) => c.signals!),
    );
    for (const o of OBJECTIVES) {
      if (preds[o]?.length !== candidates.length) {
        throw new Error(`model ${model.version} returned ${preds[o]?.length ?? 0} ${o} predictions for ${candidates.length} candidates`);
      }
    }
    candidates.forEach((c, i) => {
      OBJECTIVES.forEach((o, k) => (c.scores[SCORE_KEYS[k]!] = preds[o][i]!));
    });
    const prices = candidates.map((c) => c.signals!.price);
    return combineObjectives(preds, ctx.config.models.weights, prices);
  },
};
