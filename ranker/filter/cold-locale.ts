import { knowsNothing } from '../per-request.ts';
import type { Filter } from '../types.ts';
import { partition } from './predicate-filter.ts';

/**
 * A person the catalog does not know and who has engaged with nothing yet: their language is all
 * we know, so videos in another language go (ANN neighbours of a near-empty user vector,
 * trending and fresh items of other locales). The learned ranker cannot be relied on for this:
 * the users it trains on have histories whose affinities already say which language they
 * watch, so it learns little from locale_match. Once they engage, the ranker takes over.
 * Kept when too few in their language are left to fill the page.
 */
export const coldLocaleFilter: Filter = {
  name: 'cold-locale',
  kind: 'filter',
  budgetMs: 1,
  failOpen: true,
  filter(ctx, candidates) {
    if (!knowsNothing(ctx)) return { kept: candidates, removed: [] };
    const reason = `new user without engagement; item not in their language (${ctx.user.locale})`;
    const res = partition(candidates, (c) => (ctx.catalog.itemLocale[c.row] === ctx.localeCode ? undefined : reason));
    return res.kept.length >= ctx.request.count ? res : { kept: candidates, removed: [] };
  },
};
