import { takeUnserved } from '../request-cache.ts';
import type { CandidateSource } from '../types.ts';

/** Popular items in the user's language (long-term engagement, newest first among ties). */
export const localeSource: CandidateSource = {
  name: 'locale',
  kind: 'source',
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const rows = ctx.catalog.popularByLocale.get(ctx.localeCode);
    if (!rows) return [];
    return takeUnserved(ctx, rows, limit).map((row, i) => ({ row, score: 1 / (1 + i) }));
  },
};
