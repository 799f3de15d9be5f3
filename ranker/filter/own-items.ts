import type { Filter } from '../types.ts';

/** A creator's own videos are never recommended back to them. */
export const ownItemsFilter: Filter = {
  name: 'own-items',
  kind: 'filter',
  budgetMs: 2,
  failOpen: false,
  filter(ctx, candidates) {
    const own = ctx.catalog.creators.row(ctx.request.userId);
    if (own < 0) return { kept: candidates, removed: [] };
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      if (ctx.catalog.itemCreator[c.row] === own) removed.push({ candidate: c, reason: "the user's own item" });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
