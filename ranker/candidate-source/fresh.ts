import { hash32 } from '../../core/hash.ts';
import { takeUnserved } from './take-unserved.ts';
import type { CandidateSource } from '../types.ts';

/**
 * The fresh-content traffic pool: new items reach a small first audience, and move to larger
 * pools when that audience watched them well (see traffic-pool.ts). The quota is shared across
 * tiers, each read from a per-request random offset so that audiences spread over items.
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
    const seed = hash32(`${ctx.request.userId}|${ctx.request.session.sessionId}|${ctx.request.session.page}`);
    const out: { row: number; score: number; tier?: string }[] = [];
    const per = Math.ceil(limit / tiers.length);
    // Higher tiers first: their items earned the traffic.
    for (const { rows, tier } of tiers.reverse()) {
      for (const row of takeUnserved(ctx, rows, per, seed % rows.length)) {
        out.push({ row, score: tier + 1, tier: ctx.config.ranker.trafficPool.tiers[tier]!.name });
      }
    }
    return out.slice(0, limit);
  },
};
