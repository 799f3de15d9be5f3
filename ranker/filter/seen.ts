import type { Filter } from '../types.ts';

/** Seen in an earlier session (the online state's cross-session seen set). */
export const seenFilter: Filter = {
  name: 'seen',
  kind: 'filter',
  budgetMs: 3,
  failOpen: true,
  filter(ctx, candidates) {
    const seen = ctx.online.seenItems(ctx.request.userId);
    // A widened request may show again what earlier sessions had, rather than end the feed.
    if (seen.size === 0 || ctx.widened) return { kept: candidates, removed: [] };
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      if (seen.has(c.itemId)) removed.push({ candidate: c, reason: 'seen in an earlier session' });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
