import { followedCreators } from '../per-request.ts';
import type { CandidateSource } from '../types.ts';

const PER_CREATOR = 5;

/** Newest items of the creators the user follows, round-robin across creators. */
export const followingSource: CandidateSource = {
  name: 'following',
  kind: 'source',
  defaultQuota: 60,
  personal: true,
  budgetMs: 5,
  failOpen: true,
  fetch(ctx, limit) {
    const lists: number[][] = [];
    for (const creator of followedCreators(ctx)) {
      const items = ctx.catalog.creatorItems[creator];
      if (items && items.length > 0) lists.push([...items.subarray(0, PER_CREATOR * 4)]);
    }
    return roundRobin(ctx, lists, limit, PER_CREATOR);
  },
};

/** Takes the first unserved item of each list in turn; shared with the KOL source. */
export function roundRobin(ctx: Parameters<typeof followingSource.fetch>[0], lists: number[][], limit: number, perList: number): { row: number; score: number }[] {
  const out: { row: number; score: number }[] = [];
  const taken = lists.map(() => 0);
  const cursor = lists.map(() => 0);
  const { served } = ctx.request.session;
  for (let round = 0; round < perList && out.length < limit; round++) {
    for (let l = 0; l < lists.length && out.length < limit; l++) {
      const list = lists[l]!;
      while (cursor[l]! < list.length && taken[l]! <= round) {
        const row = list[cursor[l]!++]!;
        const id = ctx.catalog.items.id(row);
        if (!ctx.catalog.itemAvailable[row] || served.has(id)) continue;
        out.push({ row, score: 1 / (1 + round) });
        taken[l]!++;
      }
    }
  }
  return out;
}
