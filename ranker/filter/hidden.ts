import { hiddenCreators, hiddenItems } from '../request-cache.ts';
import type { Filter } from '../types.ts';

/** Items and creators the user marked "not interested" (or hid, or unfollowed from the feed). */
export const hiddenFilter: Filter = {
  name: 'hidden',
  kind: 'filter',
  budgetMs: 2,
  failOpen: false,
  filter(ctx, candidates) {
    const items = hiddenItems(ctx);
    const creators = hiddenCreators(ctx);
    if (items.size === 0 && creators.size === 0) return { kept: candidates, removed: [] };
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      const creator = ctx.catalog.creators.id(ctx.catalog.itemCreator[c.row]!);
      if (items.has(c.itemId)) removed.push({ candidate: c, reason: 'user marked the item not interested' });
      else if (creators.has(creator)) removed.push({ candidate: c, reason: `user hid creator ${creator}` });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
