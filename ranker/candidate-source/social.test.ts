import { describe, expect, it } from 'vitest';
import { request, setup, unbounded } from '../stage-fixtures.ts';
import { event } from '../testing.ts';
import { socialSource } from './social.ts';

describe('social source', () => {
  it("friends' positive engagements and purchases, a purchase counting double", async () => {
    const s = setup();
    // u1's friends are u0 and u2 (makeWorld).
    s.online.apply([
      event('like', 'u2', { item_id: 'v5' }),
      event('like', 'u0', { item_id: 'v5' }),
      event('purchase', 'u0', { item_id: 'v6', product_id: 'p1', price: 10, quantity: 1 }),
      event('like', 'u9', { item_id: 'v7' }),
    ]);
    const hits = await socialSource.fetch(s.pipeline.contextFor(request('u1')), 10, unbounded);
    expect(hits.map((h) => [s.catalog.items.id(h.row), h.score])).toEqual([
      ['v6', 3],
      ['v5', 2],
    ]);
  });
});
