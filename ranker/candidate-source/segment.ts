import { takeUnserved } from '../request-cache.ts';
import type { CandidateSource } from '../types.ts';

/** Items most engaged with by users of the same segment over the last week. */
export const segmentSource: CandidateSource = {
  name: 'segment',
  kind: 'source',
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const rows = ctx.catalog.popularBySegment.get(ctx.segmentCode);
    if (!rows) return [];
    return takeUnserved(ctx, rows, limit).map((row, i) => ({ row, score: 1 / (1 + i) }));
  },
};
