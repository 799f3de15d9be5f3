import { predicateFilter } from './predicate-filter.ts';

/** Seen in an earlier session (the online state's cross-session seen set). */
export const seenFilter = predicateFilter({
  name: 'seen',
  budgetMs: 3,
  failOpen: true,
  removes(ctx) {
    const seen = ctx.online.seenItems(ctx.request.userId);
    // A widened request may show again what earlier sessions had, rather than end the feed.
    if (seen.size === 0 || ctx.widened) return undefined;
    return (c) => (seen.has(c.itemId) ? 'seen in an earlier session' : undefined);
  },
});
