import type { Column } from '../catalog/catalog-view.ts';
import type { CandidateSource, FeedContext } from '../types.ts';
import { takeUnserved } from './take-unserved.ts';

/** Items popular among a group the user belongs to, from a catalog list, best first. */
function popularSource(name: string, defaultQuota: number, listOf: (ctx: FeedContext) => Column | undefined): CandidateSource {
  return {
    name,
    kind: 'source',
    defaultQuota,
    personal: false,
    budgetMs: 5,
    failOpen: true,
    fetch(ctx, limit) {
      const rows = listOf(ctx);
      if (!rows) return [];
      return takeUnserved(ctx, rows, limit).map((row, i) => ({ row, score: 1 / (1 + i) }));
    },
  };
}

/** Popular items in the user's language (long-term engagement, newest first among ties). */
export const localeSource = popularSource('locale', 80, (ctx) => ctx.catalog.popularByLocale.get(ctx.localeCode));

/** Items most engaged with by users of the same segment over the last week. */
export const segmentSource = popularSource('segment', 40, (ctx) => ctx.catalog.popularBySegment.get(ctx.segmentCode));
