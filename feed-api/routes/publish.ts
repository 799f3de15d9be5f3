import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { FeedError, isFeedError } from '../../core/errors.ts';
import { childLogger } from '../../core/logger.ts';
import { parseCatalogRow, rowId, WRITABLE, WRITABLE_TABLES, type CatalogMessage, type CatalogProducer, type CatalogWrite } from '../../ingest/catalog-writes.ts';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import type { RouteModule } from '../app.ts';
import { ErrorSchema } from '../errors.ts';
import { requirePublisher } from '../middleware/auth.ts';
import { batchSchema, errorResponses, jsonContent } from '../openapi.ts';
import { jsonBody } from '../validate.ts';
import { IdSchema } from './feed.ts';

const RejectionSchema = z.object({
  index: z.number().int().describe('position of the row in the request'),
  id: z.string().optional(),
  reason: z.string(),
});
const WriteResponseSchema = z.object({
  accepted: z.array(z.string()).describe('ids acknowledged by Kafka; every serving replica applies them within about a second'),
  rejected: z.array(RejectionSchema),
});
const NoValidRowsSchema = ErrorSchema.extend({ accepted: z.array(z.string()).max(0), rejected: z.array(RejectionSchema) });
const RetiredSchema = z.object({ retired: z.string() });

const log = childLogger('publish-api');

/** Retiring rewrites the current row: items and products become unavailable, a live stream ends now. */
const RETIRABLE = { items: 'item', products: 'product', live_streams: 'live stream' } as const;
type Retirable = keyof typeof RETIRABLE;

/**
 * The version a write of an item or product gets: now, or one second past the version this
 * replica holds. updated_at has one-second resolution, and a retire in the same second as the
 * publish must still win over the publish row read back from ClickHouse.
 */
function nextVersion(catalog: ServingCatalog, w: CatalogWrite): number {
  if (w.table === 'items') {
    const row = catalog.items.row(w.row.item_id);
    return row < 0 ? w.updated_at : Math.max(w.updated_at, catalog.itemVersion[row]! + 1);
  }
  if (w.table === 'products') {
    const row = catalog.products.row(w.row.product_id);
    return row < 0 ? w.updated_at : Math.max(w.updated_at, catalog.productVersion[row]! + 1);
  }
  return w.updated_at;
}

function retiredRow(catalog: ServingCatalog, table: Retirable, id: string, nowSec: number): CatalogWrite | undefined {
  if (table === 'items') {
    const row = catalog.items.row(id);
    return row < 0 ? undefined : { table, row: { ...catalog.itemRow(row), available: 0 }, updated_at: nowSec };
  }
  if (table === 'products') {
    const row = catalog.products.row(id);
    return row < 0 ? undefined : { table, row: { ...catalog.productRow(row), available: 0 }, updated_at: nowSec };
  }
  const live = catalog.lives.find((l) => l.live_id === id);
  if (!live) return undefined;
  const { creator: _c, product: _p, ...row } = live;
  return { table, row: { ...row, starts_at: Math.min(row.starts_at, nowSec), ends_at: Math.min(row.ends_at, nowSec) }, updated_at: nowSec };
}

/**
 * Catalog writes, for publisher and admin keys: `POST /v1/<table>` upserts a batch (create or
 * update; `available: false` retires), `DELETE /v1/<table>/:id` retires one. Writes go to the
 * catalog topic (acks = all) before the answer; this replica applies them at once, the others
 * and ClickHouse through Kafka. Status codes as for events: 200 when at least one row was
 * accepted, 400 when none was, 413 for too many, 415 for a non-JSON body, 503 when Kafka did
 * not acknowledge (retrying the same rows is safe: they are upserts).
 */
