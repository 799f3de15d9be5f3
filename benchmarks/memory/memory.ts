import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { sleep, withContext } from '../../core/errors.ts';
import { benchKeys, BENCH_KEY } from '../feed/feed.ts';
import { openLoopStep } from '../feed/open-loop.ts';
import { serverConfig, startServer, type ChildServer } from '../harness/child.ts';
import { postEvents, recentHistory, replayedEvents } from '../harness/history-replay.ts';
import { rssOf } from '../harness/machine.ts';
import type { Reference } from '../harness/result.ts';
import { median, overRuns, round, spreadOf } from '../harness/stats.ts';
import { checkTarget, type TargetCheck } from '../harness/targets.ts';
import { ensureTrainedModels, requireTrainedModel, type BenchModels } from '../harness/trained-models.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { dropWorld, emptyEventLog, ensureWorld, type BenchWorld } from '../harness/world.ts';

const MiB = 2 ** 20;
/** Mixed traffic per run: feed requests and engagement events together, as a live replica sees them. */
const FULL_TRAFFIC_S = 300;
const FEED_RATE = 50;
const EVENTS_PER_S = 200;
const SAMPLE_MS = 1000;
/** Users whose feeds are requested and whose history is replayed as the event stream. */
const TRAFFIC_USERS = 2000;

interface Run {
  startup_s: number;
  rss_idle_mib: number;
  /** RSS sampled from /proc every SAMPLE_MS during the traffic (no forced GC). */
  samples_mib: number[];
  rss_after_gc_mib: number;
  heap_after_gc_mib: number;
  feed_requests: number;
  feed_errors: number;
  events: number;
}

interface SizeRow {
  items: number;
  runs: Run[];
  models: BenchModels;
  world: BenchWorld;
}

/** Replays the users' history as a steady event stream (EVENTS_PER_S) until `stop`, starting over with new ids when it runs out. */
async function eventStream(server: ChildServer, config: Config, users: string[], stop: () => boolean): Promise<number> {
  const byUser = await recentHistory(config, users);
  const batch = EVENTS_PER_S / 4;
  let sent = 0;
  let queue: Record<string, unknown>[] = [];
  let pass = 0;
  while (!stop()) {
    if (queue.length < batch) {
      const tag = `m${Date.now().toString(36)}${pass++}`;
      queue = queue.concat([...byUser.values()].flatMap((rows) => replayedEvents(rows, tag, Date.now())));
      if (queue.length === 0) throw new Error('memory benchmark: the world has no history to replay as events');
    }
    const chunk = queue.splice(0, batch);
    await postEvents(server.url, BENCH_KEY, chunk, batch, 1);
    sent += chunk.length;
    await sleep(250);
  }
  return sent;
}

