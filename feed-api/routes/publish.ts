import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { childLogger } from '../../core/logger.ts';
import {
  CatalogProduceError,
  parseCatalogRow,
  rowId,
  WRITABLE,
  WRITABLE_TABLES,
  type CatalogMessage,
  type CatalogProducer,
  type CatalogWrite,
} from '../../ingest/catalog-writes.ts';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import type { RouteModule } from '../app.ts';
import { ApiError } from '../errors.ts';
import { requirePublisher } from '../middleware/auth.ts';
import { readJson } from '../validate.ts';
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
const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
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
      if (!(err instanceof CatalogProduceError)) throw err;
      log.warn({ err: err.message, writes: messages.length }, 'catalog writes not acknowledged by Kafka');
      throw new ApiError(503, 'kafka_unavailable', 'the catalog log did not acknowledge the writes; retry them', undefined, { 'retry-after': '1' });
    }
    deps.apply(messages);
  }

  return {
    name: 'publish',
    register(app, openapi) {
      for (const table of WRITABLE_TABLES) {
        const path = `/v1/${table}`;
        const envelope = z.array(z.unknown()).min(1, 'must contain at least one row');
        openapi.registerPath({
          method: 'post',
          path,
          summary: `Create or update ${table}: a JSON array of rows (publisher or admin key; up to ${max}); answers after Kafka acknowledges`,
          request: { body: { required: true, content: { 'application/json': { schema: z.array(WRITABLE[table].schema).min(1).max(max) } } } },
          responses: {
            200: { description: 'at least one row accepted; the others are listed with reasons', content: { 'application/json': { schema: WriteResponseSchema } } },
            400: { description: 'no valid row, or a malformed body', content: { 'application/json': { schema: ErrorSchema } } },
            403: { description: 'the key may not write the catalog', content: { 'application/json': { schema: ErrorSchema } } },
            413: { description: 'body or batch too large', content: { 'application/json': { schema: ErrorSchema } } },
            415: { description: 'content-type is not application/json', content: { 'application/json': { schema: ErrorSchema } } },
            503: { description: 'Kafka unavailable; retry', content: { 'application/json': { schema: ErrorSchema } } },
          },
        });
        app.post(path, requirePublisher(), async (c) => {
          const body = envelope.safeParse(await readJson(c));
          if (!body.success) throw ApiError.fromZod(body.error, 'body');
          const raw = body.data;
          if (raw.length > max) throw new ApiError(413, 'too_many_rows', `a batch may hold at most ${max} rows, got ${raw.length}; split it`);
          const nowSec = Math.floor(Date.now() / 1000);
          const accepted: CatalogWrite[] = [];
          const rejected: z.infer<typeof RejectionSchema>[] = [];
          const ids = new Set<string>();
          raw.forEach((item, index) => {
            const parsed = parseCatalogRow(table, item, nowSec);
            const rawId = (item as Record<string, unknown> | null)?.[WRITABLE[table].idColumn];
            const id = typeof rawId === 'string' && rawId.length <= 64 ? { id: rawId } : {};
            if (!parsed.ok) rejected.push({ index, ...id, reason: parsed.reason });
            else if (ids.has(rowId(parsed.write))) rejected.push({ index, ...id, reason: `${WRITABLE[table].idColumn}: repeated in this batch` });
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
        openapi.registerPath({
          method: 'delete',
          path: `/v1/${table}/{id}`,
          summary: `Retire a ${what} (publisher or admin key): never served again${table === 'live_streams' ? ' (the stream ends now)' : ''}`,
          request: { params: z.object({ id: IdSchema }) },
          responses: {
            200: { description: 'retired (acknowledged by Kafka)', content: { 'application/json': { schema: RetiredSchema } } },
            403: { description: 'the key may not write the catalog', content: { 'application/json': { schema: ErrorSchema } } },
            404: { description: `unknown ${what}`, content: { 'application/json': { schema: ErrorSchema } } },
            503: { description: 'Kafka unavailable; retry', content: { 'application/json': { schema: ErrorSchema } } },
          },
        });
        app.delete(`/v1/${table}/:id`, requirePublisher(), async (c) => {
          const parsed = IdSchema.safeParse(c.req.param('id'));
          if (!parsed.success) throw ApiError.fromZod(parsed.error, 'path.id');
          const write = retiredRow(deps.catalog, table, parsed.data, Math.floor(Date.now() / 1000));
          if (!write) throw new ApiError(404, 'not_found', `no ${what} ${parsed.data}`);
          await publish([write]);
          return c.json({ retired: parsed.data });
        });
      }
    },
  };
}
