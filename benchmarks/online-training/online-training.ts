import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deepMerge } from '../../config/load.ts';
import { ConfigSchema, type Config } from '../../config/schema.ts';
import { sleep } from '../../core/errors.ts';
import { TurnQueue } from '../../core/turn-queue.ts';
import { catalogItemFeatures, TeeOnlineState } from '../../feed-api/online-learning.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { createFeedService, type FeedService } from '../../feed-api/service.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { OnlineTrainer } from '../../models/online-trainer.ts';
import { TwoTower } from '../../models/retrieval/two-tower.ts';
import { loadServingCatalog } from '../../ranker/catalog/loader.ts';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { mulberry32 } from '../../core/rng.ts';
import { BENCH_KEY, benchKeys } from '../feed/feed.ts';
import { recentHistory } from '../online-state/online-state.ts';
import { ensureTrainedModels } from '../harness/trained-models.ts';
import { overRuns, percentile, round } from '../harness/stats.ts';
import type { BenchTable } from '../../core/table.ts';
import type { Benchmark, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureWorld } from '../harness/world.ts';

/** Where online training runs: its own thread (now), the serving loop (the wiring before), or nowhere (the floor). */
type Mode = 'thread' | 'serving-loop' | 'off';
const MODES: Mode[] = ['thread', 'serving-loop', 'off'];

interface Run {
  loop_p99_ms: number;
  loop_max_ms: number;
  feed_p99_ms: number;
  steps: number;
}

/** `n` plays watched to the end (each a training positive) of random catalog items by u0..u<users-1>, ids `<tag>-<k>`. */
function playEvents(catalog: ServingCatalog, users: number, n: number, tag: string, rand: () => number): EngagementEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, k): EngagementEvent => {
    const row = Math.floor(rand() * catalog.items.size);
    const duration_ms = catalog.itemDuration[row]!;
    return { schema_version: 1, event_id: `${tag}-${k}`, kind: 'play', user_id: `u${Math.floor(rand() * users)}`, item_id: catalog.items.id(row), ts: now, watch_ms: duration_ms, duration_ms };
  });
}

/**
 * The wiring before training moved to a thread (feed-api/online-learning.ts at 347ece9): applied
 * events queued and trained on the serving loop, 64 events per turn. Measured as the reference.
 */
function trainOnServingLoop(service: FeedService, config: Config, catalog: ServingCatalog, log: (m: string) => void): { steps(): number; stop(): void } {
  const model = service.models.current?.retrieval;
  const online = service.online;
  if (!(model instanceof TwoTower)) throw new Error('online-training benchmark: the served retrieval model is not a two-tower');
  if (!(online instanceof TeeOnlineState)) throw new Error('online-training benchmark: the service does not hand out applied events');
  const trainer = new OnlineTrainer(model, config, { indexed: service.models.current!.annIds, itemFeatures: (id) => catalogItemFeatures(catalog, id) }).start();
  const queue = new TurnQueue<EngagementEvent>({ perTurn: 64, maxWaiting: 100_000, work: (events) => trainer.apply(events), onError: (err) => log(`training step failed: ${err.message}`) });
  const unsubscribe = online.onApply((events) => queue.push(events));
  return {
    steps: () => trainer.steps,
    stop: () => {
      unsubscribe();
      trainer.stop();
      queue.clear();
    },
  };
}

