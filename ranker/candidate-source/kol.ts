import { roundRobin } from './following.ts';
import type { CandidateSource } from '../types.ts';

const MAX_KOLS = 30;
const PER_KOL = 2;

/** Newest items of the biggest KOL creators in the user's locale (social proof for everyone). */
export const kolSource: CandidateSource = {
  name: 'kol',
  kind: 'source',
  defaultQuota: 30,
  personal: false,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const kols = ctx.catalog.kolsByLocale.get(ctx.localeCode);
    if (!kols) return [];
    const lists: number[][] = [];
    for (const creator of kols.subarray(0, MAX_KOLS)) {
      const items = ctx.catalog.creatorItems[creator];
      if (items && items.length > 0) lists.push([...items.subarray(0, PER_KOL * 4)]);
    }
    return roundRobin(ctx, lists, limit, PER_KOL);
  },
};
