import { userVector } from '../request-cache.ts';
import type { CandidateSource } from '../types.ts';

/** Most-similar items to the user's vector, from the promoted retrieval model's FAISS index. */
export const annSource: CandidateSource = {
  name: 'ann',
  kind: 'source',
  budgetMs: 15,
  failOpen: true,
  fetch(ctx, limit) {
    const snap = ctx.snapshot;
    const vec = userVector(ctx);
    if (!snap || !vec || snap.ann.size === 0) return [];
    // Look past what this session already got so deep pages still find new neighbours.
    const k = Math.min(limit + ctx.request.session.page * ctx.request.count, limit * 4);
    const out: { row: number; score: number }[] = [];
    for (const hit of snap.ann.search(vec, k)[0] ?? []) {
      const row = ctx.catalog.items.row(hit.id);
      if (row < 0 || ctx.request.session.served.has(hit.id)) continue;
      out.push({ row, score: hit.score });
      if (out.length >= limit) break;
    }
    return out;
  },
};
