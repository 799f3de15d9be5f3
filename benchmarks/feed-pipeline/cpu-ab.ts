/**
 * CPU per feed request in-process, for an interleaved A/B of two checkouts (run it alternately
 * with ROOT=<checkout a> and ROOT=<checkout b>; each imports that checkout's pipeline):
 *
 *   ROOT=/path/to/checkout ITEMS=20000 REQUESTS=300 node --import tsx benchmarks/feed-pipeline/cpu-ab.ts
 *
 * Same synthetic world (ranker/testing.ts makeWorld, seed 7), the real untrained MultitaskMmoe of each
 * checkout's architecture, hashed retrieval vectors (dim 64), 500 candidates, 2,000 users with 40
 * plays and likes each. No ClickHouse: it measures the pipeline, not the 1M-item catalog (profile.ts).
 * Besides the process's CPU per request it prints each stage's CPU per request (process.cpuUsage
 * around the stage's call; stages under 0.01 ms left out), the seeding time and the load average.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Rng } from '../../core/rng.ts';
const root = process.env.ROOT ?? process.cwd();
const imp = (p: string) => import(pathToFileURL(`${root}/${p}`).href);
const items = Number(process.env.ITEMS ?? 100000);
const requests = Number(process.env.REQUESTS ?? 300);
const { makeWorld, catalogFromRows, fakeModels, event } = await imp('ranker/testing.ts');
const { loadConfig } = await imp('config/load.ts');
const { MemoryOnlineState } = await imp('ingest/memory-online-state.ts');
const { ModelHolder } = await imp('ranker/models.ts');
const { FeedPipeline } = await imp('ranker/pipeline.ts');
const { TrafficPool } = await imp('ranker/traffic-pool.ts');
const { newSession } = await imp('ranker/session.ts');
const { MultitaskMmoe } = await imp('models/multitask/multitask.ts');
const { initBackend } = await imp('models/backend.ts');
await initBackend();
const config = loadConfig({ overrides: { logLevel: 'warn', ranker: { trafficPool: { refreshMs: 0 } } } });
const seed0 = performance.now();
const rows = makeWorld({ items, creators: Math.max(30, items / 50), users: 2000, seed: 7 });
const catalog = catalogFromRows(rows, config);
const online = new MemoryOnlineState();
const holder = new ModelHolder(config, catalog.items);
const ids = rows.items.map((i: { item_id: string }) => i.item_id);
const models = fakeModels('ab', ids, 64);
models.multitask = new MultitaskMmoe(config.models.multitask, 42);
await holder.swap(models);
const rng = new Rng(1);
for (let u = 0; u < 2000; u++) {
  const evs = [];
  for (let e = 0; e < 40; e++) evs.push(event(e % 3 ? 'play' : 'like', `u${u}`, { item_id: ids[rng.int(ids.length)], watch_ms: 8000, duration_ms: 10000, ts: Date.now() - e * 60000 }));
  online.apply(evs);
}
const seedS = (performance.now() - seed0) / 1000;
const p = new FeedPipeline({ config, catalog, online, models: () => holder.current, pool: new TrafficPool(config.ranker) });
// CPU of each stage's own call (synchronous stages; an async one is counted up to its first await).
const stageMs: Record<string, number> = {};
const { STAGES } = await imp('ranker/pipeline.ts');
for (const stage of Object.values(STAGES as Record<string, Record<string, unknown>[]>).flat()) {
  for (const method of ['fetch', 'hydrate', 'filter', 'score', 'select', 'blend']) {
    const f = stage[method];
    if (typeof f !== 'function') continue;
    const key = `${stage.kind}:${stage.name}`;
    stage[method] = function (this: unknown, ...args: unknown[]) {
      const t = process.cpuUsage();
      try {
        return f.apply(this, args);
      } finally {
        const d = process.cpuUsage(t);
        stageMs[key] = (stageMs[key] ?? 0) + (d.user + d.system) / 1000;
      }
    };
  }
}
const run = async (i: number) => p.run({ userId: `u${i % 2000}`, count: 20, explain: false, now: Date.now(), session: newSession(i.toString(16).padStart(16, '0'), 8192, 4) });
for (let i = 0; i < 100; i++) await run(i + 100000);
for (const k of Object.keys(stageMs)) stageMs[k] = 0;
const load = loadavg()[0]!;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < requests; i++) await run(i);
const c = process.cpuUsage(c0);
const stages = Object.fromEntries(
  Object.entries(stageMs)
    .filter(([, ms]) => ms / requests >= 0.01)
    .map(([k, ms]) => [k, Math.round((ms / requests) * 1000) / 1000]),
);
console.log(
  JSON.stringify({
    root,
    items,
    requests,
    seed_s: Math.round(seedS * 10) / 10,
    load_1m: [load, loadavg()[0]],
    cpu_ms_per_request: (c.user + c.system) / 1000 / requests,
    wall_ms_per_request: (performance.now() - t0) / requests,
    stage_cpu_ms_per_request: stages,
  }),
);
process.exit(0);
