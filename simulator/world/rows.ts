import type { CatalogTable, CatalogTables } from '../../storage/catalog.ts';
import { neighbours } from './graph.ts';
import type { World } from './generate.ts';
import { CATEGORIES, LOCALES, SEGMENTS } from './spec.ts';

/** Public ids: u123 users, c123 creators, v123 videos, p123 products, l123 live streams. */
export const ids = {
  user: (i: number) => `u${i}`,
  creator: (i: number) => `c${i}`,
  item: (i: number) => `v${i}`,
  product: (i: number) => `p${i}`,
  live: (i: number) => `l${i}`,
};

/** The index behind a public id, or -1 when it is not one of this world's ids. */
export function indexOf(id: string | null | undefined, prefix: 'u' | 'c' | 'v' | 'p' | 'l', count: number): number {
  if (!id || id[0] !== prefix || !/^[a-z]\d{1,9}$/.test(id)) return -1;
  const i = Number(id.slice(1));
  return i < count && id === `${prefix}${i}` ? i : -1;
}

const TOPICS: Record<string, readonly string[]> = {
  beauty: ['makeup look', 'skincare routine', 'lipstick swatch'],
  fashion: ['outfit of the day', 'street style', 'try-on haul'],
  food: ['street food', 'home recipe', 'mukbang'],
  gaming: ['speedrun', 'ranked match', 'game review'],
  music: ['cover song', 'live session', 'beat making'],
  dance: ['dance challenge', 'choreography', 'tutorial'],
  comedy: ['sketch', 'prank', 'parody'],
  pets: ['cat moments', 'dog tricks', 'pet care'],
  travel: ['city walk', 'hidden gem', 'travel vlog'],
  fitness: ['home workout', 'gym day', 'yoga flow'],
  tech: ['unboxing', 'phone review', 'gadget test'],
  education: ['quick lesson', 'study tips', 'science fact'],
  sports: ['highlights', 'training drill', 'match recap'],
  home: ['room makeover', 'cleaning hack', 'organizing'],
  parenting: ['toddler tips', 'family day', 'baby food'],
  auto: ['car review', 'road trip', 'detailing'],
};

const PRODUCT_NOUNS: Record<string, string> = {
  beauty: 'serum',
  fashion: 'jacket',
  food: 'snack box',
  gaming: 'controller',
  music: 'earbuds',
  dance: 'sneakers',
  comedy: 'tee',
  pets: 'pet bed',
  travel: 'suitcase',
  fitness: 'yoga mat',
  tech: 'phone',
  education: 'course',
  sports: 'racket',
  home: 'lamp',
  parenting: 'stroller',
  auto: 'dash cam',
};

function topic(category: string, i: number): string {
  const list = TOPICS[category] ?? ['video'];
  return list[i % list.length]!;
}

type RowsOf<T extends CatalogTable> = Generator<CatalogTables[T][]>;

/** Yields `count` rows in chunks of `size`, built by `row(i)`. */
function* chunked<R>(count: number, size: number, row: (i: number) => R): Generator<R[]> {
  for (let start = 0; start < count; start += size) {
    const end = Math.min(count, start + size);
    const out: R[] = new Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = row(i);
    yield out;
  }
}

/** Catalog rows for one table, streamed in chunks. Ground truth (vectors, quality, ...) is left out. */
export function catalogRows<T extends CatalogTable>(world: World, table: T, size = 10_000): RowsOf<T> {
  const gen = (() => {
    switch (table) {
      case 'creators':
        return chunked(world.creators.count, size, (i): CatalogTables['creators'] => ({
          creator_id: ids.creator(i),
          name: `${world.creators.isKol[i] ? 'KOL ' : ''}${CATEGORIES[world.creators.category[i]!]} creator ${i}`,
          locale: LOCALES[world.creators.locale[i]!]!,
          category: CATEGORIES[world.creators.category[i]!]!,
          is_kol: world.creators.isKol[i]!,
          followers: world.creators.followers[i]!,
        }));
      case 'items':
        return chunked(world.items.count, size, (i): CatalogTables['items'] => {
          const category = CATEGORIES[world.items.category[i]!]!;
          const product = world.items.product[i]!;
          const creator = world.items.creator[i]!;
          return {
            item_id: ids.item(i),
            creator_id: ids.creator(creator),
            title: `${category}: ${topic(category, i)} #${i}`,
            category,
            locale: LOCALES[world.creators.locale[creator]!]!,
            duration_ms: world.items.durationMs[i]!,
            published_at: world.items.publishedAt[i]!,
            product_id: product >= 0 ? ids.product(product) : '',
            available: 1,
          };
        });
      case 'products':
        return chunked(world.products.count, size, (i): CatalogTables['products'] => {
          const category = CATEGORIES[world.products.category[i]!]!;
          return {
            product_id: ids.product(i),
            title: `${category} ${PRODUCT_NOUNS[category] ?? 'item'} ${i}`,
            category,
            price: world.products.priceCents[i]! / 100,
            currency: 'CNY',
            image_url: `https://img.example.com/p/${ids.product(i)}.jpg`,
            seller_id: ids.creator(world.products.seller[i]!),
            stock: world.products.stock[i]!,
            available: world.products.available[i]!,
          };
        });
      case 'live_streams':
        return chunked(world.lives.count, size, (i): CatalogTables['live_streams'] => {
          const creator = world.lives.creator[i]!;
          const product = world.lives.product[i]!;
          return {
            live_id: ids.live(i),
            creator_id: ids.creator(creator),
            product_id: product >= 0 ? ids.product(product) : '',
            title: `${CATEGORIES[world.creators.category[creator]!]} live sale by ${ids.creator(creator)}`,
            starts_at: world.lives.startsAt[i]!,
            ends_at: world.lives.endsAt[i]!,
          };
        });
      case 'users':
        return chunked(world.users.count, size, (i): CatalogTables['users'] => ({
          user_id: ids.user(i),
          locale: LOCALES[world.users.locale[i]!]!,
          segment: SEGMENTS[world.users.segment[i]!]!,
          created_at: world.users.createdAt[i]!,
        }));
      case 'social_edges':
        return socialEdgeRows(world, size);
    }
  })();
  return gen as RowsOf<T>;
}

/** Friendships in both directions, then follows (user -> creator). */
function* socialEdgeRows(world: World, size: number): Generator<CatalogTables['social_edges'][]> {
  let batch: CatalogTables['social_edges'][] = [];
  const lists = [
    { kind: 'friend' as const, csr: world.friends, dst: ids.user },
    { kind: 'follow' as const, csr: world.follows, dst: ids.creator },
  ];
  for (const { kind, csr, dst } of lists) {
    for (let u = 0; u < world.users.count; u++) {
      for (const t of neighbours(csr, u)) {
        batch.push({ kind, src: ids.user(u), dst: dst(t), active: 1 });
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export const CATALOG_TABLES: readonly CatalogTable[] = ['creators', 'products', 'items', 'live_streams', 'users', 'social_edges'];

/** Row counts per table, without generating the rows. */
export function catalogCounts(world: World): Record<CatalogTable, number> {
  return {
    creators: world.creators.count,
    products: world.products.count,
    items: world.items.count,
    live_streams: world.lives.count,
    users: world.users.count,
    social_edges: world.friends.targets.length + world.follows.targets.length,
  };
}
