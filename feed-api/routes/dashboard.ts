import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ClickHouseClient } from '../../storage/clickhouse.ts';
import { queryRows, sql } from '../../storage/sql.ts';
import { BenchResultSchema, readResults, type BenchResult } from '../../benchmarks/harness/result.ts';
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { listVersions, promote, readPointer, RegistryError, rollback } from '../../models/registry.ts';
import type { RouteModule } from '../app.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { ApiError } from '../errors.ts';
import { parseJson, parseQuery } from '../validate.ts';

/**
 * JSON the team dashboard reads (admin key): live figures from ClickHouse, benchmark results,
 * the model registry with promote / rollback, plus GET /v1/demo/users (any key) for the feed app's user picker.
 *
 * Request values reach SQL only through storage/sql.ts bound parameters.
 */
export interface DashboardDeps {
  config: Config;
  clickhouse: ClickHouseClient;
  /** Where benchmark scripts and the simulator write their JSON results. */
  resultsDir?: string;
}

const ModelVersionSchema = z.object({
  version: z.string(),
  created_at: z.number().describe('epoch ms'),
  backend: z.string().describe('tfjs backend it was trained on'),
  models: z.array(z.string()).describe('models this version holds, e.g. "retrieval", "ranker <- v2026..."'),
  metrics: z.record(z.string(), z.number()).describe('offline evaluation metrics, flattened: retrieval.recall@50, ranker.auc_complete, ...'),
  events: z.number().describe('training events'),
  promoted: z.boolean(),
});

const ModelsViewSchema = z.object({
  promoted: z.string().nullable(),
  /** The version a rollback would restore. */
  rollback_to: z.string().nullable(),
  /** Newest first. */
  versions: z.array(ModelVersionSchema),
});
export type ModelsView = z.infer<typeof ModelsViewSchema>;

/** Numeric leaves of a metrics object as dotted names. */
export function flattenMetrics(value: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === 'number' && Number.isFinite(value)) out[prefix] = value;
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenMetrics(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export function modelsView(config: Config): ModelsView {
  const pointer = readPointer(config);
  const versions = listVersions(config)
    .reverse()
    .map((m) => ({
      version: m.version,
      created_at: Date.parse(m.created_at),
      backend: m.backend,
      models: Object.entries(m.models).map(([kind, e]) => (e?.inherited_from ? `${kind} <- ${e.inherited_from}` : kind)),
      metrics: flattenMetrics(m.metrics),
      events: m.data_range?.events ?? 0,
      promoted: m.version === pointer.version,
    }));
  return { promoted: pointer.version, rollback_to: pointer.history.at(-1) ?? null, versions };
}

/** Registry refusals as API errors: malformed version names are 400, unknown versions 404, the rest 409. */
function registryCall(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    if (/^invalid version name/.test(err.message)) throw new ApiError(400, 'invalid_request', `body.version: ${err.message}`, [{ field: 'body.version', message: err.message }]);
    throw new ApiError(/unknown model version/.test(err.message) ? 404 : 409, 'registry_refused', err.message);
  }
}

const PromoteBody = z.object({ version: z.string().min(1).max(128) });

/** Sessions end after this much inactivity. */
export const SESSION_GAP_S = 30 * 60;

const WindowQuery = z.object({
  minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60),
});

const MinutePoint = z.object({ t: z.number().describe('bucket start, epoch seconds'), kind: z.string(), per_minute: z.number() });
const LiveSchema = z.object({
  window_minutes: z.number(),
  bucket_minutes: z.number(),
  series: z.array(MinutePoint),
  /** Catalog rows written per minute, `kind` being the table (repeated writes of one id that ClickHouse already merged count once). */
  catalog_series: z.array(MinutePoint),
  totals: z.object({
    events: z.number(), users: z.number(), impressions: z.number(), plays: z.number(), completions: z.number(),
    likes: z.number(), shares: z.number(), product_clicks: z.number(), purchases: z.number(), gmv: z.number(), watch_ms: z.number(),
  }),
  rates: z.object({ completion: z.number(), like: z.number(), purchase: z.number() }),
  sessions: z.object({
    count: z.number(), watch_ms_mean: z.number(), watch_ms_p50: z.number(), watch_ms_p90: z.number(),
    histogram: z.array(z.object({ upto_s: z.number().nullable().describe('null: the open last bucket'), sessions: z.number() })),
  }),
});
export type LiveFigures = z.infer<typeof LiveSchema>;

const UsersQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(12) });
const UsersSchema = z.object({
  users: z.array(z.object({ user_id: z.string(), locale: z.string(), segment: z.string(), events: z.number() })),
});

const ResultsSchema = z.object({
  results: z.array(BenchResultSchema),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
});

/** Bucket width that keeps a chart under ~200 points. */
export function bucketMinutes(windowMinutes: number): number {
  if (windowMinutes <= 180) return 1;
  if (windowMinutes <= 48 * 60) return 60;
  return 24 * 60;
}

