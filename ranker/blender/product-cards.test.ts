import { describe, expect, it } from 'vitest';
import { contextWith, setup, unbounded } from '../stage-fixtures.ts';
import type { PageEntry } from '../types.ts';
import { productCardBlender } from './product-cards.ts';

describe('product-cards blender', () => {
  it("attaches a video's product only while it can be bought", async () => {
    const s = setup({}, { productShare: 1 });
    const { ctx, candidates } = contextWith(
      s.pipeline,
      'u1',
      ['v0', 'v1', 'v2'].map((id) => ({ id, source: 'ann' })),
    );
    const product = (id: string) => s.catalog.itemProduct[s.catalog.items.row(id)]!;
    s.catalog.productAvailable[product('v1')] = 0;
    s.catalog.productStock[product('v2')] = 0;
    const page: PageEntry[] = candidates.map((candidate) => ({ type: 'video', candidate, productRow: -1 }));
    const out = await productCardBlender.blend(ctx, page, 3, unbounded);
    expect(out.map((e) => (e.type === 'video' ? e.productRow : null))).toEqual([product('v0'), -1, -1]);
  });
});
