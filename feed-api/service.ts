import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { TIMED_OUT, withContext, withinMs } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { startCatalogFollower, type CatalogFollower } from '../ingest/catalog-follower.ts';
import { createCatalogProducer, type CatalogMessage, type CatalogProducer } from '../ingest/catalog-writes.ts';
import { newReplicaId, startOnlineFollower, type OnlineFollower } from '../ingest/online-follower.ts';
import type { RedisWriter } from '../ingest/redis-writer.ts';
import type { OnlineState } from '../ingest/online-state.ts';
import { createEventProducer, type EventProducer } from '../ingest/producer.ts';
import { initBackend } from '../models/backend.ts';
import { applyCatalogMessages } from '../ranker/catalog/apply-writes.ts';
import { CatalogRefresher, loadServingCatalog } from '../ranker/catalog/loader.ts';
import type { ServingCatalog } from '../ranker/catalog/serving-catalog.ts';
import type { PromotedModels } from '../models/serving.ts';
import { ModelHolder } from '../ranker/models.ts';
import { FeedPipeline } from '../ranker/pipeline.ts';
import { TrafficPool } from '../ranker/traffic-pool.ts';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.ts';
import { kafkaProbe, type KafkaProbe } from '../storage/kafka.ts';
import { ExposureLog } from '../experiments/exposures.ts';
import { ExperimentRouter } from '../experiments/router.ts';
import { runningExperiment, watchRunning, type Experiment } from '../experiments/store.ts';
import { createApp, type RouteModule } from './app.ts';
import { disablePretenuring } from './gc-flags.ts';
import { OnlineLearning, TeeOnlineState } from './online-learning.ts';
import { createOnlineStore } from './online-store.ts';
import type { AppEnv } from './env.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { eventsRoutes } from './routes/events.ts';
import { experimentsRoutes } from './routes/experiments.ts';
import { feedRoutes } from './routes/feed.ts';
import { opsRoutes, type HealthCheck } from './routes/ops.ts';
import { publishRoutes } from './routes/publish.ts';
import { usersRoutes } from './routes/users.ts';
import { webRoutes } from './routes/web.ts';
import { listen, type RunningServer } from './server.ts';

/** Where promoted models come from (the model registry in production, fixtures in tests). */
export interface ModelSource {
  load(): Promise<PromotedModels | undefined>;
  /** Calls `onChange` with each newly promoted version (undefined: none promoted); returns a stop function. */
  watch(onChange: (models: PromotedModels | undefined) => void): () => void | Promise<void>;
  /** Loads one version, promoted or not (experiment arms pinned to a version). */
  loadVersion?(version: string): Promise<PromotedModels>;
}

export interface FeedServiceOptions {
  /** A prebuilt catalog (tests, benchmarks); default: loaded from ClickHouse and refreshed periodically. */
  catalog?: ServingCatalog;
  /** Default: from `online.store` (in process, or users in Redis), kept current by the Kafka stream follower. */
  online?: OnlineState;
  /** Follow the Kafka stream into the online state (default: when `online` is not given). */
  followStream?: boolean;
  /** Default: a Kafka producer; `null` serves without POST /v1/events. */
  producer?: EventProducer | null;
  /** Default: a Kafka producer when `producer` is one too; `null` serves without catalog writes and user deletion. */
  catalogProducer?: CatalogProducer | null;
  /** Default: none, so the heuristic scorer serves until a model source is given. */
  models?: ModelSource;
  /** Include Kafka and ClickHouse in /v1/health (default true). */
  stackChecks?: boolean;
  /** Keep training the served retrieval model from the event stream (default true). */
  onlineTraining?: boolean;
  /** More route modules mounted on the same app (dashboard, web pages). */
  extraRoutes?: RouteModule[];
}

export interface FeedService {
  app: Hono<AppEnv>;
  pipeline: FeedPipeline;
  catalog: ServingCatalog;
  online: OnlineState;
  models: ModelHolder;
  /** Online training of the served retrieval model, in its own thread. */
  learning: OnlineLearning;
  /** Routes requests through the running experiment (registry experiments.json, followed like promotions). */
  experiments: ExperimentRouter;
  /** Applies catalog changes from ClickHouse now (also runs every `ranker.catalog.refreshSeconds`). */
  refreshCatalog(): Promise<{ items: number; products: number }>;
  /** Listens on `port` (default config.api.port; 0 for any free port). */
  start(port?: number): Promise<RunningServer>;
  /** Stops the server, background refreshes, the stream follower and the producer. */
  stop(): Promise<void>;
}

/** Catalog writes produced before a replica's ClickHouse load that it replays from Kafka (the ingest process may not have inserted them yet). */
const CATALOG_REPLAY_MS = 60_000;
/** How long start-up waits for the online training thread to load its version before serving anyway. */
const TRAINING_START_WAIT_MS = 60_000;

/**
 * Composes the serving process: catalog (+ refresher), online state (+ stream follower),
 * promoted models (+ hot reload), the ranker pipeline, the event producer and the routes.
 */
