import { OBJECTIVES } from '../../models/types.ts';
import { noteScore, type Scorer } from '../types.ts';
import { combineObjectives } from '../../models/objectives.ts';
import { entryTerms } from './value.ts';

const SCORE_KEYS = OBJECTIVES.map((o) => `p_${o}`);

/** The promoted multi-task ranker: one batched predict for all candidates, combined with the config weights. */
export const modelScorer: Scorer = {
  name: 'ranker-model',
  kind: 'scorer',
  budgetMs: 30,
  failOpen: true,
  applies: (ctx) => ctx.snapshot !== undefined,
  score(ctx, candidates) {
    const model = ctx.snapshot!.multitask;
    const preds = model.predict(
      ctx.user,
      candidates.map((c) => c.signals!),
    );
    for (const o of OBJECTIVES) {
      if (preds[o]?.length !== candidates.length) {
        throw new Error(`model ${model.version} returned ${preds[o]?.length ?? 0} ${o} predictions for ${candidates.length} candidates`);
      }
    }
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      c.purchase = preds.purchase[i]!;
      if (ctx.request.explain) OBJECTIVES.forEach((o, k) => noteScore(ctx, c, SCORE_KEYS[k]!, preds[o][i]!));
    }
    return combineObjectives(preds, ctx.config.models.weights, entryTerms(candidates));
  },
};
