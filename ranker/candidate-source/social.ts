import { socialProof } from '../per-request.ts';
import { byScoreDesc, type CandidateSource } from '../types.ts';

/** Items the user's friends engaged with or bought recently; purchases count double. */
export const socialSource: CandidateSource = {
  name: 'social',
  kind: 'source',
  defaultQuota: 40,
  personal: true,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const { served } = ctx.request.session;
    return [...socialProof(ctx)]
      .filter(([row]) => !served.has(ctx.catalog.items.id(row)))
      .map(([row, s]) => ({ row, score: s.engaged + 2 * s.purchased }))
      .sort(byScoreDesc)
      .slice(0, limit);
  },
};
