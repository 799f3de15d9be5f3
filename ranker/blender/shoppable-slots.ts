import type { Objective } from '../../models/types.ts';
import { hiddenCreators } from '../request-cache.ts';
import { expectedValue } from '../scorer/value.ts';
import type { Blender, FeedContext, PageEntry, ShoppableSlot } from '../types.ts';

const NONE: Record<Objective, number> = { complete: 0, watch: 0, like: 0, share: 0, purchase: 0 };
/** Expected share of a live stream's viewers who stay and watch. */
const LIVE_WATCH = 0.3;
const LIVE_PURCHASE_LIFT = 1.5;

/**
 * Shoppable candidates valued on the organic scale, best first, at most `limit` of them. The
 * session's served check (string hashing) runs only while walking the best ones, not for
 * every product of 500 ranked candidates and every live stream.
 */
export function shoppableCandidates(ctx: FeedContext, exclude: ReadonlySet<number>, limit = Infinity): ShoppableSlot[] {
  const { catalog } = ctx;
  const { purchasePrior, includeLive } = ctx.config.ranker.commerce;
  const weights = ctx.config.models.weights;
  const { served } = ctx.request.session;
  const all: ShoppableSlot[] = [];
  const seen = new Set<number>(exclude);
  // Products carried by the ranked videos: the user's predicted purchase propensity for them.
  for (const c of ctx.ranked) {
    const product = catalog.itemProduct[c.row]!;
    if (product < 0 || seen.has(product) || !catalog.isProductBuyable(product)) continue;
    seen.add(product);
    const predicted = c.scores.p_purchase ?? c.scores.h_purchase ?? 0;
    const p = Math.max(purchasePrior, predicted);
    const value = expectedValue({ ...NONE, purchase: p }, catalog.productPrice[product]!, weights);
    all.push({ type: 'product', productRow: product, creatorRow: catalog.itemCreator[c.row]!, value, source: c.source });
  }
  if (includeLive) {
    const nowSec = ctx.request.now / 1000;
    const hidden = hiddenCreators(ctx);
    catalog.lives.forEach((live, liveIndex) => {
      if (live.starts_at > nowSec || live.ends_at < nowSec || hidden.has(live.creator_id)) return;
      const buyable = catalog.isProductBuyable(live.product);
      const p = buyable ? purchasePrior * LIVE_PURCHASE_LIFT : 0;
      const value = expectedValue({ ...NONE, watch: LIVE_WATCH, purchase: p }, buyable ? catalog.productPrice[live.product]! : 0, weights);
      all.push({ type: 'live', liveIndex, value, source: 'live' });
    });
  }
  all.sort((a, b) => b.value - a.value); // stable: filtering after sorting keeps the same order
  const out: ShoppableSlot[] = [];
  for (const slot of all) {
    if (out.length >= limit) break;
    const key = slot.type === 'product' ? `p:${catalog.products.id(slot.productRow)}` : `l:${catalog.lives[slot.liveIndex]!.live_id}`;
    if (!served.has(key)) out.push(slot);
  }
  return out;
}

/**
 * Inserts shoppable slots (products, live-stream sales) at most once per `slotEvery` entries
 * and with at least `minSpacing` entries between two of them, also across pages; a slot goes
 * in only when its expected value reaches `minValueRatio` of the organic entry it displaces.
 * The page keeps its length: the lowest organic entry drops off the end.
 */
export const shoppableSlotBlender: Blender = {
  name: 'shoppable-slots',
  kind: 'blender',
  budgetMs: 3,
  failOpen: true,
  blend(ctx, page, count) {
    const { slotEvery, minSpacing, minValueRatio } = ctx.config.ranker.commerce;
    const gap = Math.max(minSpacing, slotEvery - 1);
    const onPage = new Set<number>();
    for (const e of page) if (e.type === 'video' && e.productRow >= 0) onPage.add(e.productRow);
    // A page of `count` entries holds fewer than `count` slots.
    const slots = shoppableCandidates(ctx, onPage, count);
    const out: PageEntry[] = [];
    let since = ctx.request.session.sinceShoppable;
    let next = 0;
    for (const e of page) {
      if (out.length >= count) break;
      const slot = slots[next];
      if (slot && since >= gap && e.type === 'video' && slot.value >= minValueRatio * e.candidate.score) {
        out.push(slot);
        next++;
        since = 0;
        if (out.length >= count) break;
      }
      out.push(e);
      since++;
    }
    return out;
  },
};
