import type { Blender } from '../types.ts';

/** Attaches each video's product as an embedded card when it can be bought now (available, in stock). */
export const productCardBlender: Blender = {
  name: 'product-cards',
  kind: 'blender',
  budgetMs: 2,
  failOpen: true,
  blend(ctx, page) {
    return page.map((e) => {
      if (e.type !== 'video') return e;
      const product = ctx.catalog.itemProduct[e.candidate.row]!;
      return { ...e, productRow: ctx.catalog.isProductBuyable(product) ? product : -1 };
    });
  },
};
