import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { listVersions, promote, readPointer, rollback, VERSION_NAME } from '../../models/registry.ts';
import { BenchResultSchema, DEFAULT_RESULTS_DIR, latestResults } from '../../storage/bench-results.ts';
import type { ClickHouseClient } from '../../storage/clickhouse.ts';
import { catalogWritesPerBucket, eventsPerBucket, eventTotals, mostActiveUsers, sessionWatchMs } from '../../storage/dashboard-queries.ts';
import type { RouteModule } from '../app.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { errorResponses, jsonContent } from '../openapi.ts';
import { jsonBody } from '../validate.ts';

/**
 * JSON the team dashboard reads (admin key): live figures from ClickHouse, benchmark results,
 * the model registry with promote / rollback, plus GET /v1/demo/users (any key) for the feed app's user picker.
 * The SQL is in storage/dashboard-queries.ts, the reading of result files in storage/bench-results.ts.
 */
export interface DashboardDeps {
  config: Config;
  clickhouse: ClickHouseClient;
  /** Where benchmark scripts and the simulator write their JSON results; its `latest/` holds the committed ones. */
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

function modelsView(config: Config): ModelsView {
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

const PromoteBody = z.object({ version: z.string().min(1).max(128).regex(VERSION_NAME, 'may contain only letters, digits and _ . -') });

const WindowQuery = z.object({
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
});

const MinutePoint = z.object({ t: z.number().describe('bucket start, epoch seconds'), kind: z.string(), per_minute: z.number() });
const LiveSchema = z.object({
  window_minutes: z.number(),
  bucket_minutes: z.number(),
  series: z.array(MinutePoint),
  /** Catalog rows written per minute, `kind` being the table (repeated writes of one id that ClickHouse already merged count once). */
  catalog_series: z.array(MinutePoint),
  totals: z.object({
    events: z.number(),
    users: z.number(),
    impressions: z.number(),
    plays: z.number(),
    completions: z.number(),
    likes: z.number(),
    shares: z.number(),
    product_clicks: z.number(),
    purchases: z.number(),
    gmv: z.number(),
    watch_ms: z.number(),
  }),
  rates: z.object({ completion: z.number(), like: z.number(), purchase: z.number() }),
  sessions: z.object({
    count: z.number(),
    watch_ms_mean: z.number(),
    watch_ms_p50: z.number(),
    watch_ms_p90: z.number(),
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

async function liveFigures(client: ClickHouseClient, minutes: number): Promise<LiveFigures> {
  const bucket = bucketMinutes(minutes);
  const windowS = minutes * 60;
  const bucketS = bucket * 60;
  return withContext(`dashboard figures for the last ${minutes} minutes`, async () => {
    const [series, catalogSeries, t, sessions] = await Promise.all([
      eventsPerBucket(client, windowS, bucketS),
      catalogWritesPerBucket(client, windowS, bucketS),
      eventTotals(client, windowS),
      sessionWatchMs(client, windowS),
    ]);
    const tot = {
      events: num(t.events),
      users: num(t.users),
      impressions: num(t.impressions),
      plays: num(t.plays),
      completions: num(t.completions),
      likes: num(t.likes),
      shares: num(t.shares),
      product_clicks: num(t.product_clicks),
      purchases: num(t.purchases),
      gmv: num(t.gmv),
      watch_ms: num(t.watch_ms),
    };
    const watch = sessions.sort((a, b) => a - b);
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
        watch_ms_mean: ratio(
          watch.reduce((a, b) => a + b, 0),
          watch.length,
        ),
        watch_ms_p50: quantile(0.5),
        watch_ms_p90: quantile(0.9),
        histogram,
      },
    };
  });
}

/** Users to try the feed as: the most active in the last week first, then any. */
async function sampleUsers(client: ClickHouseClient, limit: number): Promise<z.infer<typeof UsersSchema>['users']> {
  return withContext('listing demo users', async () => (await mostActiveUsers(client)).slice(0, limit));
}

const registryRefusals = errorResponses({
  400: 'not a version name',
  403: 'not an admin key',
  404: 'unknown version',
  409: 'the registry refused: a version without both models, nothing to roll back to',
});

export function dashboardRoutes(deps: DashboardDeps): RouteModule {
  const resultsDir = deps.resultsDir ?? DEFAULT_RESULTS_DIR;
  return {
    name: 'dashboard',
    register(app) {
      app.use('/v1/admin/dashboard/*', requireAdmin());

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/admin/dashboard/live',
          summary: 'Dashboard figures over the last N minutes: events per minute by kind, rates, GMV, session watch time',
          request: { query: WindowQuery },
          responses: { 200: jsonContent('figures', LiveSchema), ...errorResponses({ 400: 'invalid window', 403: 'not an admin key' }) },
        }),
        async (c) => c.json(await liveFigures(deps.clickhouse, c.req.valid('query').minutes), 200),
      );

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/admin/dashboard/results',
          summary: 'Latest benchmark, simulator and evaluation results (the committed benchmarks/results/latest/ and newer local runs)',
          responses: { 200: jsonContent('results, newest first', ResultsSchema) },
        }),
        (c) => c.json(latestResults(resultsDir), 200),
      );

      const view = jsonContent('registry versions', ModelsViewSchema);
      app.openapi(createRoute({ method: 'get', path: '/v1/admin/dashboard/models', summary: 'Model versions with offline metrics', responses: { 200: view } }), (c) =>
        c.json(modelsView(deps.config), 200),
      );

      app.openapi(
        createRoute({
          method: 'post',
          path: '/v1/admin/dashboard/models/promote',
          summary: 'Serve a model version (serving processes hot-reload it), like `feed models promote`',
          middleware: [jsonBody()],
          request: { body: { required: true, content: { 'application/json': { schema: PromoteBody } } } },
          responses: { 200: view, ...registryRefusals },
        }),
        (c) => {
          promote(deps.config, c.req.valid('json').version);
          return c.json(modelsView(deps.config), 200);
        },
      );

      app.openapi(
        createRoute({
          method: 'post',
          path: '/v1/admin/dashboard/models/rollback',
          summary: 'Serve the previously promoted version again, like `feed models rollback`',
          responses: { 200: view, ...registryRefusals },
        }),
        (c) => {
          rollback(deps.config);
          return c.json(modelsView(deps.config), 200);
        },
      );

      app.openapi(
        createRoute({
          method: 'get',
          path: '/v1/demo/users',
          summary: 'Catalog users to try the feed as, most active first (for the web app)',
          request: { query: UsersQuery },
          responses: { 200: jsonContent('users', UsersSchema), ...errorResponses({ 400: 'invalid limit' }) },
        }),
        async (c) => c.json({ users: await sampleUsers(deps.clickhouse, c.req.valid('query').limit) }, 200),
      );
    },
  };
}
