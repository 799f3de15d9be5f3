import { followedCreators } from '../per-request.ts';
import type { CandidateSource } from '../types.ts';

/** How far back the Following tab looks for followed creators' videos. */
const MAX_AGE_DAYS = 30;

/** The Following tab's candidates: every followed creator's videos of the last MAX_AGE_DAYS, newest first. */
export const followingTabSource: CandidateSource = {
  name: 'following_tab',
  kind: 'source',
  defaultQuota: 500,
  personal: true,
  budgetMs: 10,
  failOpen: false,
  fetch(ctx, limit) {
    const { catalog } = ctx;
    const { served } = ctx.request.session;
    const since = ctx.request.now / 1000 - MAX_AGE_DAYS * 86_400;
    const rows: number[] = [];
    for (const creator of followedCreators(ctx)) {
      for (const row of catalog.creatorItems[creator] ?? []) {
        if (catalog.itemPublished[row]! < since) break; // newest first
        if (catalog.itemAvailable[row] && !served.has(catalog.items.id(row))) rows.push(row);
      }
    }
    rows.sort((a, b) => catalog.itemPublished[b]! - catalog.itemPublished[a]!);
    return rows.slice(0, limit).map((row, i) => ({ row, score: 1 / (1 + i) }));
  },
};
