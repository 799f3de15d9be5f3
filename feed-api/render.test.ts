import { describe, expect, it } from 'vitest';
import { testConfig } from '../test/stack.ts';
import { catalogFromRows, makeWorld } from '../ranker/testing.ts';
import { renderEntries } from './render.ts';

describe('renderEntries', () => {
  it('turns catalog rows into response entries: positions, product cards with an in-app buy link, live streams', () => {
    const rows = makeWorld({ productShare: 1 });
    const catalog = catalogFromRows(rows, testConfig());
    const item = rows.items[0]!;
    const row = catalog.items.row(item.item_id);
    const productRow = catalog.products.row(item.product_id);
    const candidate = { row, itemId: item.item_id, source: 'ann', sources: ['ann'], personal: true, sourceScore: 1, purchase: 0, score: 0.1234567891 };
    const entries = renderEntries(catalog, [
      { type: 'video', candidate, productRow },
      { type: 'product', productRow, creatorRow: -1, value: 2, source: 'shoppable' },
    ]);
    expect(entries[0]).toMatchObject({ type: 'video', item_id: item.item_id, creator_id: item.creator_id, position: 0, source: 'ann', score: 0.123457 });
    expect(entries[0]!.type === 'video' && entries[0]!.product?.product_id).toBe(item.product_id);
    expect(entries[1]).toMatchObject({ type: 'product', creator_id: null, position: 1, score: 2 });
    expect(entries[1]!.type === 'product' && entries[1]!.product.buy_url).toBe(`app://checkout/${encodeURIComponent(item.product_id)}`);
  });
});
