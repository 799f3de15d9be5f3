import type { Filter } from '../types.ts';

/** Already served in this scrolling session (the cursor's bloom filter), so pages never repeat. */
export const sessionSeenFilter: Filter = {
  name: 'session-seen',
  kind: 'filter',
  budgetMs: 2,
  failOpen: false,
  filter(ctx, candidates) {
    const { served, page } = ctx.request.session;
    if (page === 0) return { kept: candidates, removed: [] };
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      if (served.has(c.itemId)) removed.push({ candidate: c, reason: 'already served in this session' });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
