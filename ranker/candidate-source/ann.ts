import { userVector } from '../per-request.ts';
import type { CandidateSource } from '../types.ts';

/** Most-similar items to the user's vector, from the promoted retrieval model's FAISS index. */
export const annSource: CandidateSource = {
  name: 'ann',
  kind: 'source',
  defaultQuota: 200,
  personal: true,
  budgetMs: 15,
  failOpen: true,
  fetch(ctx, limit) {
    const snap = ctx.snapshot;
    const vec = userVector(ctx);
    if (!snap || !vec || snap.ann.size === 0) return [];
    // Look past what this session already got so deep pages still find new neighbours.
    const k = Math.min(limit + ctx.request.session.page * ctx.request.count, limit * 4);
    const out: { row: number; score: number }[] = [];
    const { labels, scores, k: found } = snap.ann.searchLabels(vec, k);
    const { served } = ctx.request.session;
    for (let j = 0; j < found && out.length < limit; j++) {
      const row = snap.annIds.catalogRow(labels[j]!);
      if (row < 0 || served.has(ctx.catalog.items.id(row))) continue;
      out.push({ row, score: scores[j]! });
    }
    return out;
  },
};
