import type { CandidateSource } from '../types.ts';

/**
 * Items with the most weighted engagement in the short online window; when it has none (right
 * after a start, a quiet hour), over the last day from ClickHouse (ItemStats.trendingFallback).
 */
export const trendingSource: CandidateSource = {
  name: 'trending',
  kind: 'source',
  defaultQuota: 80,
  personal: false,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const out: { row: number; score: number }[] = [];
    const { served } = ctx.request.session;
    const online = ctx.online.trending(limit * 3);
    for (const t of online.length > 0 ? online : ctx.catalog.stats.trendingFallback) {
      const row = ctx.catalog.items.row(t.item_id);
      if (row < 0 || served.has(t.item_id)) continue;
      out.push({ row, score: t.score });
      if (out.length >= limit) break;
    }
    return out;
  },
};
