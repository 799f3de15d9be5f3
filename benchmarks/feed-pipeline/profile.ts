/**
 * In-process latency of GET /v1/feed at scale, stage by stage, with promoted models.
 *
 *   node --import tsx benchmarks/feed-pipeline/profile.ts [--items 1000000] [--requests 2000] [--ann HNSW32] [--search efSearch=128]
 *
 * Loads the benchmark world's catalog (harness/world.ts, seeded once and shared with `feed bench
 * feed`) from ClickHouse, seeds the online state with recent engagement for the users it
 * requests, and serves the world's promoted trained models (harness/trained-models.ts, trained
 * once on the world's history and shared with `feed bench feed`, FAISS index prebuilt in the
 * version) through the model registry, as `feed serve` does.
 * Prints p50/p99 end to end (through `app.request`, one request at a time) and per stage.
 * Add `--cpu-prof --cpu-prof-dir=DIR` to node for a V8 profile.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { deepMerge } from '../../config/load.ts';
import { ConfigSchema, type Config } from '../../config/schema.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { createFeedService } from '../../feed-api/service.ts';
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { loadServingCatalog } from '../../ranker/catalog/loader.ts';
import { newSession } from '../../ranker/session.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { BENCH_KEY, benchKeys } from '../feed/feed.ts';
import { recentHistory } from '../online-state/online-state.ts';
import { ensureTrainedModels } from '../harness/trained-models.ts';
import { ensureWorld } from '../harness/world.ts';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '2000' },
    users: { type: 'string', default: '5000' },
    ann: { type: 'string' },
    search: { type: 'string' },
    /** Open-loop HTTP steps (req/s) after the in-process runs; the generator is a separate process. */
    rates: { type: 'string', default: '' },
    step: { type: 'string', default: '5' },
  },
});
const items = Number(args.items);
const requests = Number(args.requests);
const activeUsers = Number(args.users);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)}  p90 ${pct(xs, 90).toFixed(2)}  p99 ${pct(xs, 99).toFixed(2)}  mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)}`;
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main(): Promise<void> {
  const base = ConfigSchema.parse({ logLevel: 'warn', ...benchKeys });
  const world = await ensureWorld(base, items, log);
  // The stored index follows the default factory, as `feed bench feed` serves it; --ann rebuilds it at load.
  await ensureTrainedModels(world, world.config, { smoke: false, log });
  const config = ConfigSchema.parse(
    deepMerge(world.config as never, { ranker: { ann: { ...(args.ann ? { factory: args.ann } : {}), ...(args.search ? { searchParams: args.search } : {}) } } } as never),
  ) as Config;

  log(`loading the ${items}-item catalog from ClickHouse (${config.clickhouse.database})...`);
  const ch = createClickHouse(config);
  const catalog = await loadServingCatalog(ch, config);
  await ch.close();
  log(`catalog: ${JSON.stringify(catalog.size)}`);

  // Recent engagement for the users we request, so history-based sources and the user tower work.
  const online = new MemoryOnlineState({ config: config.online });
  const events = recentHistory(catalog, activeUsers);
  online.apply(events);
  log(`online state: ${events.length} events for ${activeUsers} users`);

  const service = await createFeedService(config, {
    catalog,
    online,
    followStream: false,
    producer: null,
    stackChecks: false,
    onlineTraining: false,
    models: registryModelSource(config),
  });
  log(`serving: ${JSON.stringify(((await (await service.app.request('/v1/health')).json()) as { components: unknown }).components)}`);

  const headers = { 'x-api-key': BENCH_KEY };
  const path = (i: number) => `/v1/feed?user_id=u${(i * 7919) % activeUsers}&count=10`;
  for (let i = 0; i < 200; i++) await service.app.request(path(i + requests), { headers });

  const e2e: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const res = await service.app.request(path(i), { headers });
    await res.arrayBuffer();
    e2e.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET ${path(i)}: ${res.status} ${await res.text()}`);
  }

  const perStage = new Map<string, number[]>();
  const overBudget = new Map<string, number>();
  const pipelineMs: number[] = [];
  let candidates = 0;
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const r = await service.pipeline.run({ userId: `u${(i * 7919) % activeUsers}`, count: 10, session: newSession(`s${i}`, 8192, 4), explain: true, now: Date.now() });
    pipelineMs.push(performance.now() - t0);
    for (const s of r.explain!.stages) {
      const key = `${s.kind}:${s.stage}`;
      perStage.set(key, [...(perStage.get(key) ?? []), s.ms]);
      if (s.outcome === 'failed' || s.outcome === 'failed_open') throw new Error(`stage ${key} ${s.outcome}: ${s.error ?? ''}`);
      if (s.outcome === 'over_budget') overBudget.set(key, (overBudget.get(key) ?? 0) + 1);
    }
    candidates += Object.values(r.explain!.candidates_per_source).reduce((a, b) => a + b, 0);
  }

  console.log(`\n${items} items, ${requests} requests, model ${service.models.current?.version}, ANN ${service.models.current?.ann.description}`);
  console.log(`end to end (app.request): ${fmt(e2e)} ms`);
  console.log(`pipeline (explain=1):     ${fmt(pipelineMs)} ms; source hits/request ${(candidates / requests).toFixed(0)}`);
  const rows = [...perStage].map(([k, xs]) => ({ k, xs, mean: xs.reduce((a, b) => a + b, 0) / xs.length })).sort((a, b) => b.mean - a.mean);
  for (const { k, xs } of rows) console.log(`  ${k.padEnd(26)} ${fmt(xs)}${overBudget.has(k) ? `  (over budget ${overBudget.get(k)}x)` : ''}`);
  console.log(
    `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  if (args.rates) {
    const server = await service.start(0);
    const loader = new URL('./load.ts', import.meta.url).pathname;
    console.log(`\nopen loop over HTTP (${server.url}), ${args.step} s per step`);
    for (const rate of args.rates.split(',').map(Number)) {
      const before = loadavg()[0]!.toFixed(2);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', loader, server.url, String(rate), args.step, String(activeUsers)]);
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
      console.log(
        `  ${String(rate).padStart(4)} req/s  p50 ${r.p50_ms!.toFixed(1)}  p90 ${r.p90_ms!.toFixed(1)}  p99 ${r.p99_ms!.toFixed(1)}  max ${r.max_ms!.toFixed(0)} ms  done/s ${r.achieved_rps!.toFixed(0)}  errors ${r.errors}  (load ${before})`,
      );
    }
  }
  await service.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
