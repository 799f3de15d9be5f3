import { idHash } from '../../core/hash.ts';
import type { Objective } from '../../models/types.ts';
import { perPipeline } from '../memo.ts';
import { hiddenCreators } from '../per-request.ts';
import { expectedValue } from '../scorer/value.ts';
import { descending, type Blender, type FeedContext, type PageEntry, type ShoppableSlot } from '../types.ts';

const NONE: Record<Objective, number> = { complete: 0, watch: 0, like: 0, share: 0, follow: 0, purchase: 0 };
/** Expected share of a live stream's viewers who stay and watch. */
const LIVE_WATCH = 0.3;
const LIVE_PURCHASE_LIFT = 1.5;

/** Live-stream slots on air, best first: the same for every viewer, so computed once per LIVE_CACHE_MS and list of streams. */
const LIVE_CACHE_MS = 5000;
type LiveSlot = Extract<ShoppableSlot, { type: 'live' }>;
const liveCache = perPipeline((): { lives: object | undefined; at: number; slots: LiveSlot[] } => ({ lives: undefined, at: 0, slots: [] }));

function liveSlots(ctx: FeedContext): LiveSlot[] {
  const { catalog } = ctx;
  const now = ctx.request.now;
  const cached = liveCache(ctx);
  if (cached.lives === catalog.lives && now >= cached.at && now - cached.at < LIVE_CACHE_MS) return cached.slots;
  const { purchasePrior } = ctx.config.ranker.commerce;
  const nowSec = now / 1000;
  const slots: LiveSlot[] = [];
  catalog.lives.forEach((live, liveIndex) => {
    if (live.starts_at > nowSec || live.ends_at < nowSec) return;
    const buyable = catalog.isProductBuyable(live.product);
    const p = buyable ? purchasePrior * LIVE_PURCHASE_LIFT : 0;
    const value = expectedValue({ ...NONE, watch: LIVE_WATCH, purchase: p }, buyable ? catalog.productPrice[live.product]! : 0, ctx.config.models.weights);
    slots.push({ type: 'live', liveIndex, value, source: 'live' });
  });
  slots.sort((a, b) => b.value - a.value); // stable
  Object.assign(cached, { lives: catalog.lives, at: now, slots });
  return slots;
}

/**
 * On-air streams for this viewer: by value times a per-viewer factor in [0.5, 1.5) from a hash
 * of viewer and stream, so a better stream still comes first for most people but every stream
 * on air reaches some (the same order for everyone showed 2 of 4 streams, to everyone).
 */
function rotateLives(ctx: FeedContext, slots: LiveSlot[]): LiveSlot[] {
  if (slots.length < 2) return slots;
  const user = ctx.request.userId;
  const key = (s: LiveSlot) => s.value * (0.5 + idHash(`${user}:${ctx.catalog.lives[s.liveIndex]!.live_id}`) / 2 ** 32);
  return slots
    .map((s) => ({ s, k: key(s) }))
    .sort((a, b) => b.k - a.k)
    .map(({ s }) => s);
}

/** The creator row of a shoppable slot: the video's creator for a product, the host for a live stream. */
function slotCreator(ctx: FeedContext, slot: ShoppableSlot): number {
  return slot.type === 'product' ? slot.creatorRow : ctx.catalog.lives[slot.liveIndex]!.creator;
}

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
  const products: ShoppableSlot[] = [];
  const seen = new Set<number>(exclude);
  // Products carried by the ranked videos: the user's predicted purchase propensity for them.
  for (const c of ctx.ranked) {
    const product = catalog.itemProduct[c.row]!;
    if (product < 0 || seen.has(product) || !catalog.isProductBuyable(product)) continue;
    seen.add(product);
    const p = Math.max(purchasePrior, c.purchase);
    const value = expectedValue({ ...NONE, purchase: p }, catalog.productPrice[product]!, weights);
    products.push({ type: 'product', productRow: product, creatorRow: catalog.itemCreator[c.row]!, value, source: c.source });
  }
  products.sort((a, b) => descending(a.value, b.value)); // stable
  // Merged with the live slots best first; on a tie the product comes first.
  const lives = includeLive ? rotateLives(ctx, liveSlots(ctx)) : [];
  const hidden = hiddenCreators(ctx);
  const out: ShoppableSlot[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < products.length || j < lives.length)) {
    const live = lives[j];
    if (live && hidden.has(catalog.lives[live.liveIndex]!.creator_id)) {
      j++;
      continue;
    }
    const slot = i < products.length && (!live || products[i]!.value >= live.value) ? products[i++]! : lives[j++]!;
    const key = slot.type === 'product' ? `p:${catalog.products.id(slot.productRow)}` : `l:${catalog.lives[slot.liveIndex]!.live_id}`;
    if (!served.has(key)) out.push(slot);
  }
  return out;
}

/**
 * Inserts shoppable slots (products, live-stream sales) at most once per `slotEvery` entries
 * and with at least `minSpacing` entries between two of them, also across pages; a slot goes
 * in only when its expected value reaches `minValueRatio` of the organic entry it displaces,
 * and never within `rerank.creatorSpacing` positions of a video by the same creator (the best
 * slot that keeps the spacing is taken). The page keeps its length: the lowest organic entry
 * drops off the end.
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
    const { catalog } = ctx;
    const spacing = ctx.config.ranker.rerank.creatorSpacing;
    const hashOf = (e: PageEntry) => catalog.creatorHash[e.type === 'video' ? catalog.itemCreator[e.candidate.row]! : slotCreator(ctx, e)]!;
    // Creators (hashes) of the entries before the insertion point: the previous page's tail, then this page.
    const before = [...ctx.request.session.recentCreators];
    const used = new Uint8Array(slots.length);
    const out: PageEntry[] = [];
    let since = ctx.request.session.sinceShoppable;
    page.forEach((e, at) => {
      if (out.length >= count) return;
      if (since >= gap && e.type === 'video') {
        const near = new Set([...before.slice(-spacing), ...page.slice(at, at + spacing).map(hashOf)]);
        const k = slots.findIndex((s, i) => !used[i] && s.value >= minValueRatio * e.candidate.score && !near.has(hashOf(s)));
        if (k >= 0) {
          used[k] = 1;
          out.push(slots[k]!);
          before.push(hashOf(slots[k]!));
          since = 0;
          if (out.length >= count) return;
        }
      }
      out.push(e);
      before.push(hashOf(e));
      since++;
    });
    return out;
  },
};