export const onlineTrainingBenchmark: Benchmark = {
  name: 'online-training',
  description: "the serving process's event-loop delay and feed p99 under a steady event stream: online training in its own thread vs on the serving loop (the previous wiring) vs off",
  defaultRepeats: 5,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const items = ctx.items[0] ?? (ctx.smoke ? 2_000 : 1_000_000);
    const users = ctx.smoke ? 100 : 5_000;
    const seconds = ctx.smoke ? 3 : 30;
    const warmupSeconds = ctx.smoke ? 1 : 5;
    const eventsPerSecond = ctx.smoke ? 200 : 1_000;
    const requestsPerSecond = ctx.smoke ? 20 : 100;
    const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
    const base = ctx.smoke ? { ...world.config, dataDir: join(world.config.dataDir, world.config.clickhouse.database) } : world.config;
    const config = ConfigSchema.parse(deepMerge(base as never, benchKeys as never)) as Config;
    const models = await ensureTrainedModels(world, config, { smoke: ctx.smoke, log: ctx.log });
    const ch = createClickHouse(config);
    const catalog = await loadServingCatalog(ch, config).finally(() => ch.close());
    const history = recentHistory(catalog, users);
    const rand = mulberry32(11);
    const runs = new Map<Mode, Run[]>();

    const measure = async (mode: Mode, repeat: number): Promise<Run> => {
      const online = new MemoryOnlineState({ config: config.online });
      online.apply(history);
      const service = await createFeedService(config, {
        catalog,
        online,
        followStream: false,
        producer: null,
        stackChecks: false,
        onlineTraining: mode === 'thread',
        models: registryModelSource(config),
      });
      try {
        const onLoop = mode === 'serving-loop' ? trainOnServingLoop(service, config, catalog, ctx.log) : undefined;
        const steps = () => onLoop?.steps() ?? service.learning.stats().steps;
        // The thread loads its own copy of the version before it trains.
        while (mode === 'thread' && !service.learning.stats().backend) await sleep(100);
        const headers = { 'x-api-key': BENCH_KEY };
        const latencies: number[] = [];
        let pending = 0;
        let failed = 0;
        // Requests sent before `measuredFrom` (the warm-up: JIT, caches, the first updates) are not counted.
        let measuredFrom = Infinity;
        const request = (i: number) => {
          pending++;
          const t0 = performance.now();
          Promise.resolve(service.app.request(`/v1/feed?user_id=u${(i * 7919) % users}&count=10`, { headers }))
            .then(async (res) => {
              await res.arrayBuffer();
              if (res.status !== 200) failed++;
              else if (t0 >= measuredFrom) latencies.push(performance.now() - t0);
            })
            .catch(() => failed++)
            .finally(() => pending--);
        };
        const tickMs = 10;
        const perTick = Math.max(1, Math.round((eventsPerSecond * tickMs) / 1000));
        let tick = 0;
        let sent = 0;
        const delay = monitorEventLoopDelay({ resolution: 2 });
        let steps0 = 0;
        const started = performance.now();
        // One timer drives both open-loop streams, so neither waits for the other.
        await new Promise<void>((done) => {
          const timer = setInterval(() => {
            const elapsed = performance.now() - started;
            if (elapsed >= (warmupSeconds + seconds) * 1000) {
              clearInterval(timer);
              return done();
            }
            if (measuredFrom === Infinity && elapsed >= warmupSeconds * 1000) {
              measuredFrom = performance.now();
              steps0 = steps();
              delay.enable();
            }
            service.online.apply(playEvents(catalog, users, perTick, `${mode}-${repeat}-${tick++}`, rand));
            while (sent < (elapsed / 1000) * requestsPerSecond) request(sent++);
          }, tickMs);
        });
        delay.disable();
        while (pending > 0) await sleep(10);
        if (failed > 0) throw new Error(`online-training benchmark: ${failed} feed requests failed in the ${mode} run`);
        const run: Run = {
          loop_p99_ms: delay.percentile(99) / 1e6,
          loop_max_ms: delay.max / 1e6,
          feed_p99_ms: percentile(latencies, 99),
          steps: steps() - steps0,
        };
        onLoop?.stop();
        ctx.log(`${mode.padEnd(12)} loop delay p99 ${run.loop_p99_ms.toFixed(1)} max ${run.loop_max_ms.toFixed(1)} ms, feed p99 ${run.feed_p99_ms.toFixed(1)} ms, ${run.steps} training steps`);
        return run;
      } finally {
        await service.stop();
      }
    };

    try {
      // A first run, not recorded, compiles the request path, so no mode pays for the cold process.
      await measure('off', -1);
      // Interleaved, in a rotating order, so every mode sees the same machine load and none is always first.
      for (let r = 0; r < ctx.repeats; r++) {
        for (let m = 0; m < MODES.length; m++) {
          const mode = MODES[(r + m) % MODES.length]!;
          runs.set(mode, [...(runs.get(mode) ?? []), await measure(mode, r)]);
        }
      }
    } finally {
      if (ctx.smoke) await dropWorld(world.config);
    }

    const of = (mode: Mode, k: keyof Run) => runs.get(mode)!.map((r) => r[k]);
    const fig = (mode: Mode, k: keyof Run) => overRuns(of(mode, k), k === 'steps' ? 'steps' : 'ms');
    const cell = (mode: Mode, k: keyof Run) => {
      const f = fig(mode, k);
      return `${f.value} (${f.min}–${f.max})`;
    };
    const thread = fig('thread', 'loop_p99_ms');
    const loop = fig('serving-loop', 'loop_p99_ms');
    const table: BenchTable = {
      title: `Serving-loop delay (monitorEventLoopDelay, 2 ms resolution) with ${eventsPerSecond} positive events/s applied and ${requestsPerSecond} GET /v1/feed/s in process, ${items.toLocaleString('en-US')} items; medians of ${ctx.repeats} interleaved runs of ${seconds} s after ${warmupSeconds} s of warm-up (range)`,
      columns: ['online training', 'loop delay p99 ms', 'loop delay max ms', 'feed p99 ms', 'training steps per run'],
      rows: MODES.map((mode) => [mode, cell(mode, 'loop_p99_ms'), cell(mode, 'loop_max_ms'), cell(mode, 'feed_p99_ms'), cell(mode, 'steps')]),
    };
    return {
      dataset: { items, users, world_database: world.config.clickhouse.database },
      params: {
        seconds,
        warmup_seconds: warmupSeconds,
        events_per_second: eventsPerSecond,
        requests_per_second: requestsPerSecond,
        history_events_per_user: history.length / users,
        models: { version: models.version, key: models.key, epochs: models.epochs },
      },
      figures: {
        thread_loop_delay_p99_ms: thread,
        thread_loop_delay_max_ms: fig('thread', 'loop_max_ms'),
        thread_feed_p99_ms: fig('thread', 'feed_p99_ms'),
        serving_loop_delay_p99_ms: loop,
        serving_loop_delay_max_ms: fig('serving-loop', 'loop_max_ms'),
        serving_loop_feed_p99_ms: fig('serving-loop', 'feed_p99_ms'),
        off_loop_delay_p99_ms: fig('off', 'loop_p99_ms'),
        off_feed_p99_ms: fig('off', 'feed_p99_ms'),
      },
      references: [
        {
          name: 'training on the serving loop',
          description: 'the same service, events and requests with the previous wiring (OnlineTrainer fed 64 events per loop turn), interleaved with the thread runs',
          figure: 'loop delay p99',
          value: loop.value,
          unit: 'ms',
          ratio: loop.value ? round(thread.value! / loop.value) : null,
          ratio_meaning: 'loop delay p99 with training in a thread / with training on the serving loop',
        },
      ],
      tables: [table],
      targets: [],
      series: { runs: [...runs].flatMap(([mode, rs]) => rs.map((r, i) => ({ mode, repeat: i + 1, ...r }))) },
      notes: [
        'Events are applied to the service’s online state directly (what POST /v1/events does after Kafka acknowledged), not sent over HTTP; requests go through app.request, without a socket.',
        'Every event is a complete play, so each is a training positive: a batch of 64 is a step.',
        'The thread runs in the same process: its CPU competes with the serving thread for the cores, but it never holds the serving loop.',
      ],
    };
  },
};
