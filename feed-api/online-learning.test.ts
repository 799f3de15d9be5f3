import { describe, expect, it } from 'vitest';
import { MemoryOnlineState } from '../ingest/memory-online-state.ts';
import { catalogFromRows, event, makeWorld } from '../ranker/testing.ts';
import { testConfig } from '../test/stack.ts';
import { catalogItemFeatures, TeeOnlineState } from './online-learning.ts';

describe('TeeOnlineState', () => {
  it('applies to the inner state and hands each event to listeners once, even when applied twice', () => {
    const inner = new MemoryOnlineState();
    const tee = new TeeOnlineState(inner);
    const got: string[] = [];
    const stop = tee.onApply((events) => got.push(...events.map((e) => e.event_id)));
    const like = event('like', 'u1', { item_id: 'v1' });
    tee.apply([like]);
    tee.apply([like, event('impression', 'u1', { item_id: 'v2' })]);
    expect(got).toHaveLength(2);
    expect(got[0]).toBe(like.event_id);
    expect(tee.positiveItems('u1', 10)).toEqual(['v1']);
    expect(tee.seenItems('u1').has('v2')).toBe(true);
    stop();
    tee.apply([event('like', 'u1', { item_id: 'v3' })]);
    expect(got).toHaveLength(2);
  });
});

describe('catalogItemFeatures', () => {
  it('describes a catalog item for the item tower, and nothing for unknown ids', () => {
    const config = testConfig();
    const rows = makeWorld({ items: 40, productShare: 1 });
    const catalog = catalogFromRows(rows, config);
    const item = rows.items[5]!;
    const product = rows.products.find((p) => p.product_id === item.product_id)!;
    expect(catalogItemFeatures(catalog, item.item_id)).toEqual({
      item_id: item.item_id,
      category: item.category,
      creator_id: item.creator_id,
      has_product: true,
      price: product.price,
    });
    expect(catalogItemFeatures(catalog, 'nope')).toBeUndefined();
  });
});
