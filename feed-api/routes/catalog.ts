import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { FeedError } from '../../core/errors.ts';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import type { PoolStanding } from '../../ranker/traffic-pool.ts';
import { buyUrl, itemFields, productCard } from '../render.ts';
import type { RouteModule } from '../app.ts';
import { ItemFieldsSchema, ProductCardSchema } from '../feed-response.ts';
import { errorResponses, jsonContent } from '../openapi.ts';
import { IdSchema } from './feed.ts';

const ItemSchema = ItemFieldsSchema.extend({
  available: z.boolean(),
  product: ProductCardSchema.nullable().describe('attached product, when it can be bought now'),
  stats: z.object({ impressions: z.number(), plays: z.number(), completions: z.number(), likes: z.number(), shares: z.number(), purchases: z.number() }),
  traffic_pool: z
    .object({
      tier: z.string().nullable().describe('the traffic-pool tier whose audience it gets now (e.g. first-audience, pool-2)'),
      stopped: z.string().nullable().describe('why its audience stopped it from the next tier'),
    })
    .describe('both null: older than the pool window (ranker.trafficPool.maxAgeHours), retired, or past the last tier'),
});

const ProductSchema = z.object({
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

const notFound = (what: string, id: string) => new FeedError('not_found', `no ${what} ${id}`);

const itemRoute = createRoute({
  method: 'get',
  path: '/v1/items/{id}',
  summary: 'A video with its product card, long-term stats and traffic-pool standing',
  request: { params: ParamSchema },
  responses: { 200: jsonContent('found', ItemSchema), ...errorResponses({ 400: 'invalid id', 404: 'unknown id' }) },
});

const productRoute = createRoute({
  method: 'get',
  path: '/v1/products/{id}',
  summary: 'A product with price, stock and in-app buy link',
  request: { params: ParamSchema },
  responses: { 200: jsonContent('found', ProductSchema), ...errorResponses({ 400: 'invalid id', 404: 'unknown id' }) },
});

/** GET /v1/items/:id and GET /v1/products/:id from the serving catalog (no database round trip). */
export function catalogRoutes(deps: { catalog: () => ServingCatalog; poolStatus: (row: number) => PoolStanding }): RouteModule {
  return {
    name: 'catalog',
    register(app) {
      app.openapi(itemRoute, (c) => {
        const { id } = c.req.valid('param');
        const catalog = deps.catalog();
        const i = catalog.items.row(id);
        if (i < 0) throw notFound('item', id);
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
          traffic_pool: deps.poolStatus(i),
        };
        return c.json(body, 200);
      });

      app.openapi(productRoute, (c) => {
        const { id } = c.req.valid('param');
        const catalog = deps.catalog();
        const p = catalog.products.row(id);
        if (p < 0) throw notFound('product', id);
        const body: z.infer<typeof ProductSchema> = { ...catalog.productRow(p), available: catalog.isProductBuyable(p), buy_url: buyUrl(id) };
        return c.json(body, 200);
      });
    },
  };
}
