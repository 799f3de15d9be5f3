import { predicateFilter } from './predicate-filter.ts';

/** Already served in this scrolling session (the cursor's bloom filter), so pages never repeat. */
export const sessionSeenFilter = predicateFilter({
  name: 'session-seen',
  budgetMs: 2,
  failOpen: false,
  removes(ctx) {
    const { served, page } = ctx.request.session;
    if (page === 0) return undefined;
    return (c) => (served.has(c.itemId) ? 'already served in this session' : undefined);
  },
});