export async function createFeedService(config: Config, opts: FeedServiceOptions = {}): Promise<FeedService> {
  disablePretenuring();
  const log = childLogger('feed-service');
  const stops: (() => unknown)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch((err: Error) => log.warn({ err: err.message }, 'stop failed'));
    stops.length = 0;
  };

  try {
    let catalog = opts.catalog;
    let refresher: CatalogRefresher | undefined;
    let loadStarted: number | undefined;
    if (!catalog) {
      const ch = createClickHouse(config);
      stops.push(() => ch.close());
      loadStarted = Date.now();
      catalog = await withContext('loading the serving catalog from ClickHouse', () => loadServingCatalog(ch, config));
      refresher = new CatalogRefresher(ch, config, catalog, loadStarted);
      refresher.start();
      stops.push(() => refresher!.stop());
    }

    const items = catalog.items;
    const inCatalog = (itemId: string) => items.row(itemId) >= 0;
    const followStream = opts.followStream ?? !opts.online;
    const store = opts.online ? { state: opts.online } : await createOnlineStore(config, stops, { writeFromStream: followStream, countsItem: inCatalog });
    const online = new TeeOnlineState(store.state, inCatalog);
    const servingCatalog = catalog;
    const applyCatalog = (messages: CatalogMessage[]) => applyCatalogMessages(servingCatalog, online, messages);
    let catalogFollower: CatalogFollower | undefined;
    if (loadStarted !== undefined) {
      const since = loadStarted - CATALOG_REPLAY_MS;
      catalogFollower = await withContext('starting the catalog follower', () => startCatalogFollower(config, since, applyCatalog));
      stops.push(() => catalogFollower!.stop());
    }
    // Names this process's messages, so that its follower skips the events it applied at POST.
    const replicaId = newReplicaId();
    let follower: OnlineFollower | undefined;
    if (followStream) {
      follower = await withContext('starting the online-state stream follower', () => startOnlineFollower(config, online, { replicaId }));
      stops.push(() => follower!.stop());
    }

    const models = new ModelHolder(config, catalog.items);
    const training = opts.onlineTraining ?? true;
    const learning = new OnlineLearning(config, catalog, models, training);
    stops.push(() => learning.detach());
    stops.push(catalog.onNewItems((rows) => learning.indexNewItems(rows)));
    if (training) stops.push(online.onApply((events) => learning.push(events)));
    const activate = async (m: PromotedModels | undefined) => {
      if (!m) {
        await learning.detach();
        return models.clear();
      }
      await models.swap(m);
      if (models.current?.version === m.version) learning.attach(m);
    };
    if (opts.models) {
      const source = opts.models;
      const initial = await withContext('loading the promoted models', () => source.load());
      if (initial) await activate(initial);
      else log.warn('no promoted model: serving with the heuristic scorer');
      stops.push(source.watch((m) => void activate(m)));
    }

    let producer: EventProducer | null = null;
    if (opts.producer === undefined) {
      producer = await withContext('connecting the event producer', () => createEventProducer(config, { origin: replicaId }));
      const p = producer;
      stops.push(() => p.close());
    } else producer = opts.producer;
    let catalogProducer = opts.catalogProducer ?? null;
    if (opts.catalogProducer === undefined && opts.producer === undefined) {
      const p = await withContext('connecting the catalog producer', () => createCatalogProducer(config));
      stops.push(() => p.close());
      catalogProducer = p;
    }

    const pool = new TrafficPool(config.ranker);
    stops.push(pool.start(catalog, online, (listener) => online.onApply(listener)));
    stops.push(catalog.onNewItems((rows) => pool.admit(servingCatalog, rows)));
    const pipeline = new FeedPipeline({ config, catalog, online, models: () => models.current, pool });
    const experiments = await startExperiments(config, pipeline, opts.models, stops);
    const dashboardCh = dashboardClickHouse(config, stops);
    const stack = (opts.stackChecks ?? true) ? { clickhouse: dashboardCh, kafka: kafkaProbe(config) } : undefined;
    if (stack) stops.push(() => stack.kafka.close());
    const modules: RouteModule[] = [
      opsRoutes(healthChecks(config, { catalog, refresher, catalogFollower, models, learning, follower, ...(store.writer ? { writer: store.writer } : {}), stack })),
      feedRoutes({ config, pipeline, serve: (request, requestId) => experiments.run(request, requestId) }),
      catalogRoutes({ catalog: () => servingCatalog, poolStatus: (row) => pool.statusOf(servingCatalog, online, row) }),
      webRoutes({ config }),
      dashboardRoutes({ config, clickhouse: dashboardCh }),
      experimentsRoutes({ config, clickhouse: dashboardCh }),
    ];
    if (producer) modules.push(eventsRoutes({ config, producer, onlineState: online }));
    if (catalogProducer) {
      modules.push(publishRoutes({ config, producer: catalogProducer, catalog, apply: applyCatalog }), usersRoutes({ clickhouse: dashboardCh, producer: catalogProducer, apply: applyCatalog }));
    }
    modules.push(...(opts.extraRoutes ?? []));
    const app = createApp(config, modules);
    // Ready once the training thread has loaded its version too: its start (compiling, parsing the
    // version) would otherwise take the CPU from a new process's first requests, which the soak saw
    // as timeouts in its first minute (benchmarks/results/experiments/2026-12-07-soak-memory/).
    if ((await withinMs(learning.trainingReady(), TRAINING_START_WAIT_MS)) === TIMED_OUT)
      log.warn({ waited_ms: TRAINING_START_WAIT_MS }, 'online training thread still loading; serving without waiting for it');

    let server: RunningServer | undefined;
    return {
      app,
      pipeline,
      catalog,
      online,
      models,
      learning,
      experiments,
      refreshCatalog: async () => (refresher ? refresher.refreshChanges() : { items: 0, products: 0 }),
      async start(port?: number) {
        server = await listen(app, config, port ?? config.api.port);
        return server;
      },
      async stop() {
        if (server) await server.close();
        server = undefined;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The experiment router over `pipeline`, serving the running experiment now and following
 * experiments.json; served entries go to ClickHouse through an exposure log with its own client.
 */
async function startExperiments(config: Config, pipeline: FeedPipeline, models: ModelSource | undefined, stops: (() => unknown)[]): Promise<ExperimentRouter> {
  const log = childLogger('experiments');
  const ch = createClickHouse(config);
  stops.push(() => ch.close());
  const exposures = new ExposureLog(ch, config.experiments.exposureFlushMs);
  stops.push(() => exposures.stop());
  const load = (version: string) => (models?.loadVersion ? models.loadVersion(version) : Promise.reject(new Error(`no model source to load version ${version} from`)));
  const router = new ExperimentRouter(pipeline, load, exposures);
  const apply = (e: Experiment | undefined) => router.set(e).catch((err: Error) => log.error({ experiment: e?.id, err: err.message }, 'could not serve the experiment; keeping the previous state'));
  await apply(runningExperiment(config));
  const watcher = watchRunning(config, (e) => void apply(e));
  stops.push(() => watcher.close());
  return router;
}

/** The dashboard's own ClickHouse client (its queries never share the catalog loader's); health pings over it too. */
function dashboardClickHouse(config: Config, stops: (() => unknown)[]) {
  const ch = createClickHouse(config);
  stops.push(() => ch.close());
  return ch;
}

function healthChecks(
  config: Config,
  deps: {
    catalog: ServingCatalog;
    refresher?: CatalogRefresher;
    catalogFollower?: CatalogFollower;
    models: ModelHolder;
    learning: OnlineLearning;
    follower?: OnlineFollower;
    writer?: RedisWriter;
    /** Kafka and ClickHouse, checked over connections kept open (health is public: no connection per call). */
    stack?: { clickhouse: ClickHouseClient; kafka: KafkaProbe };
  },
): HealthCheck[] {
  const checks: HealthCheck[] = [
    {
      name: 'model',
      // Serving without a model is a supported state (heuristic fallback), not an outage.
      check: async () => {
        const snap = deps.models.current;
        return snap
          ? {
              ok: true,
              version: snap.version,
              scorer: 'ranker-model',
              ann_items: snap.ann.size,
              ann_index: snap.ann.description,
              loaded_at: new Date(snap.loadedAt).toISOString(),
              online_training: deps.learning.stats(),
            }
          : { ok: true, version: null, scorer: 'heuristic', note: 'no promoted model; scoring with the heuristic fallback' };
      },
    },
    {
      name: 'tfjs',
      check: async () => {
        const b = await initBackend();
        return { ok: true, backend: b.name, reason: b.reason };
      },
    },
    {
      name: 'catalog',
      check: async () => ({
        ok: deps.catalog.items.size > 0 && !deps.refresher?.lastError,
        ...deps.catalog.size,
        indexed_at: deps.catalog.indexedAt ? new Date(deps.catalog.indexedAt * 1000).toISOString() : null,
        ...(deps.catalogFollower ? { writes_applied: deps.catalogFollower.stats().applied } : {}),
        ...(deps.refresher?.lastError ? { error: deps.refresher.lastError } : {}),
      }),
    },
  ];
  if (deps.follower) {
    const follower = deps.follower;
    const writer = deps.writer;
    // `own`: events of this replica's own messages, applied at POST and skipped by the follower. With Redis: `streamed` counts the events this replica's follower folded into its item counters; `redis_written` this replica's share of the writer group.
    checks.push({ name: 'online_state', check: async () => ({ ok: true, store: config.online.store, ...follower.stats(), ...(writer ? { redis_written: writer.stats().written } : {}) }) });
  }
  if (deps.stack) {
    const { kafka, clickhouse } = deps.stack;
    checks.push(
      { name: 'kafka', check: async () => ({ ok: await kafka.healthy(), brokers: config.kafka.brokers }) },
      { name: 'clickhouse', check: async () => ({ ok: (await clickhouse.ping()).success, url: config.clickhouse.url }) },
    );
  }
  return checks;
}
