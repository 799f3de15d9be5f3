import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deepMerge } from '../../config/load.ts';
import { ConfigSchema, type Config } from '../../config/schema.ts';
import { registryModelSource } from '../../feed-api/model-source.ts';
import { createFeedService, type FeedService } from '../../feed-api/service.ts';
import type { EngagementEvent } from '../../ingest/events.ts';
import { MemoryOnlineState } from '../../ingest/memory-online-state.ts';
import { RedisOnlineState } from '../../ingest/redis-online-state.ts';
import { createRedis, RedisUserStore } from '../../ingest/redis-user-store.ts';
import { loadServingCatalog } from '../../ranker/catalog/loader.ts';
import type { ServingCatalog } from '../../ranker/catalog/serving-catalog.ts';
import { runningPid } from '../../stack/process.ts';
import { redisProcess } from '../../stack/redis-server.ts';
import { startLocalService } from '../../stack/stack.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { mulberry32 } from '../../core/rng.ts';
import { BENCH_KEY, benchKeys } from '../feed/feed.ts';
import { ensureTrainedModels } from '../harness/trained-models.ts';
import { procCpuSeconds } from '../harness/proc-cpu.ts';
import { median, percentile, round } from '../harness/stats.ts';
import type { BenchTable } from '../../core/table.ts';
import type { Benchmark, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureWorld } from '../harness/world.ts';

const PLAYS_PER_USER = 40;

/** Recent plays (a like every 8th) for users u0..u<users-1>, so history-based sources and the user tower work. */
export function recentHistory(catalog: ServingCatalog, users: number): EngagementEvent[] {
  const rand = mulberry32(7);
  const now = Date.now();
  const events: EngagementEvent[] = [];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < PLAYS_PER_USER; k++) {
      const row = Math.floor(rand() * catalog.items.size);
      const item_id = catalog.items.id(row);
      const duration_ms = catalog.itemDuration[row]!;
      const ts = now - (PLAYS_PER_USER - k) * 20_000;
      const id = `e${u}-${k}`;
      events.push({ schema_version: 1, event_id: id, kind: 'play', user_id: `u${u}`, item_id, ts, watch_ms: Math.floor(duration_ms * rand()), duration_ms });
      if (k % 8 === 0) events.push({ schema_version: 1, event_id: `${id}l`, kind: 'like', user_id: `u${u}`, item_id, ts });
    }
  }
  return events;
}

interface Run {
  p50_ms: number;
  p99_ms: number;
  /** This process's CPU per request, and Redis's (zero in process). */
  cpu_ms: number;
  redis_cpu_ms: number;
}

/** `requests` sequential GET /v1/feed through the app (no HTTP socket), with this process's and Redis's CPU. */
async function measure(service: FeedService, requests: number, users: number, redisPid: number | undefined): Promise<Run> {
  const headers = { 'x-api-key': BENCH_KEY };
  const path = (i: number) => `/v1/feed?user_id=u${(i * 7919) % users}&count=10`;
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  const redis0 = procCpuSeconds(redisPid) ?? 0;
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const res = await service.app.request(path(i), { headers });
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET ${path(i)}: ${res.status}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const redis = (procCpuSeconds(redisPid) ?? 0) - redis0;
  return { p50_ms: percentile(ms, 50), p99_ms: percentile(ms, 99), cpu_ms: (cpu.user + cpu.system) / 1000 / requests, redis_cpu_ms: (redis * 1000) / requests };
}

