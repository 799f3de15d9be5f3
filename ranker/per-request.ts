import { attentionKeys, engagedItems, userAffinity, type AttentionKeys, type UserAffinity } from '../models/user-relation.ts';
import type { CatalogView } from './catalog/catalog-view.ts';
import { perRequest } from './memo.ts';
import type { FeedContext } from './types.ts';

/*
 * What several stages read about the request's viewer, each computed at most once per request
 * (memo.ts). A value one stage alone reads belongs in that stage's file.
 */

const POSITIVE_LIMIT = 30;
const RECENT_LIMIT = 50;
const MAX_FRIENDS = 100;

/** The user's vector from the promoted retrieval model (null without a model). */
export const userVector = perRequest((ctx): Float32Array | null => (ctx.snapshot ? ctx.snapshot.retrieval.userVector(ctx.user) : null));

/**
 * Where the served version's vector of a candidate is (the one in the ANN index; the item
 * tower only for items the version's matrix lacks), found by catalog row without a string lookup.
 */
export function itemVector(ctx: FeedContext, c: { row: number; itemId: string }): { block: Float32Array; at: number } | undefined {
  const snap = ctx.snapshot;
  if (!snap) return undefined;
  const served = snap.annIds.rowVector(c.row, c.itemId);
  if (served) return served;
  const v = snap.retrieval.itemVector(c.itemId);
  return v && { block: v, at: 0 };
}

/** Category/creator affinity totals and target-attention keys of the user's recent sequence. */
export const userRelation = perRequest((ctx): { affinity: UserAffinity; keys: AttentionKeys | undefined } => {
  const { catalog } = ctx;
  const side = (id: string) => {
    const row = catalog.items.row(id);
    return row < 0 ? undefined : { category: catalog.categories.value(catalog.itemCategory[row]!), creator: catalog.creators.id(catalog.itemCreator[row]!) };
  };
  const affinity = userAffinity(ctx.user.recent, side, ctx.request.now);
  const keys = ctx.snapshot
    ? attentionKeys(engagedItems(ctx.user.recent), (id) => {
        const v = itemVector(ctx, { row: catalog.items.row(id), itemId: id });
        return v?.block.subarray(v.at, v.at + ctx.snapshot!.retrieval.dim);
      })
    : undefined;
  return { affinity, keys };
});

/**
 * A person the catalog does not know who has engaged with nothing yet: their language (and
 * segment) is all we know of them (cold-locale filter, diversity selector).
 */
export function knowsNothing(ctx: FeedContext): boolean {
  return ctx.catalog.users.row(ctx.request.userId) < 0 && userRelation(ctx).affinity.total.long === 0;
}

export const hiddenItems = perRequest((ctx): ReadonlySet<string> => ctx.online.hiddenItems(ctx.request.userId));

export const hiddenCreators = perRequest((ctx): ReadonlySet<string> => ctx.online.hiddenCreators(ctx.request.userId));

/** Creator rows the user follows: the catalog's follow graph plus follows seen in events. */
export const followedCreators = perRequest((ctx): ReadonlySet<number> => {
  const set = new Set<number>(ctx.catalog.follows.get(ctx.request.userId) ?? []);
  for (const id of ctx.online.followedCreators(ctx.request.userId)) {
    const row = ctx.catalog.creators.row(id);
    if (row >= 0) set.add(row);
  }
  for (const id of hiddenCreators(ctx)) set.delete(ctx.catalog.creators.row(id));
  return set;
});

/** The friends whose engagement counts as social proof (bounded: their state is read per request). */
export function socialPeers(catalog: CatalogView, userId: string): string[] {
  return [...(catalog.friends.get(userId) ?? [])].slice(0, MAX_FRIENDS);
}

/** Items the user's friends engaged with positively or bought (item row → counts of friends). */
export const socialProof = perRequest((ctx): ReadonlyMap<number, { engaged: number; purchased: number }> => {
  const out = new Map<number, { engaged: number; purchased: number }>();
  for (const friend of socialPeers(ctx.catalog, ctx.request.userId)) {
    const engaged = new Set(ctx.online.positiveItems(friend, POSITIVE_LIMIT));
    const purchased = new Set<string>();
    for (const e of ctx.online.recent(friend, RECENT_LIMIT)) if (e.kind === 'purchase' && e.item_id) purchased.add(e.item_id);
    for (const id of new Set([...engaged, ...purchased])) {
      const row = ctx.catalog.items.row(id);
      if (row < 0) continue;
      const entry = out.get(row) ?? { engaged: 0, purchased: 0 };
      if (engaged.has(id)) entry.engaged++;
      if (purchased.has(id)) entry.purchased++;
      out.set(row, entry);
    }
  }
  return out;
});
