import type { Filter } from '../types.ts';

/** Sources that match the user personally; a pool-stopped item may still reach them through these. */
const PERSONAL = new Set(['ann', 'i2i', 'following', 'social']);

/**
 * New items whose first audience skipped them get no broad distribution (trending, locale,
 * segment, KOL, fresh) until they earn it; personal sources may still show them.
 */
export const trafficPoolFilter: Filter = {
  name: 'traffic-pool',
  kind: 'filter',
  budgetMs: 2,
  failOpen: true,
  filter(ctx, candidates) {
    const stopped = ctx.pool.current(ctx.catalog, ctx.online, ctx.request.now).stopped;
    if (stopped.size === 0) return { kept: candidates, removed: [] };
    const kept = [];
    const removed = [];
    for (const c of candidates) {
      const reason = stopped.get(c.row);
      if (reason && !c.sources.some((s) => PERSONAL.has(s))) removed.push({ candidate: c, reason: `traffic pool stopped: ${reason}` });
      else kept.push(c);
    }
    return { kept, removed };
  },
};
