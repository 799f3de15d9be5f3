import type { Filter } from '../types.ts';

/** Items taken down or no longer available in the catalog. */
export const unavailableFilter: Filter = {
  name: 'unavailable',
  kind: 'filter',
  budgetMs: 2,
  failOpen: false,
  filter(ctx, candidates) {
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      if (ctx.catalog.itemAvailable[c.row]) kept.push(c);
      else removed.push({ candidate: c, reason: 'item is unavailable' });
    }
    return { kept, removed };
  },
};
