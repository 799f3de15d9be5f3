import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/stack.ts';
import { ModelHolder } from '../models.ts';
import { catalogFromRows, fakeModels, makeWorld } from '../testing.ts';
import { IdIndex } from '../../core/columns.ts';

describe('ServingCatalog', () => {
  const config = testConfig();
  const nowSec = Math.floor(Date.now() / 1000);

  it('indexes rows into typed columns with id maps and derived lists', () => {
    const rows = makeWorld({ items: 120, creators: 12, users: 6 });
    const catalog = catalogFromRows(rows, config, nowSec);
    expect(catalog.size).toMatchObject({ items: 120, creators: 12, users: 6, lives: 2 });
    const row = catalog.items.row('v13');
    expect(catalog.creators.id(catalog.itemCreator[row]!)).toBe('c1');
    expect(catalog.creatorItems[catalog.creators.row('c1')]!.length).toBe(10);
    const published = [...catalog.creatorItems[catalog.creators.row('c1')]!].map((r) => catalog.itemPublished[r]!);
    expect(published).toEqual([...published].sort((a, b) => b - a));
    expect(catalog.follows.get('u0')).toEqual(new Set([catalog.creators.row('c0')]));
    expect(catalog.friends.get('u0')).toEqual(new Set(['u1', 'u5']));
    expect(catalog.freshItems.length).toBe(0);
  });

  it('ignores a row older than the version it holds (a catalog write then an older ClickHouse row)', () => {
    const rows = makeWorld({ items: 20, creators: 4 });
    const catalog = catalogFromRows(rows, config, nowSec);
    const row = catalog.items.row('v3');
    catalog.upsertItems([{ ...rows.items[3]!, available: 0, updated_at: nowSec + 1 }]);
    catalog.upsertItems([{ ...rows.items[3]!, available: 1, updated_at: nowSec }]);
    expect(catalog.itemAvailable[row]).toBe(0);
    catalog.upsertItems([{ ...rows.items[3]!, title: 'renamed', available: 0, updated_at: nowSec + 1 }]);
    expect(catalog.itemRow(row)).toMatchObject({ item_id: 'v3', title: 'renamed', available: 0 });
  });

  it('tells listeners about new items and forgets an erased person', () => {
    const rows = makeWorld({ items: 20, creators: 4, users: 6 });
    const catalog = catalogFromRows(rows, config, nowSec);
    const seen: number[][] = [];
    const stop = catalog.onNewItems((r) => seen.push([...r]));
    catalog.indexNewItems(catalog.upsertItems([{ ...rows.items[0]!, item_id: 'fresh-1', published_at: nowSec }]));
    stop();
    catalog.indexNewItems(catalog.upsertItems([{ ...rows.items[0]!, item_id: 'fresh-2', published_at: nowSec }]));
    expect(seen).toEqual([[catalog.items.row('fresh-1')]]);
    expect(catalog.userProfile('u0').known).toBe(true);
    catalog.eraseUser('u0');
    expect(catalog.userProfile('u0').known).toBe(false);
    expect(catalog.follows.has('u0')).toBe(false);
    expect([...catalog.friends.values()].some((f) => f.has('u0'))).toBe(false);
  });

  it('applies availability changes in place and indexes new items without a full reindex', () => {
    const rows = makeWorld({ items: 60, creators: 6 });
    const catalog = catalogFromRows(rows, config, nowSec);
    const changed = { ...rows.items[3]!, available: 0 };
    const added = { ...rows.items[0]!, item_id: 'brand-new', published_at: nowSec - 10 };
    const created = catalog.upsertItems([changed, added]);
    expect(created).toEqual([catalog.items.row('brand-new')]);
    expect(catalog.itemAvailable[catalog.items.row('v3')]).toBe(0);
    catalog.indexNewItems(created);
    expect(catalog.freshItems[0]).toBe(catalog.items.row('brand-new'));
    expect(catalog.creatorItems[catalog.itemCreator[catalog.items.row('brand-new')]!]![0]).toBe(catalog.items.row('brand-new'));
    const product = catalog.products.row(rows.products[0]!.product_id);
    catalog.upsertProducts([{ ...rows.products[0]!, stock: 0 }]);
    expect(catalog.isProductBuyable(product)).toBe(false);
  });

  it('ranks popular items per locale from long-term stats', () => {
    const rows = makeWorld({ items: 50, creators: 5, locales: ['en'] });
    const catalog = catalogFromRows(rows, config, nowSec);
    catalog.stats.apply(catalog, [
      { item_id: 'v7', impressions: 100, plays: 90, watch_ms: 900_000, completions: 60, likes: 30, shares: 5, skips: 2, purchases: 0, gmv: 0 },
      { item_id: 'v9', impressions: 100, plays: 90, watch_ms: 100_000, completions: 10, likes: 1, shares: 0, skips: 50, purchases: 0, gmv: 0 },
    ]);
    catalog.reindexPopular(10, nowSec);
    const list = [...catalog.popularByLocale.get(catalog.locales.find('en'))!].map((r) => catalog.items.id(r));
    expect(list).toHaveLength(10);
    expect(list[0]).toBe('v7');
    expect(list).not.toContain('v9');
  });

  it('computes the same popular lists in slices as in one pass', async () => {
    // Three slices of POPULAR_SLICE (20,000) rows, the last one partial.
    const rows = makeWorld({ items: 50_000, creators: 50, locales: ['en', 'zh'] });
    const catalog = catalogFromRows(rows, config, nowSec);
    catalog.stats.apply(
      catalog,
      Array.from({ length: 1300 }, (_, k) => ({
        item_id: `v${k * 37}`,
        impressions: 100,
        plays: k % 90,
        watch_ms: 1000,
        completions: k % 13,
        likes: k % 7,
        shares: 0,
        skips: k % 5,
        purchases: 0,
        gmv: 0,
      })),
    );
    const once = catalog.stats.popularByLocale(catalog, 100);
    const sliced = await catalog.stats.popularByLocaleInSlices(catalog, 100);
    expect([...sliced.keys()].sort()).toEqual([...once.keys()].sort());
    for (const [loc, list] of once) expect(Array.from(sliced.get(loc)!)).toEqual(Array.from(list));
  });
});

describe('ModelHolder', () => {
  it('adds vectors of new items to the live ANN index, once', async () => {
    const holder = new ModelHolder(testConfig(), new IdIndex());
    const ids = ['a', 'b', 'c'];
    await holder.swap(fakeModels('m', ids, 4));
    const extra = fakeModels('m', ['a', 'z'], 4);
    expect(holder.addItemVectors(extra.itemIds, extra.itemVectors)).toBe(1);
    expect(holder.current!.ann.size).toBe(4);
    const z = extra.itemVectors.subarray(4, 8);
    expect(holder.current!.ann.search(z, 1)[0]![0]!.id).toBe('z');
    expect(holder.addItemVectors(['z'], z)).toBe(0);
    await holder.clear();
    expect(holder.current).toBeUndefined();
  });
});
