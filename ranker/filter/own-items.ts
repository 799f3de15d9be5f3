import { predicateFilter } from './predicate-filter.ts';

/** A creator's own videos are never recommended back to them. */
export const ownItemsFilter = predicateFilter({
  name: 'own-items',
  budgetMs: 2,
  failOpen: false,
  removes(ctx) {
    const own = ctx.catalog.creators.row(ctx.request.userId);
    if (own < 0) return undefined;
    return (c) => (ctx.catalog.itemCreator[c.row] === own ? "the user's own item" : undefined);
  },
});
