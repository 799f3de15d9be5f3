import type { ItemCounts } from '../ingest/online-state.ts';
import type { CandidateSignals, UserContext } from './types.ts';
import { engagementWeight } from './retrieval/weights.ts';

/**
 * The ranker's features: one definition used by training (models/training-data.ts) and
 * serving (MultitaskModel.predict), so the two cannot drift. Missing signals are zeros.
 */
export const FEATURES = [
  'log_duration_s',
  'log_age_hours',
  'has_product',
  'log_price',
  'is_kol',
  'log_creator_followers',
  'retrieval_score',
  'log_impressions',
  'completion_rate',
  'avg_watch_ratio',
  'like_rate',
  'share_rate',
  'purchase_rate',
  'log_friends_engaged',
  'log_friends_purchased',
  'followed_creator',
  'locale_match',
  'log_user_history',
  'user_avg_watch_ratio',
  'user_purchase_share',
  'user_like_share',
  'x_product_user_buys',
  'x_retrieval_history',
  'x_followed_kol',
  'affinity_category_session',
  'affinity_category_long',
  'affinity_creator_session',
  'affinity_creator_long',
  'attention_score',
  'attention_max',
] as const;

export const FEATURE_SPEC = { version: 3, features: FEATURES };

export type ItemRates = Pick<CandidateSignals, 'completion_rate' | 'avg_watch_ratio' | 'like_rate' | 'share_rate' | 'purchase_rate'>;

/**
 * Pseudo-impressions (and plays) every rate is shrunk by, towards 0. A video completed 10 times
 * in 10 impressions is not yet a sure hit, and unshrunk its rates sit far outside what the
 * ranker trained on (it scored such videos near 0). New videos keep rates of 0, as before;
 * `log_impressions` tells them from bad ones.
 */
export const RATE_PSEUDO_COUNT = 10;

/** The rate features of one item, per impression (watch ratio per play), shrunk: the one definition for training and serving. */
export function itemRates(c: ItemCounts, out: ItemRates): ItemRates {
  const perImpression = 1 / (Math.max(0, c.impressions) + RATE_PSEUDO_COUNT);
  out.completion_rate = Math.min(1, c.completions * perImpression);
  out.avg_watch_ratio = c.watchRatioSum / (Math.max(0, c.plays) + RATE_PSEUDO_COUNT);
  out.like_rate = Math.min(1, c.likes * perImpression);
  out.share_rate = Math.min(1, c.shares * perImpression);
  out.purchase_rate = Math.min(1, c.purchases * perImpression);
  return out;
}

const log1p = (x: number) => Math.log1p(Math.max(0, x || 0));
const num = (x: number) => (Number.isFinite(x) ? x : 0);

/** Summary of the user's recent engagement, shared by all candidates of one request. */
function userSummary(user: UserContext): { n: number; watch: number; buys: number; likes: number } {
  let watchSum = 0;
  let plays = 0;
  let buys = 0;
  let likes = 0;
  for (const e of user.recent) {
    if (e.kind === 'play' && e.duration_ms) {
      watchSum += Math.min(2, (e.watch_ms ?? 0) / e.duration_ms);
      plays++;
    }
    if (e.kind === 'purchase' || e.kind === 'add_to_cart') buys++;
    if (e.kind === 'like' || e.kind === 'share') likes++;
  }
  const n = user.recent.filter((e) => engagementWeight(e.kind, e.watch_ms, e.duration_ms) > 0).length;
  const total = user.recent.length || 1;
  return { n, watch: plays ? watchSum / plays : 0, buys: buys / total, likes: likes / total };
}

/** Row-major feature matrix, candidates x FEATURES.length. */
export function featureMatrix(user: UserContext, candidates: readonly CandidateSignals[]): Float32Array {
  const width = FEATURES.length;
  const out = new Float32Array(candidates.length * width);
  const u = userSummary(user);
  const userHistory = log1p(u.n) / 5;
  candidates.forEach((c, i) => {
    // In FEATURES order, written straight into the matrix.
    let k = i * width;
    const product = c.has_product ? 1 : 0;
    const retrieval = num(c.retrieval_score);
    out[k++] = log1p(c.duration_ms / 1000);
    out[k++] = log1p(c.age_hours);
    out[k++] = product;
    out[k++] = c.has_product ? log1p(c.price) : 0;
    out[k++] = c.is_kol ? 1 : 0;
    out[k++] = log1p(c.creator_followers) / 10;
    out[k++] = retrieval;
    out[k++] = log1p(c.impressions) / 10;
    out[k++] = num(c.completion_rate);
    out[k++] = Math.min(2, num(c.avg_watch_ratio));
    out[k++] = num(c.like_rate);
    out[k++] = num(c.share_rate);
    out[k++] = num(c.purchase_rate);
    out[k++] = log1p(c.friends_engaged);
    out[k++] = log1p(c.friends_purchased);
    out[k++] = c.followed_creator ? 1 : 0;
    out[k++] = c.locale_match ? 1 : 0;
    out[k++] = userHistory;
    out[k++] = u.watch;
    out[k++] = u.buys;
    out[k++] = u.likes;
    out[k++] = product * u.buys;
    out[k++] = retrieval * userHistory;
    out[k++] = (c.followed_creator ? 1 : 0) * (c.is_kol ? 1 : 0);
    out[k++] = num(c.affinity_category_session);
    out[k++] = num(c.affinity_category_long);
    out[k++] = num(c.affinity_creator_session);
    out[k++] = num(c.affinity_creator_long);
    out[k++] = num(c.attention_score);
    out[k++] = num(c.attention_max);
  });
  return out;
}
