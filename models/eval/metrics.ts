import { TopK } from '../../core/top-k.ts';

export const METRICS = ['recall', 'mrr', 'ndcg', 'hit', 'precision'] as const;

/** `metric@k` -> value. */
export type MetricTable = Record<string, number>;

/**
 * RecBole's full-ranking metrics for one user: `ranked` is the top of the ranking (at least
 * max(ks) long when the catalogue allows), `relevant` the held-out items.
 */
export function userMetrics(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, ks: readonly number[]): MetricTable {
  const out: MetricTable = {};
  const maxK = Math.max(...ks);
  const hits: boolean[] = [];
  for (let r = 0; r < Math.min(maxK, ranked.length); r++) hits.push(relevant.has(ranked[r]!));
  for (const k of ks) {
    let nHits = 0;
    let dcg = 0;
    let firstHit = 0;
    for (let r = 0; r < Math.min(k, hits.length); r++) {
      if (!hits[r]) continue;
      nHits++;
      dcg += 1 / Math.log2(r + 2);
      if (!firstHit) firstHit = r + 1;
    }
    let idcg = 0;
    for (let r = 0; r < Math.min(k, relevant.size); r++) idcg += 1 / Math.log2(r + 2);
    out[`recall@${k}`] = relevant.size ? nHits / relevant.size : 0;
    out[`mrr@${k}`] = firstHit ? 1 / firstHit : 0;
    out[`ndcg@${k}`] = idcg ? dcg / idcg : 0;
    out[`hit@${k}`] = nHits > 0 ? 1 : 0;
    out[`precision@${k}`] = nHits / k;
  }
  return out;
}

/** Averages per-user tables. */
export function meanMetrics(tables: readonly MetricTable[]): MetricTable {
  const out: MetricTable = {};
  for (const t of tables) for (const [k, v] of Object.entries(t)) out[k] = (out[k] ?? 0) + v;
  for (const k of Object.keys(out)) out[k] = out[k]! / (tables.length || 1);
  return out;
}

/** Indices of the `k` largest scores, best first (ties: the smaller index); -Infinity marks an excluded index. */
export function topK(scores: ArrayLike<number>, k: number): Int32Array {
  const top = new TopK(k);
  // Ids go up, so a score not above the floor cannot enter (excluded items never can): this
  // skips the heap for nearly every item of a full ranking.
  let floor = top.floor;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s <= floor) continue;
    top.offer(i, s);
    floor = top.floor;
  }
  return top.sorted().ids;
}
