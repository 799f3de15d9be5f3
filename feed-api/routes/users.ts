import type { ClickHouseClient } from '@clickhouse/client';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { FeedError, isFeedError } from '../../core/errors.ts';
import { childLogger } from '../../core/logger.ts';
import type { CatalogMessage, CatalogProducer } from '../../ingest/catalog-writes.ts';
import { queryRows, runCommand } from '../../storage/sql.ts';
import { personalData } from '../../storage/personal-data.ts';
import type { RouteModule } from '../app.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { errorResponses, jsonContent } from '../openapi.ts';
import { IdSchema } from './feed.ts';

const DeletedSchema = z.object({
  user_id: z.string(),
  tables: z.array(z.string()).describe('ClickHouse tables with a delete mutation submitted; rows are gone when the mutations finish (seconds)'),
  online_state: z.literal('forgotten on every replica'),
});
const ParamSchema = z.object({ id: IdSchema });

const log = childLogger('users-api');

/** ClickHouse unreachable or failing: 503, so the caller retries (both routes are safe to repeat). */
async function clickhouse<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    log.warn({ err: `${what}: ${(err as Error).message}` }, 'ClickHouse failed a people’s-data request');
    throw new FeedError('clickhouse_unavailable', `${what} failed; retry`, { cause: err, retryAfterS: 5 });
  }
}

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/users/{id}/export',
  summary: 'Everything held about a person, as JSON lines `{"table": ..., "row": {...}}` (admin key)',
  middleware: [requireAdmin()],
  request: { params: ParamSchema },
  responses: {
    200: { description: 'one line per row; empty when nothing is held', content: { 'application/x-ndjson': { schema: z.string() } } },
    ...errorResponses({ 400: 'invalid id', 403: 'not an admin key', 503: 'ClickHouse unavailable; retry' }),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/users/{id}',
  summary: "Delete a person's data (admin key): events, profile, social edges and daily stats in ClickHouse, online state on every replica",
  middleware: [requireAdmin()],
  request: { params: ParamSchema },
  responses: {
    202: jsonContent('mutations submitted and the deletion acknowledged by Kafka', DeletedSchema),
    ...errorResponses({ 400: 'invalid id', 403: 'not an admin key', 503: 'ClickHouse or Kafka unavailable; retry (deleting twice is harmless)' }),
  },
});

/**
 * A person's data (admin keys): `GET /v1/users/:id/export` returns every row held about them
 * as JSON lines; `DELETE /v1/users/:id` submits ClickHouse delete mutations for those rows and
 * sends a deletion through the catalog topic, so every replica forgets their online state.
 */
export function usersRoutes(deps: { clickhouse: ClickHouseClient; producer: CatalogProducer; apply: (messages: CatalogMessage[]) => void }): RouteModule {
  return {
    name: 'users',
    register(app) {
      app.openapi(exportRoute, async (c) => {
        const { id } = c.req.valid('param');
        const lines: string[] = [];
        for (const { table, select } of personalData(id)) {
          const rows = await clickhouse(`exporting ${table} rows of a user`, () => queryRows<Record<string, unknown>>(deps.clickhouse, select));
          for (const row of rows) lines.push(JSON.stringify({ table, row }));
        }
        const body = c.body(lines.length ? `${lines.join('\n')}\n` : '', 200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
        // @hono/zod-openapi types "application/x-ndjson" as a JSON media type it cannot match; this body is text.
        return body as never;
      });

      app.openapi(deleteRoute, async (c) => {
        const { id } = c.req.valid('param');
        const data = personalData(id);
        for (const { table, remove } of data) await clickhouse(`deleting ${table} rows of a user`, () => runCommand(deps.clickhouse, remove));
        const message: CatalogMessage = { forget_user: id, at: Date.now() };
        try {
          await deps.producer.send([message]);
        } catch (err) {
          if (!isFeedError(err, 'kafka_unavailable')) throw err;
          log.warn({ err: err.message }, 'user deletion not acknowledged by Kafka');
          throw new FeedError('kafka_unavailable', 'the ClickHouse rows are being deleted, but the replicas were not told; retry', { cause: err, retryAfterS: 1 });
        }
        deps.apply([message]);
        log.info({ user_id: id }, 'user data deleted');
        const body: z.infer<typeof DeletedSchema> = { user_id: id, tables: data.map((d) => d.table), online_state: 'forgotten on every replica' };
        return c.json(body, 202);
      });
    },
  };
}
