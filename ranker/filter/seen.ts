import type { Filter } from '../types.ts';

/** Seen in an earlier session (the online state's cross-session seen set). */
export const seenFilter: Filter = {
  name: 'seen',
  kind: 'filter',
  budgetMs: 3,
  failOpen: true,
  filter(ctx, candidates) {
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      if (ctx.online.hasSeen(ctx.request.userId, c.itemId)) removed.push({ candidate: c, reason: 'seen in an earlier session' });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
