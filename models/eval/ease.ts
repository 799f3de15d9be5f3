import type { Recommender } from './evaluate.ts';

/** Above this many items the dense items x items inverse costs too much time and memory here. */
const MAX_ITEMS = 4000;

/** Regularisations tried; the fit keeps the one with the best validation NDCG. */
const LAMBDAS = [50, 200, 500, 1000];

/**
 * EASE (Steck 2019): item-item weights B = I - P / diag(P) with P = (X'X + lambda I)^-1 and a
 * zero diagonal, scored as the sum of B's rows over the user's history. A closed form, no
 * epochs; only for catalogues up to MAX_ITEMS items.
 */
export function ease(): Recommender {
  let n = 0;
  let weights: Float64Array = new Float64Array(0);
  let itemOf: Int32Array = new Int32Array(0);
  let info: Record<string, unknown> = {};
  const score: Recommender['score'] = (users, history, out) => {
    users.forEach((u, r) => {
      const row = out[r]!;
      row.fill(0);
      for (const i of new Set(history[u]!.map((x) => itemOf[x]!))) {
        const base = i * n;
        for (let j = 0; j < n; j++) row[j]! += weights[base + j]!;
      }
    });
  };
  return {
    name: 'ease',
    fit(ctx) {
      n = ctx.data.items.length;
      if (n > MAX_ITEMS) throw new Error(`ease: ${n} items is too many for a dense item-item inverse (at most ${MAX_ITEMS}); leave it out with --models`);
      itemOf = ctx.data.item;
      const gram = new Float64Array(n * n);
      for (const rows of ctx.split.train) {
        const items = [...new Set(rows.map((x) => itemOf[x]!))];
        for (const i of items) for (const j of items) gram[i * n + j]! += 1;
      }
      let best: { lambda: number; ndcg: number; weights: Float64Array } = { lambda: 0, ndcg: -1, weights };
      const tried: Record<string, number> = {};
      for (const lambda of LAMBDAS) {
        weights = easeWeights(gram, n, lambda);
        const ndcg = ctx.validate(score)[`ndcg@${ctx.ks[0]}`] ?? 0;
        tried[lambda] = Number(ndcg.toFixed(4));
        if (ndcg > best.ndcg) best = { lambda, ndcg, weights };
      }
      weights = best.weights;
      info = { lambda: best.lambda, validNdcgByLambda: tried };
    },
    score,
    info: () => info,
  };
}

/** B = I - P / diag(P) (column-wise), zero diagonal, for P = (G + lambda I)^-1. */
export function easeWeights(gram: Float64Array, n: number, lambda: number): Float64Array {
  const p = Float64Array.from(gram);
  for (let i = 0; i < n; i++) p[i * n + i]! += lambda;
  invertSpd(p, n);
  const diag = Float64Array.from({ length: n }, (_, j) => p[j * n + j]!);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = i === j ? 0 : -p[i * n + j]! / diag[j]!;
  return p;
}

/** In-place inverse of a symmetric positive definite matrix (Gauss-Jordan; no pivoting needed). */
export function invertSpd(a: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    const pivot = a[k * n + k]!;
    const inv = 1 / pivot;
    const rowK = k * n;
    for (let j = 0; j < n; j++) a[rowK + j]! *= inv;
    a[rowK + k] = inv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const rowI = i * n;
      const f = a[rowI + k]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) a[rowI + j]! -= f * a[rowK + j]!;
      a[rowI + k] = -f * inv;
    }
  }
}