const num = (v: unknown) => Number(v ?? 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Session watch-time histogram upper bounds, seconds (the last bucket is open). */
const SESSION_BUCKETS_S = [30, 60, 120, 300, 600, 1200, 1800, 3600];

export async function liveFigures(client: ClickHouseClient, minutes: number): Promise<LiveFigures> {
  const bucket = bucketMinutes(minutes);
  const windowS = minutes * 60;
  const bucketS = bucket * 60;
  return withContext(`dashboard figures for the last ${minutes} minutes`, async () => {
    const catalogSince = (table: string) =>
      `SELECT toUInt32(intDiv(toUInt32(updated_at), ${bucketS}) * ${bucketS}) AS t, '${table}' AS kind FROM ${table} WHERE updated_at >= now() - ${windowS}`;
    const [series, catalogSeries, totals, sessions] = await Promise.all([
      // Buckets are aligned to UTC epoch multiples, so minutes, hours and days mean the same everywhere.
      queryRows<{ t: number; kind: string; n: string }>(
        client,
        sql`SELECT toUInt32(intDiv(toUInt32(ts), ${bucketS}) * ${bucketS}) AS t, kind, count() AS n
            FROM events WHERE ts >= now() - ${windowS} GROUP BY t, kind ORDER BY t, kind`,
      ),
      // Table names and the integers are this module's constants, not request values.
      queryRows<{ t: number; kind: string; n: string }>(client, {
        strings: [`SELECT t, kind, count() AS n FROM (${['items', 'products', 'creators', 'live_streams'].map(catalogSince).join(' UNION ALL ')}) GROUP BY t, kind ORDER BY t, kind`],
        values: [],
      }),
      queryRows<Record<string, string | number>>(
        client,
        sql`SELECT count() AS events, uniq(user_id) AS users,
           countIf(kind = 'impression') AS impressions, countIf(kind = 'play') AS plays,
           countIf(kind = 'complete') AS completions, countIf(kind = 'like') AS likes,
           countIf(kind = 'share') AS shares, countIf(kind = 'product_click') AS product_clicks,
           countIf(kind = 'purchase') AS purchases, sumIf(price * quantity, kind = 'purchase') AS gmv,
           sumIf(toUInt64(watch_ms), kind = 'play') AS watch_ms
         FROM events WHERE ts >= now() - ${windowS}`,
      ),
      // A session is a user's run of events with no gap longer than SESSION_GAP_S; arrays
      // instead of window functions so that it runs on ClickHouse 18.16.
      queryRows<{ watch_ms: string }>(
        client,
        sql`SELECT sum(w) AS watch_ms FROM (
           SELECT user_id, arraySort(e -> e.1, groupArray((toUInt32(ts), if(kind = 'play', toUInt64(watch_ms), toUInt64(0))))) AS evs,
             arrayCumSum(arrayMap(d -> if(d > ${SESSION_GAP_S}, 1, 0), arrayDifference(arrayMap(e -> toInt64(e.1), evs)))) AS idx
           FROM events WHERE ts >= now() - ${windowS} GROUP BY user_id
         ) ARRAY JOIN arrayMap(e -> e.2, evs) AS w, idx AS session
         GROUP BY user_id, session`,
      ),
    ]);
    const t = totals[0] ?? {};
    const tot = {
      events: num(t.events), users: num(t.users), impressions: num(t.impressions), plays: num(t.plays),
      completions: num(t.completions), likes: num(t.likes), shares: num(t.shares),
      product_clicks: num(t.product_clicks), purchases: num(t.purchases), gmv: num(t.gmv), watch_ms: num(t.watch_ms),
    };
    const watch = sessions.map((s) => num(s.watch_ms)).sort((a, b) => a - b);
    const quantile = (q: number) => (watch.length ? (watch[Math.min(watch.length - 1, Math.floor(q * watch.length))] ?? 0) : 0);
    const histogram = [...SESSION_BUCKETS_S, Infinity].map((upto, i) => {
      const lo = i === 0 ? -1 : (SESSION_BUCKETS_S[i - 1] ?? 0);
      return { upto_s: Number.isFinite(upto) ? upto : null, sessions: watch.filter((ms) => ms / 1000 > lo && ms / 1000 <= upto).length };
    });
    return {
      window_minutes: minutes,
      bucket_minutes: bucket,
      series: series.map((r) => ({ t: num(r.t), kind: r.kind, per_minute: num(r.n) / bucket })),
      catalog_series: catalogSeries.map((r) => ({ t: num(r.t), kind: r.kind, per_minute: num(r.n) / bucket })),
      totals: tot,
      rates: {
        completion: ratio(tot.completions, tot.plays),
        like: ratio(tot.likes, tot.impressions),
        purchase: ratio(tot.purchases, tot.impressions),
      },
      sessions: {
        count: watch.length,
        watch_ms_mean: ratio(watch.reduce((a, b) => a + b, 0), watch.length),
        watch_ms_p50: quantile(0.5),
        watch_ms_p90: quantile(0.9),
        histogram,
      },
    };
  });
}

/** Users to try the feed as: the most active in the last week first, then any. */
export async function sampleUsers(client: ClickHouseClient, limit: number): Promise<z.infer<typeof UsersSchema>['users']> {
  return withContext('listing demo users', async () => {
    const found = await queryRows<{ user_id: string; locale: string; segment: string; events: string }>(
      client,
      sql`SELECT u.user_id AS user_id, u.locale AS locale, u.segment AS segment, a.events AS events
       FROM (SELECT user_id, any(locale) AS locale, any(segment) AS segment FROM users GROUP BY user_id) AS u
       ANY LEFT JOIN (SELECT user_id, count() AS events FROM events WHERE ts >= now() - INTERVAL 7 DAY GROUP BY user_id) AS a
       USING (user_id)
       ORDER BY events DESC, user_id LIMIT 100`,
    );
    return found.slice(0, limit).map((u) => ({ ...u, events: num(u.events) }));
  });
}

/**
 * The newest result of each benchmark (a full run over a smoke run), newest first, and the
 * files that could not be read. The simulator's policy comparison is one of these results.
 */
export function latestResults(dir: string): { results: BenchResult[]; skipped: { file: string; reason: string }[] } {
  const { results, skipped } = readResults(dir);
  const latest = new Map<string, BenchResult>();
  for (const r of results) {
    const held = latest.get(r.benchmark);
    if (!held || !r.smoke || held.smoke) latest.set(r.benchmark, r);
  }
  return { results: [...latest.values()].sort((a, b) => b.date.localeCompare(a.date)), skipped };
}

const defaultResultsDir = fileURLToPath(new URL('../../benchmarks/results/', import.meta.url));

export function dashboardRoutes(deps: DashboardDeps): RouteModule {
  const resultsDir = deps.resultsDir ?? defaultResultsDir;
  return {
    name: 'dashboard',
    register(app, openapi) {
      app.use('/v1/admin/dashboard/*', requireAdmin());

      openapi.registerPath({
        method: 'get',
        path: '/v1/admin/dashboard/live',
        summary: 'Dashboard figures over the last N minutes: events per minute by kind, rates, GMV, session watch time',
        request: { query: WindowQuery },
        responses: { 200: { description: 'figures', content: { 'application/json': { schema: LiveSchema } } } },
      });
      app.get('/v1/admin/dashboard/live', async (c) => {
        const { minutes } = parseQuery(c, WindowQuery);
        return c.json(await liveFigures(deps.clickhouse, minutes));
      });

      openapi.registerPath({
        method: 'get',
        path: '/v1/admin/dashboard/results',
        summary: 'Latest benchmark and simulator results (JSON files under benchmarks/results/)',
        responses: { 200: { description: 'results, newest first', content: { 'application/json': { schema: ResultsSchema } } } },
      });
      app.get('/v1/admin/dashboard/results', (c) => c.json(latestResults(resultsDir)));

      const viewResponse = { 200: { description: 'registry versions', content: { 'application/json': { schema: ModelsViewSchema } } } };
      openapi.registerPath({ method: 'get', path: '/v1/admin/dashboard/models', summary: 'Model versions with offline metrics', responses: viewResponse });
      app.get('/v1/admin/dashboard/models', (c) => c.json(modelsView(deps.config)));

      openapi.registerPath({
        method: 'post',
        path: '/v1/admin/dashboard/models/promote',
        summary: 'Serve a model version (serving processes hot-reload it), like `feed models promote`',
        request: { body: { required: true, content: { 'application/json': { schema: PromoteBody } } } },
        responses: viewResponse,
      });
      app.post('/v1/admin/dashboard/models/promote', async (c) => {
        const { version } = await parseJson(c, PromoteBody);
        registryCall(() => promote(deps.config, version));
        return c.json(modelsView(deps.config));
      });

      openapi.registerPath({
        method: 'post',
        path: '/v1/admin/dashboard/models/rollback',
        summary: 'Serve the previously promoted version again, like `feed models rollback`',
        responses: viewResponse,
      });
      app.post('/v1/admin/dashboard/models/rollback', (c) => {
        registryCall(() => rollback(deps.config));
        return c.json(modelsView(deps.config));
      });

      openapi.registerPath({
        method: 'get',
        path: '/v1/demo/users',
        summary: 'Catalog users to try the feed as, most active first (for the web app)',
        request: { query: UsersQuery },
        responses: { 200: { description: 'users', content: { 'application/json': { schema: UsersSchema } } } },
      });
      app.get('/v1/demo/users', async (c) => {
        const { limit } = parseQuery(c, UsersQuery);
        return c.json({ users: await sampleUsers(deps.clickhouse, limit) });
      });
    },
  };
}
