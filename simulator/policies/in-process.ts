import type { FeedEntry } from '../../feed-api/feed-response.ts';
import type { World } from '../world/generate.ts';
import { ids } from '../world/rows.ts';
import { CATEGORIES, LOCALES } from '../world/spec.ts';

/** A feed video entry for a world item, shaped like GET /v1/feed's (social proof left to the simulator). */
export function videoEntry(world: World, i: number, position: number, source: string, score: number): FeedEntry {
  const category = CATEGORIES[world.items.category[i]!]!;
  const creator = world.items.creator[i]!;
  const p = world.items.product[i]!;
  return {
    type: 'video',
    item_id: ids.item(i),
    creator_id: ids.creator(creator),
    title: `${category} #${i}`,
    category,
    locale: LOCALES[world.creators.locale[creator]!]!,
    duration_ms: world.items.durationMs[i]!,
    published_at: world.items.publishedAt[i]!,
    product:
      p >= 0
        ? {
            product_id: ids.product(p),
            title: `${category} product ${p}`,
            price: world.products.priceCents[p]! / 100,
            currency: 'CNY',
            image_url: `https://img.example.com/p/${ids.product(p)}.jpg`,
            buy_url: `app://buy/${ids.product(p)}`,
          }
        : null,
    social: { friends_engaged: 0, friends_purchased: 0, followed_creator: false },
    exploration: false,
    promoted: false,
    position,
    source,
    score,
  };
}

/** Items already served to each user, so that a baseline does not repeat itself. */
export class ServedItems {
  private readonly served = new Map<string, Set<number>>();

  of(userId: string): Set<number> {
    let set = this.served.get(userId);
    if (!set) this.served.set(userId, (set = new Set()));
    return set;
  }
}

export const published = (world: World, i: number, nowSec: number) => world.items.publishedAt[i]! <= nowSec;
