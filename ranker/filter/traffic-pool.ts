import { predicateFilter } from './predicate-filter.ts';

/**
 * New items whose first audience skipped them get no broad distribution (trending, locale,
 * segment, KOL, fresh) until they earn it; personal sources (CandidateSource.personal) may
 * still show them.
 */
export const trafficPoolFilter = predicateFilter({
  name: 'traffic-pool',
  budgetMs: 2,
  failOpen: true,
  removes(ctx) {
    const stopped = ctx.pool.current(ctx.catalog, ctx.online, ctx.request.now).stopped;
    if (stopped.size === 0) return undefined;
    return (c) => {
      const reason = stopped.get(c.row);
      return reason && !c.personal ? `traffic pool stopped: ${reason}` : undefined;
    };
  },
});
