import type { Selector } from '../types.ts';

const DAY_SEC = 86_400;

/** The Following tab's order: newest day first (UTC days of publication), the ranker's order inside a day. */
export const newestFirstSelector: Selector = {
  name: 'newest-first',
  kind: 'selector',
  budgetMs: 2,
  failOpen: false,
  select(ctx, candidates, count) {
    const day = (row: number) => Math.floor(ctx.catalog.itemPublished[row]! / DAY_SEC);
    return [...candidates].sort((a, b) => day(b.row) - day(a.row) || b.score - a.score).slice(0, count);
  },
};
