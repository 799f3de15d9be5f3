import type { CandidateSource } from '../types.ts';

/**
 * The widened pool of a session that ran out of candidates (deep in an infinite scroll): the
 * user's locale's popular items, then every other available item the session has not had.
 * Empty unless the pipeline widens the request (FeedPipeline reruns a short page widened).
 */
export const backfillSource: CandidateSource = {
  name: 'backfill',
  kind: 'source',
  defaultQuota: 200,
  personal: false,
  budgetMs: 20,
  failOpen: true,
  fetch(ctx, limit) {
    if (!ctx.widened) return [];
    const { catalog } = ctx;
    const { served } = ctx.request.session;
    const out: { row: number; score: number }[] = [];
    const taken = new Set<number>();
    const offer = (row: number) => {
      if (out.length >= limit || taken.has(row) || !catalog.itemAvailable[row] || served.has(catalog.items.id(row))) return;
      taken.add(row);
      out.push({ row, score: 1 / (1 + out.length) });
    };
    for (const row of catalog.popularByLocale.get(ctx.localeCode) ?? []) offer(row);
    for (let row = 0; row < catalog.items.size && out.length < limit; row++) offer(row);
    return out;
  },
};
