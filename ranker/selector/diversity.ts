import { hash32 } from '../catalog/columns.ts';
import type { Candidate, FeedContext, Selector } from '../types.ts';

/** How far down the score order the greedy pass looks for each slot. */
const LOOKAHEAD = 300;

/** Positions (0-based) reserved for the fresh pool: `n` of `count`, evenly spread, never the first. */
export function explorationPositions(count: number, share: number): Set<number> {
  const n = Math.round(count * share);
  const out = new Set<number>();
  for (let k = 0; k < n; k++) out.add(Math.min(count - 1, Math.floor(((k + 1) * count) / (n + 1))));
  return out;
}

export function creatorHash(ctx: FeedContext, c: Candidate): number {
  return hash32(ctx.catalog.creators.id(ctx.catalog.itemCreator[c.row]!));
}

/**
 * Greedy re-rank: each slot takes the candidate with the best MMR-style adjusted score (the
 * score discounted for categories repeated in the last `categoryWindow` slots), never a
 * creator seen in the last `creatorSpacing` slots (including the previous page's tail), and
 * reserved exploration slots go to the best fresh-pool candidate. The page comes out shorter
 * rather than break creator spacing.
 */
export const diversitySelector: Selector = {
  name: 'diversity',
  kind: 'selector',
  budgetMs: 5,
  failOpen: false,
  select(ctx, candidates, count) {
    const { creatorSpacing, categoryPenalty, categoryWindow, explorationShare } = ctx.config.ranker.rerank;
    const pool = [...candidates].sort((a, b) => b.score - a.score);
    const explore = explorationPositions(count, explorationShare);
    const recentCreators = ctx.request.session.recentCreators.slice(-creatorSpacing);
    const recentCategories: number[] = [];
    const out: Candidate[] = [];
    const used = new Set<number>();
    // Creator hashes: each creator's id hashed once per request, not once per look.
    const hashes = new Map<number, number>();
    const creatorOf = (c: Candidate) => {
      const row = ctx.catalog.itemCreator[c.row]!;
      let h = hashes.get(row);
      if (h === undefined) hashes.set(row, (h = creatorHash(ctx, c)));
      return h;
    };
    for (let pos = 0; pos < count; pos++) {
      const wantFresh = explore.has(pos) && pool.some((c, i) => !used.has(i) && c.sources.includes('fresh'));
      let best = -1;
      let bestAdj = -Infinity;
      let scanned = 0;
      for (let i = 0; i < pool.length && scanned < LOOKAHEAD; i++) {
        if (used.has(i)) continue;
        const c = pool[i]!;
        if (wantFresh && !c.sources.includes('fresh')) continue;
        scanned++;
        if (creatorSpacing > 0 && recentCreators.includes(creatorOf(c))) continue;
        const cat = ctx.catalog.itemCategory[c.row]!;
        let repeats = 0;
        for (const prev of recentCategories) if (prev === cat) repeats++;
        const adj = c.score * (1 - (categoryPenalty * repeats) / categoryWindow);
        if (adj > bestAdj) {
          bestAdj = adj;
          best = i;
        }
      }
      if (best < 0) break;
      used.add(best);
      const chosen = pool[best]!;
      chosen.scores.rerank = bestAdj;
      if (wantFresh) chosen.scores.exploration = 1;
      out.push(chosen);
      recentCreators.push(creatorOf(chosen));
      if (recentCreators.length > creatorSpacing) recentCreators.shift();
      recentCategories.push(ctx.catalog.itemCategory[chosen.row]!);
      if (recentCategories.length > categoryWindow) recentCategories.shift();
    }
    return out;
  },
};
