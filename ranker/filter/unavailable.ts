import { predicateFilter } from './predicate-filter.ts';

/** Items taken down or no longer available in the catalog. */
export const unavailableFilter = predicateFilter({
  name: 'unavailable',
  budgetMs: 2,
  failOpen: false,
  removes: (ctx) => (c) => (ctx.catalog.itemAvailable[c.row] ? undefined : 'item is unavailable'),
});
