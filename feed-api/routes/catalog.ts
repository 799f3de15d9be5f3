import { z } from 'zod';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import { buyUrl, itemFields, productCard } from '../render.ts';
import type { RouteModule } from '../app.ts';
import { ApiError } from '../errors.ts';
import { ItemFieldsSchema, ProductCardSchema } from '../feed-response.ts';
import { IdSchema } from './feed.ts';

export const ItemSchema = ItemFieldsSchema.extend({
  available: z.boolean(),
  product: ProductCardSchema.nullable().describe('attached product, when it can be bought now'),
  stats: z.object({ impressions: z.number(), plays: z.number(), completions: z.number(), likes: z.number(), shares: z.number(), purchases: z.number() }),
});

export const ProductSchema = z.object({
  product_id: z.string(),
  title: z.string(),
  category: z.string(),
  price: z.number(),
  currency: z.string(),
  image_url: z.string(),
  seller_id: z.string(),
  stock: z.number().int(),
  available: z.boolean(),
  buy_url: z.string(),
});

const ParamSchema = z.object({ id: IdSchema });
const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function parseId(raw: string): string {
  const r = ParamSchema.safeParse({ id: raw });
  if (!r.success) throw ApiError.fromZod(r.error, 'path');
  return r.data.id;
}

/** GET /v1/items/:id and GET /v1/products/:id from the serving catalog (no database round trip). */
export function catalogRoutes(deps: { catalog: () => ServingCatalog }): RouteModule {
  return {
    name: 'catalog',
    register(app, openapi) {
      for (const [path, schema, what] of [
        ['/v1/items/{id}', ItemSchema, 'A video with its product card and long-term stats'],
        ['/v1/products/{id}', ProductSchema, 'A product with price, stock and in-app buy link'],
      ] as const) {
        openapi.registerPath({
          method: 'get',
          path,
          summary: what,
          request: { params: ParamSchema },
          responses: {
            200: { description: 'found', content: { 'application/json': { schema } } },
            400: { description: 'invalid id', content: { 'application/json': { schema: ErrorSchema } } },
            404: { description: 'unknown id', content: { 'application/json': { schema: ErrorSchema } } },
          },
        });
      }

      app.get('/v1/items/:id', (c) => {
        const id = parseId(c.req.param('id'));
        const catalog = deps.catalog();
        const i = catalog.items.row(id);
        if (i < 0) throw new ApiError(404, 'not_found', `no item ${id}`);
        const product = catalog.itemProduct[i]!;
        const s = catalog.stats;
        const body: z.infer<typeof ItemSchema> = {
          ...itemFields(catalog, i),
          available: catalog.itemAvailable[i] === 1,
          product: catalog.isProductBuyable(product) ? productCard(catalog, product, id) : null,
          stats: {
            impressions: s.impressions[i] ?? 0,
            plays: s.plays[i] ?? 0,
            completions: s.completions[i] ?? 0,
            likes: s.likes[i] ?? 0,
            shares: s.shares[i] ?? 0,
            purchases: s.purchases[i] ?? 0,
          },
        };
        return c.json(body);
      });

      app.get('/v1/products/:id', (c) => {
        const id = parseId(c.req.param('id'));
        const catalog = deps.catalog();
        const p = catalog.products.row(id);
        if (p < 0) throw new ApiError(404, 'not_found', `no product ${id}`);
        const body: z.infer<typeof ProductSchema> = { ...catalog.productRow(p), available: catalog.isProductBuyable(p), buy_url: buyUrl(id) };
        return c.json(body);
      });
    },
  };
}
