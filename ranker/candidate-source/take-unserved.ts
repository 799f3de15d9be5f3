import type { FeedContext } from '../types.ts';

/** Walks `rows` in order and takes up to `limit` available items not yet served in this session or seen before. */
export function takeUnserved(ctx: FeedContext, rows: ArrayLike<number>, limit: number): number[] {
  const out: number[] = [];
  const n = rows.length;
  const { served } = ctx.request.session;
  const seen = ctx.online.seenItems(ctx.request.userId);
  for (let k = 0; k < n && out.length < limit; k++) {
    const row = rows[k]!;
    const id = ctx.catalog.items.id(row);
    if (!ctx.catalog.itemAvailable[row] || served.has(id) || seen.has(id)) continue;
    out.push(row);
  }
  return out;
}
