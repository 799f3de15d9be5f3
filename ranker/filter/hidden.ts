import { hiddenCreators, hiddenItems } from '../per-request.ts';
import { predicateFilter } from './predicate-filter.ts';

/** Items and creators the user marked "not interested" (or hid, or unfollowed from the feed). */
export const hiddenFilter = predicateFilter({
  name: 'hidden',
  budgetMs: 2,
  failOpen: false,
  removes(ctx) {
    const items = hiddenItems(ctx);
    const creators = hiddenCreators(ctx);
    if (items.size === 0 && creators.size === 0) return undefined;
    return (c) => {
      if (items.has(c.itemId)) return 'user marked the item not interested';
      const creator = ctx.catalog.creators.id(ctx.catalog.itemCreator[c.row]!);
      return creators.has(creator) ? `user hid creator ${creator}` : undefined;
    };
  },
});
