import { combineObjectives } from '../../models/objectives.ts';
import { entryTerms } from './value.ts';
import { OBJECTIVES, type CandidateSignals, type Objective } from '../../models/types.ts';
import { noteScore, type Scorer } from '../types.ts';

/** Priors and their strength (in plays) for the smoothed rates. */
const PRIOR = { complete: 0.3, watch: 0.45, like: 0.04, share: 0.01, follow: 0.005, purchase: 0.01 };
const PRIOR_PLAYS = 20;

const smooth = (rate: number, prior: number, n: number) => (rate * n + prior * PRIOR_PLAYS) / (n + PRIOR_PLAYS);

/** Smoothed objective estimates for one candidate from its observed rates and personal signals. */
function heuristicPredictions(s: CandidateSignals): Record<Objective, number> {
  const n = s.impressions;
  const affinity =
    1 +
    (s.followed_creator ? 0.5 : 0) +
    0.2 * Math.min(3, s.friends_engaged) +
    0.3 * Math.min(3, s.friends_purchased) +
    0.5 * Math.max(0, s.retrieval_score) +
    (s.locale_match ? 0.3 : 0) +
    1 * s.affinity_category_session +
    0.5 * s.affinity_category_long +
    0.5 * s.affinity_creator_long +
    (s.age_hours < 24 ? 0.1 : 0);
  const cap = (v: number) => Math.min(1, v * affinity);
  return {
    complete: cap(smooth(s.completion_rate, PRIOR.complete, n)),
    watch: cap(smooth(s.avg_watch_ratio, PRIOR.watch, n)),
    like: cap(smooth(s.like_rate, PRIOR.like, n)),
    share: cap(smooth(s.share_rate, PRIOR.share, n)),
    // No per-item follow rate is kept: the prior, lifted by the user's affinity.
    follow: cap(PRIOR.follow),
    purchase: s.has_product ? cap(smooth(s.purchase_rate, PRIOR.purchase, n)) : 0,
  };
}

/**
 * The fallback when no model is promoted (or the model fails): smoothed observed rates times
 * a personal affinity, combined with the same weights as the model's objectives.
 */
export const heuristicScorer: Scorer = {
  name: 'heuristic',
  kind: 'scorer',
  budgetMs: 10,
  failOpen: false,
  score(ctx, candidates) {
    const n = candidates.length;
    const preds = Object.fromEntries(OBJECTIVES.map((o) => [o, new Float32Array(n)])) as Record<Objective, Float32Array>;
    candidates.forEach((c, i) => {
      const p = heuristicPredictions(c.signals!);
      for (const o of OBJECTIVES) {
        preds[o][i] = p[o];
        noteScore(ctx, c, `h_${o}`, p[o]);
      }
      c.purchase = p.purchase;
    });
    return combineObjectives(preds, ctx.config.models.weights, entryTerms(candidates));
  },
};