export function publishRoutes(deps: {
  config: Config;
  producer: CatalogProducer;
  catalog: ServingCatalog;
  /** Applies accepted writes to this replica at once. */
  apply: (messages: CatalogMessage[]) => void;
}): RouteModule {
  const max = deps.config.api.maxEventsPerBatch;

  async function publish(writes: CatalogWrite[]): Promise<void> {
    const messages = writes.map((w) => ({ ...w, updated_at: nextVersion(deps.catalog, w) }) as CatalogWrite);
    try {
      await deps.producer.send(messages);
    } catch (err) {
      if (!isFeedError(err, 'kafka_unavailable')) throw err;
      log.warn({ err: err.message, writes: messages.length }, 'catalog writes not acknowledged by Kafka');
      throw new FeedError('kafka_unavailable', 'the catalog log did not acknowledge the writes; retry them', { cause: err, retryAfterS: 1 });
    }
    deps.apply(messages);
  }

  return {
    name: 'publish',
    register(app) {
      for (const table of WRITABLE_TABLES) {
        const { schema, idColumn } = WRITABLE[table];
        const route = createRoute({
          method: 'post',
          path: `/v1/${table}`,
          summary: `Create or update ${table}: a JSON array of rows (publisher or admin key; up to ${max}); answers after Kafka acknowledges`,
          middleware: [requirePublisher(), jsonBody()],
          request: { body: { required: true, content: { 'application/json': { schema: batchSchema(app, `${table}_row`, schema, max, 'row') } } } },
          responses: {
            200: jsonContent('at least one row accepted; the others are listed with reasons', WriteResponseSchema),
            400: jsonContent('no valid row, or a malformed body', NoValidRowsSchema),
            ...errorResponses({
              403: 'the key may not write the catalog',
              413: 'body or batch too large',
              415: 'content-type is not application/json',
              503: 'Kafka unavailable; retry',
            }),
          },
        });
        app.openapi(route, async (c) => {
          const raw = c.req.valid('json');
          if (raw.length > max) throw new FeedError('too_many_rows', `a batch may hold at most ${max} rows, got ${raw.length}; split it`);
          const nowSec = Math.floor(Date.now() / 1000);
          const accepted: CatalogWrite[] = [];
          const rejected: z.infer<typeof RejectionSchema>[] = [];
          const ids = new Set<string>();
          raw.forEach((item, index) => {
            const parsed = parseCatalogRow(table, item, nowSec);
            const rawId = (item as Record<string, unknown> | null)?.[idColumn];
            const id = typeof rawId === 'string' && rawId.length <= 64 ? { id: rawId } : {};
            if (!parsed.ok) rejected.push({ index, ...id, reason: parsed.reason });
            else if (ids.has(rowId(parsed.write))) rejected.push({ index, ...id, reason: `${idColumn}: repeated in this batch` });
            else {
              ids.add(rowId(parsed.write));
              accepted.push(parsed.write);
            }
          });
          if (accepted.length === 0) {
            return c.json({ error: { code: 'no_valid_rows', message: `all ${raw.length} rows were rejected; see rejected[]` }, accepted: [], rejected }, 400);
          }
          await publish(accepted);
          return c.json({ accepted: accepted.map(rowId), rejected }, 200);
        });
      }

      for (const [table, what] of Object.entries(RETIRABLE) as [Retirable, string][]) {
        const route = createRoute({
          method: 'delete',
          path: `/v1/${table}/{id}`,
          summary: `Retire a ${what} (publisher or admin key): never served again${table === 'live_streams' ? ' (the stream ends now)' : ''}`,
          middleware: [requirePublisher()],
          request: { params: z.object({ id: IdSchema }) },
          responses: {
            200: jsonContent('retired (acknowledged by Kafka)', RetiredSchema),
            ...errorResponses({ 400: 'invalid id', 403: 'the key may not write the catalog', 404: `unknown ${what}`, 503: 'Kafka unavailable; retry' }),
          },
        });
        app.openapi(route, async (c) => {
          const { id } = c.req.valid('param');
          const write = retiredRow(deps.catalog, table, id, Math.floor(Date.now() / 1000));
          if (!write) throw new FeedError('not_found', `no ${what} ${id}`);
          await publish([write]);
          return c.json({ retired: id }, 200);
        });
      }
    },
  };
}
