import { takeUnserved } from './take-unserved.ts';
import type { CandidateSource } from '../types.ts';

/**
 * The fresh-content traffic pool: new items reach a small first audience, and move to larger
 * pools when that audience watched them well (see traffic-pool.ts). The quota is shared across
 * tiers, each read newest first (the pool keeps its lists in publish order): an item's audience
 * is due when it enters the pool, so a video published now is offered at once. When more items
 * wait than the exploration slots can serve (the demo world holds thousands of unwatched videos
 * in its 72-hour window), a uniform draw gives each a few impressions a day and none ever
 * completes an audience to be judged; newest first serves the waiting line in order, and what
 * it cannot reach ages out of the window. The first tier offers only the front of the line,
 * as many videos as the exploration ledger lets share the slots (1 / explorationMaxItemShare).
 */
export const freshSource: CandidateSource = {
  name: 'fresh',
  kind: 'source',
  defaultQuota: 60,
  personal: false,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const pool = ctx.pool.current(ctx.catalog, ctx.online, ctx.request.now);
    const tiers = pool.eligible.map((rows, tier) => ({ rows, tier })).filter((t) => t.rows.length > 0);
    if (tiers.length === 0) return [];
    const out: { row: number; score: number; tier?: string }[] = [];
    const per = Math.ceil(limit / tiers.length);
    // The first tier's front: as many videos as the exploration slots can be shared among under the
    // cap; more would split the slots so thinly that none completes its audience soon.
    const front = Math.min(per, Math.ceil(1 / ctx.config.ranker.rerank.explorationMaxItemShare));
    // Higher tiers first: their items earned the traffic.
    for (const { rows, tier } of tiers.reverse()) {
      for (const row of takeUnserved(ctx, rows, tier === 0 ? front : per)) {
        out.push({ row, score: tier + 1, tier: ctx.config.ranker.trafficPool.tiers[tier]!.name });
      }
    }
    return out.slice(0, limit);
  },
};
