import { benchKeys, BENCH_KEY } from '../feed/feed.ts';
import { openLoopStep } from '../feed/open-loop.ts';
import { serverConfig, startServer } from '../harness/child.ts';
import type { Reference } from '../harness/result.ts';
import { median, round } from '../harness/stats.ts';
import { checkTarget, type TargetCheck } from '../harness/targets.ts';
import type { Benchmark, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureWorld } from '../harness/world.ts';

const MiB = 2 ** 20;

interface SizeRow {
  items: number;
  startup_s: number;
  rss_idle_mib: number;
  rss_loaded_mib: number;
  heap_mib: number;
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  description: 'resident memory of the serving process (createFeedService) at 100k and 1M items',
  defaultRepeats: 3,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const sizes = ctx.items.length ? ctx.items : ctx.smoke ? [2_000] : [100_000, 1_000_000];
    const headers = { 'x-api-key': BENCH_KEY };
    const hello = await startServer({ mode: 'hello', config: serverConfig(ctx.config, benchKeys) }, { label: 'hello' });
    const helloRss: number[] = [];
    const rows: SizeRow[] = [];
    const targets: TargetCheck[] = [];
    try {
      for (const items of sizes) {
        const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
        ctx.log(`starting the feed server over ${items.toLocaleString('en-US')} items...`);
        const t0 = Date.now();
        const server = await startServer({ mode: 'feed', config: serverConfig(ctx.config, world.overrides, benchKeys) }, { label: `memory-${items}` });
        const startup = (Date.now() - t0) / 1000;
        try {
          const idle = (await server.rss()).rss;
          const loaded: number[] = [];
          const heap: number[] = [];
          // RSS after serving traffic (caches, session state, JIT), sampled after each burst.
          for (let r = 0; r < ctx.repeats; r++) {
            await openLoopStep({
              baseUrl: server.url,
              path: (i) => `/v1/feed?user_id=u${(i * 7919 + r) % world.users}&count=10`,
              rate: 50,
              durationS: ctx.smoke ? 0.3 : 4,
              headers,
            });
            const m = await server.rss();
            loaded.push(m.rss);
            heap.push(m.heapUsed);
            helloRss.push((await hello.rss()).rss);
          }
          const row: SizeRow = { items, startup_s: startup, rss_idle_mib: idle / MiB, rss_loaded_mib: median(loaded) / MiB, heap_mib: median(heap) / MiB };
          rows.push(row);
          ctx.log(`${items.toLocaleString('en-US')} items: RSS ${row.rss_idle_mib.toFixed(0)} MiB idle, ${row.rss_loaded_mib.toFixed(0)} MiB after traffic (heap ${row.heap_mib.toFixed(0)} MiB), started in ${startup.toFixed(1)} s`);
          targets.push(checkTarget('serving_rss_1m', round(row.rss_loaded_mib), { items }));
        } finally {
          await server.stop();
          if (ctx.smoke) await dropWorld(world.config);
        }
      }
    } finally {
      await hello.stop();
    }
    const base = median(helloRss) / MiB;
    const largest = rows[rows.length - 1]!;
    const key = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));
    const figures: BenchOutput['figures'] = {};
    for (const r of rows) {
      figures[`rss_mib_${key(r.items)}`] = { value: round(r.rss_loaded_mib), unit: 'MiB', note: 'after serving traffic, after GC' };
      figures[`startup_s_${key(r.items)}`] = { value: round(r.startup_s), unit: 's', note: 'catalog load from ClickHouse to listening' };
    }
    if (rows.length >= 2) {
      const [a, b] = [rows[0]!, largest];
      figures.rss_bytes_per_item = { value: round(((b.rss_loaded_mib - a.rss_loaded_mib) * MiB) / (b.items - a.items)), unit: 'bytes/item', note: `slope between ${key(a.items)} and ${key(b.items)}` };
    }
    const references: Reference[] = [
      {
        name: 'bare Hono server',
        description: 'Node + Hono hello route in its own process, sampled beside each measurement',
        figure: 'RSS',
        value: round(base),
        unit: 'MiB',
        ratio: round(largest.rss_loaded_mib / base),
        ratio_meaning: `serving RSS at ${key(largest.items)} items / bare server RSS`,
      },
    ];
    return {
      dataset: { items: sizes.join(',') },
      params: {},
      figures,
      references,
      tables: [
        {
          title: `Serving process memory (medians of ${ctx.repeats} samples after traffic; bare Hono server ${base.toFixed(0)} MiB)`,
          columns: ['items', 'startup s', 'RSS idle MiB', 'RSS after traffic MiB', 'JS heap MiB'],
          rows: rows.map((r) => [r.items, round(r.startup_s), round(r.rss_idle_mib), round(r.rss_loaded_mib), round(r.heap_mib)]),
        },
      ],
      targets,
      series: { sizes: rows.map((r) => ({ items: r.items, rss_mib: round(r.rss_loaded_mib), heap_mib: round(r.heap_mib), startup_s: round(r.startup_s) })) },
      notes: ['RSS is read inside the server process after a full GC (--expose-gc).'],
    };
  },
};