/** One server start and `trafficS` of mixed traffic, RSS sampled throughout, then the post-GC figure. */
async function measureRun(ctx: BenchContext, size: { world: BenchWorld; models: BenchModels; config: Config }, trafficS: number, hello: ChildServer, helloRss: number[]): Promise<Run> {
  const { world, models } = size;
  await emptyEventLog(size.config);
  const t0 = Date.now();
  const server = await startServer({ mode: 'feed', config: serverConfig(ctx.config, world.overrides, { dataDir: size.config.dataDir }, benchKeys) }, { label: `memory-${world.items}` });
  const startup = (Date.now() - t0) / 1000;
  try {
    // A figure without the trained model's tables and vectors would understate memory.
    requireTrainedModel(server.info, models, 'memory');
    const idle = rssOf(server.pid);
    const users = Array.from({ length: Math.min(TRAFFIC_USERS, world.users) }, (_, i) => (i * 7919) % world.users);
    const samples: number[] = [];
    let done = false;
    const sampler = setInterval(() => {
      samples.push(rssOf(server.pid) / MiB);
      helloRss.push(rssOf(hello.pid) / MiB);
    }, SAMPLE_MS);
    ctx.log(`${world.items.toLocaleString('en-US')} items: ${trafficS} s of mixed traffic (${FEED_RATE} feed req/s, ${EVENTS_PER_S} events/s), RSS sampled every ${SAMPLE_MS / 1000} s...`);
    try {
      const [feed, events] = await Promise.all([
        openLoopStep({ baseUrl: server.url, path: (i) => `/v1/feed?user_id=u${users[i % users.length]}&count=10`, rate: FEED_RATE, durationS: trafficS, headers: { 'x-api-key': BENCH_KEY } }).finally(
          () => {
            done = true;
          },
        ),
        withContext('posting the event stream', () =>
          eventStream(
            server,
            size.config,
            users.map((u) => `u${u}`),
            () => done,
          ),
        ),
      ]);
      const after = await server.rss();
      return {
        startup_s: startup,
        rss_idle_mib: idle / MiB,
        samples_mib: samples,
        rss_after_gc_mib: after.rss / MiB,
        heap_after_gc_mib: after.heapUsed / MiB,
        feed_requests: feed.sent,
        feed_errors: feed.errors,
        events,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await server.stop();
  }
}

const key = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  description: `resident memory of a serving process with the trained model through ${FULL_TRAFFIC_S / 60} minutes of mixed traffic (feed + events), at 1M items`,
  defaultRepeats: 3,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const sizes = ctx.items.length ? ctx.items : ctx.smoke ? [2_000] : [1_000_000];
    const trafficS = ctx.smoke ? 3 : FULL_TRAFFIC_S;
    const hello = await startServer({ mode: 'hello', config: serverConfig(ctx.config, benchKeys) }, { label: 'hello' });
    const helloRss: number[] = [];
    const rows: SizeRow[] = [];
    const targets: TargetCheck[] = [];
    try {
      for (const items of sizes) {
        const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
        // Smoke worlds of one size share a data folder: this run's model registry gets its own, removed afterwards.
        const config: Config = ctx.smoke ? { ...world.config, dataDir: join(world.config.dataDir, world.config.clickhouse.database) } : world.config;
        try {
          const models = await ensureTrainedModels(world, config, { smoke: ctx.smoke, log: ctx.log });
          const runs: Run[] = [];
          for (let r = 0; r < ctx.repeats; r++) {
            const run = await measureRun(ctx, { world, models, config }, trafficS, hello, helloRss);
            runs.push(run);
            ctx.log(
              `  run ${r + 1}: RSS max ${Math.max(...run.samples_mib).toFixed(0)} MiB, median ${median(run.samples_mib).toFixed(0)} MiB, after GC ${run.rss_after_gc_mib.toFixed(0)} MiB (heap ${run.heap_after_gc_mib.toFixed(0)}), started in ${run.startup_s.toFixed(1)} s`,
            );
          }
          rows.push({ items, runs, models, world });
          const highest = overRuns(
            runs.map((r) => Math.max(...r.samples_mib)),
            'MiB',
          );
          targets.push(
            checkTarget('serving_rss_1m', highest.value, {
              items,
              note: `median over ${runs.length} runs of the highest RSS sampled during ${trafficS} s of mixed traffic`,
              spread: spreadOf(highest),
            }),
          );
        } finally {
          if (ctx.smoke) {
            await dropWorld(world.config);
            rmSync(config.dataDir, { recursive: true, force: true });
          }
        }
      }
    } finally {
      await hello.stop();
    }
    const base = median(helloRss);
    const largest = rows[rows.length - 1]!;
    const maxOf = (run: Run) => Math.max(...run.samples_mib);
    const figures: BenchOutput['figures'] = {};
    for (const r of rows) {
      const k = key(r.items);
      figures[`rss_max_mib_${k}`] = overRuns(r.runs.map(maxOf), 'MiB', `highest RSS sampled during ${trafficS} s of mixed traffic`);
      figures[`rss_median_mib_${k}`] = overRuns(
        r.runs.map((x) => median(x.samples_mib)),
        'MiB',
        'median RSS over the same samples',
      );
      figures[`rss_after_gc_mib_${k}`] = overRuns(
        r.runs.map((x) => x.rss_after_gc_mib),
        'MiB',
        'after the traffic and a forced full GC',
      );
      figures[`heap_after_gc_mib_${k}`] = overRuns(
        r.runs.map((x) => x.heap_after_gc_mib),
        'MiB',
        'JS heap after the forced full GC',
      );
      figures[`startup_s_${k}`] = overRuns(
        r.runs.map((x) => x.startup_s),
        's',
        'catalog and model load to listening',
      );
    }
    if (rows.length >= 2) {
      const [a, b] = [rows[0]!, largest];
      const highest = (r: SizeRow) => median(r.runs.map(maxOf));
      figures.rss_bytes_per_item = {
        value: round(((highest(b) - highest(a)) * MiB) / (b.items - a.items)),
        unit: 'bytes/item',
        note: `slope of the highest RSS between ${key(a.items)} and ${key(b.items)}`,
      };
    }
    const references: Reference[] = [
      {
        name: 'bare Hono server',
        description: 'Node + Hono hello route in its own process, sampled beside each measurement',
        figure: 'RSS',
        value: round(base),
        unit: 'MiB',
        ratio: round(median(largest.runs.map(maxOf)) / base),
        ratio_meaning: `highest serving RSS at ${key(largest.items)} items / bare server RSS`,
      },
    ];
    return {
      dataset: { items: sizes.join(','), users: rows.map((r) => r.world.users).join(','), world_database: rows.map((r) => r.world.config.clickhouse.database).join(',') },
      params: {
        traffic_s: trafficS,
        feed_rate: FEED_RATE,
        events_per_s: EVENTS_PER_S,
        sample_ms: SAMPLE_MS,
        traffic_users: TRAFFIC_USERS,
        models: largest.models,
        world_history: largest.world.history,
        server: { model: { version: largest.models.version, scorer: 'ranker-model' } },
        runs: rows.map((r) => ({ items: r.items, runs: r.runs.map(({ samples_mib, ...rest }) => ({ ...rest, samples: samples_mib.length })) })),
      },
      figures,
      references,
      tables: [
        {
          title: `Serving process memory with the trained model, ${trafficS} s of mixed traffic per run (${ctx.repeats} runs; bare Hono server ${base.toFixed(0)} MiB)`,
          columns: ['items', 'run', 'startup s', 'RSS idle MiB', 'RSS max MiB', 'RSS median MiB', 'RSS after GC MiB', 'JS heap MiB', 'feed requests', 'events'],
          rows: rows.flatMap((r) =>
            r.runs.map((x, i) => [
              r.items,
              i + 1,
              round(x.startup_s),
              round(x.rss_idle_mib),
              round(maxOf(x)),
              round(median(x.samples_mib)),
              round(x.rss_after_gc_mib),
              round(x.heap_after_gc_mib),
              x.feed_requests,
              x.events,
            ]),
          ),
        },
      ],
      targets,
      series: { rss: rows.flatMap((r) => r.runs.flatMap((x, run) => x.samples_mib.map((mib, i) => ({ items: r.items, run: run + 1, t_s: (i * SAMPLE_MS) / 1000, rss_mib: round(mib) })))) },
      notes: [
        `RSS is read from /proc every ${SAMPLE_MS / 1000} s while the server takes feed requests and events (no forced GC); the after-GC figure is read inside the server after a full GC (--expose-gc).`,
        `The server loads model version ${largest.models.version}, trained ${largest.models.epochs} epoch(s) on the world's ${largest.models.events.toLocaleString('en-US')} simulated history events (${largest.models.size_mib} MiB on disk); a run whose server serves anything else is refused.`,
      ],
    };
  },
};
