import type { CandidateSource } from '../types.ts';

const SEED_KINDS = new Set(['complete', 'like', 'share', 'purchase', 'play']);
const MAX_SEEDS = 5;

/** Neighbours of the last items the user watched well, in one batched FAISS search. */
export const itemToItemSource: CandidateSource = {
  name: 'i2i',
  kind: 'source',
  budgetMs: 15,
  failOpen: true,
  fetch(ctx, limit) {
    const snap = ctx.snapshot;
    if (!snap || snap.ann.size === 0) return [];
    const seeds: string[] = [];
    for (const e of ctx.user.recent) {
      if (!SEED_KINDS.has(e.kind) || seeds.includes(e.item_id)) continue;
      if (e.kind === 'play' && e.duration_ms && (e.watch_ms ?? 0) < 0.5 * e.duration_ms) continue;
      seeds.push(e.item_id);
      if (seeds.length >= MAX_SEEDS) break;
    }
    const vectors = seeds.map((id) => snap.annIds.get(id) ?? snap.retrieval.itemVector(id)).filter((v): v is Float32Array => v !== undefined);
    if (vectors.length === 0) return [];
    const dim = snap.ann.dim;
    const queries = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => queries.set(v, i * dim));
    const perSeed = Math.ceil(limit / vectors.length) + 1;
    const best = new Map<number, number>();
    for (const hits of snap.ann.search(queries, perSeed, snap.i2iParams)) {
      for (const hit of hits) {
        const row = ctx.catalog.items.row(hit.id);
        if (row < 0 || seeds.includes(hit.id)) continue;
        best.set(row, Math.max(best.get(row) ?? -Infinity, hit.score));
      }
    }
    return [...best]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([row, score]) => ({ row, score }));
  },
};
