import type { CatalogView } from '../ranker/catalog/catalog-view.ts';
import type { PageEntry } from '../ranker/types.ts';
import type { FeedEntry, ItemFields, ProductCard } from './feed-response.ts';

/** In-app deep link to buy a product; buying never leaves the app. */
export function buyUrl(productId: string, itemId?: string): string {
  return `app://checkout/${encodeURIComponent(productId)}${itemId ? `?item_id=${encodeURIComponent(itemId)}` : ''}`;
}

export function productCard(catalog: CatalogView, row: number, itemId?: string): ProductCard {
  const id = catalog.products.id(row);
  return {
    product_id: id,
    title: catalog.productTitle[row] ?? id,
    price: catalog.productPrice[row]!,
    currency: catalog.currencies.value(catalog.productCurrency[row]!),
    image_url: catalog.productImage[row] ?? '',
    buy_url: buyUrl(id, itemId),
  };
}

/** A video's catalog fields as the API shows them. */
export function itemFields(catalog: CatalogView, row: number): ItemFields {
  const { product_id: _product, available: _available, ...fields } = catalog.itemRow(row);
  return fields;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** Turns the ranker's page entries (catalog rows) into the response contract (feed-response.ts). */
export function renderEntries(catalog: CatalogView, page: readonly PageEntry[]): FeedEntry[] {
  return page.map((e, position): FeedEntry => {
    if (e.type === 'video') {
      const c = e.candidate;
      const s = c.signals;
      return {
        type: 'video',
        ...itemFields(catalog, c.row),
        product: e.productRow >= 0 ? productCard(catalog, e.productRow, c.itemId) : null,
        social: {
          friends_engaged: s?.friends_engaged ?? 0,
          friends_purchased: s?.friends_purchased ?? 0,
          followed_creator: s?.followed_creator ?? false,
        },
        position,
        source: c.source,
        exploration: c.explored === true,
        promoted: c.promoted === true,
        score: round(c.score),
      };
    }
    if (e.type === 'product') {
      return {
        type: 'product',
        product: productCard(catalog, e.productRow),
        creator_id: e.creatorRow >= 0 ? catalog.creators.id(e.creatorRow) : null,
        position,
        source: e.source,
        score: round(e.value),
      };
    }
    const live = catalog.lives[e.liveIndex]!;
    return {
      type: 'live',
      live_id: live.live_id,
      creator_id: live.creator_id,
      title: live.title,
      product: catalog.isProductBuyable(live.product) ? productCard(catalog, live.product) : null,
      position,
      source: e.source,
      score: round(e.value),
    };
  });
}