export const onlineStateBenchmark: Benchmark = {
  name: 'online-state',
  description: 'GET /v1/feed latency and CPU per request with the online state in process vs in Redis (same catalog, models and history, interleaved)',
  defaultRepeats: 5,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const items = ctx.items[0] ?? (ctx.smoke ? 2_000 : 1_000_000);
    const users = ctx.smoke ? 100 : 5_000;
    const requests = ctx.smoke ? 50 : 2_000;
    const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
    const base = ctx.smoke ? { ...world.config, dataDir: join(world.config.dataDir, world.config.clickhouse.database) } : world.config;
    const config = ConfigSchema.parse(deepMerge(base as never, { ...benchKeys, online: { store: 'redis', redisKeyPrefix: `bench:${randomBytes(4).toString('hex')}:` } } as never)) as Config;
    // The stack's Redis (under the harness's data folder, like `feed stack up` with online.store=redis), not one per world.
    const stack: Config = { ...ctx.config, online: { ...ctx.config.online, store: 'redis' } };
    await startLocalService(stack, 'redis');
    const redisPid = config.online.redisExternal ? undefined : runningPid(redisProcess(stack));
    const models = await ensureTrainedModels(world, config, { smoke: ctx.smoke, log: ctx.log });
    const ch = createClickHouse(config);
    const catalog = await loadServingCatalog(ch, config).finally(() => ch.close());
    const events = recentHistory(catalog, users);

    const client = createRedis(config.online.redisUrl);
    await client.connect();
    const services: { name: 'in-process' | 'redis'; service: FeedService }[] = [];
    const runs = new Map<string, Run[]>();
    try {
      const memory = new MemoryOnlineState({ config: config.online });
      memory.apply(events);
      const redis = new RedisOnlineState(new RedisUserStore(client, config.online), { config: config.online });
      redis.apply(events);
      await redis.flush();
      for (const [name, online] of [
        ['in-process', memory],
        ['redis', redis],
      ] as const) {
        const service = await createFeedService(config, { catalog, online, followStream: false, producer: null, stackChecks: false, onlineTraining: false, models: registryModelSource(config) });
        services.push({ name, service });
        await measure(service, Math.min(200, requests), users, undefined); // warm-up
      }
      // Interleaved, so both see the same machine load.
      for (let r = 0; r < ctx.repeats; r++) {
        for (const { name, service } of services) {
          const run = await measure(service, requests, users, name === 'redis' ? redisPid : undefined);
          runs.set(name, [...(runs.get(name) ?? []), run]);
          ctx.log(`${name.padEnd(10)} p50 ${run.p50_ms.toFixed(2)} p99 ${run.p99_ms.toFixed(2)} ms, CPU ${run.cpu_ms.toFixed(2)} ms/request + Redis ${run.redis_cpu_ms.toFixed(3)}`);
        }
      }
    } finally {
      for (const { service } of services) await service.stop();
      const keys = await client.keys(`${config.online.redisKeyPrefix}*`);
      for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
      client.disconnect();
      if (ctx.smoke) await dropWorld(world.config);
    }

    const summary = (name: string) => {
      const rs = runs.get(name)!;
      const m = (k: keyof Run) => round(median(rs.map((r) => r[k])));
      const spread = (k: keyof Run) => `${round(Math.min(...rs.map((r) => r[k])))}–${round(Math.max(...rs.map((r) => r[k])))}`;
      return { p50: m('p50_ms'), p99: m('p99_ms'), cpu: m('cpu_ms'), redisCpu: m('redis_cpu_ms'), spread: { p50: spread('p50_ms'), p99: spread('p99_ms'), cpu: spread('cpu_ms') } };
    };
    const mem = summary('in-process');
    const red = summary('redis');
    const table: BenchTable = {
      title: `GET /v1/feed in process (app.request, one at a time), ${items.toLocaleString('en-US')} items, ${users} users with ${PLAYS_PER_USER} plays each; medians of ${ctx.repeats} interleaved runs of ${requests} requests (range)`,
      columns: ['online state', 'p50 ms', 'p99 ms', 'CPU ms/request (this process)', 'Redis CPU ms/request'],
      rows: [
        ['in process', `${mem.p50} (${mem.spread.p50})`, `${mem.p99} (${mem.spread.p99})`, `${mem.cpu} (${mem.spread.cpu})`, 0],
        ['Redis', `${red.p50} (${red.spread.p50})`, `${red.p99} (${red.spread.p99})`, `${red.cpu} (${red.spread.cpu})`, redisPid ? red.redisCpu : 'not measured (external Redis)'],
      ],
    };
    return {
      dataset: { items, users, world_database: world.config.clickhouse.database },
      params: { requests, plays_per_user: PLAYS_PER_USER, redis: config.online.redisUrl, models: { version: models.version, key: models.key, epochs: models.epochs } },
      figures: {
        in_process_p99_ms: { value: mem.p99, unit: 'ms', note: `p50 ${mem.p50} ms` },
        redis_p99_ms: { value: red.p99, unit: 'ms', note: `p50 ${red.p50} ms` },
        in_process_cpu_ms_per_request: { value: mem.cpu, unit: 'ms' },
        redis_cpu_ms_per_request: {
          value: round(red.cpu + red.redisCpu),
          unit: 'ms',
          note: redisPid ? `${red.cpu} ms here + ${red.redisCpu} ms in redis-server` : 'this process only: an external Redis has no pid here to read',
        },
      },
      references: [
        {
          name: 'in-process online state',
          description: 'the same service, catalog, models and history with MemoryOnlineState, measured interleaved with the Redis runs',
          figure: 'p99',
          value: mem.p99,
          unit: 'ms',
          ratio: mem.p99 > 0 ? round(red.p99 / mem.p99) : null,
          ratio_meaning: 'Redis p99 / in-process p99',
        },
      ],
      tables: [table],
      targets: [],
      series: { runs: [...runs].flatMap(([state, rs]) => rs.map((r, i) => ({ state, repeat: i + 1, ...r }))) },
      notes: [
        'Redis on loopback on the same machine: a round trip costs a syscall pair, not a network hop; on separate hosts add the network RTT once per request (the reads are one pipeline).',
        'Item counters and trending are in process in both runs (RedisOnlineState keeps them replicated per replica).',
      ],
    };
  },
};
