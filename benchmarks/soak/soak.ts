import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deepMerge } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { isLoopback } from '../../config/security.ts';
import { sleep, withContext } from '../../core/errors.ts';
import { queryRows, sql } from '../../storage/sql.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { deleteEventsByIdPrefix } from '../../storage/event-queries.ts';
import { startConsumer } from '../../ingest/consumer.ts';
import { createVersion, inheritModel, promote, readManifest, readPointer } from '../../models/registry.ts';
import { benchKeys, BENCH_KEY } from '../feed/feed.ts';
import { openLoopStep } from '../feed/open-loop.ts';
import { serverConfig, startServer, type ChildServer } from '../harness/child.ts';
import { median, round } from '../harness/stats.ts';
import type { Benchmark, BenchOutput } from '../harness/types.ts';
import { ensureTrainedModels, requireTrainedModel } from '../harness/trained-models.ts';
import { dropWorld, emptyEventLog, ensureWorld } from '../harness/world.ts';
import { startEventLoad } from './event-load.ts';
import type { ServerMemory } from './server-memory.ts';
import type { ThreadMemory } from '../../models/thread-memory.ts';
import { cpuDelta, cpuMeter, procCpuSeconds } from '../harness/proc-cpu.ts';

const MiB = 2 ** 20;

/** A bounded soak: fixed rates for a fixed number of windows, nothing ramps until failure. */
export interface SoakPlan {
  windows: number;
  windowS: number;
  /** Windows before the RSS baseline (caches, JIT and the online state fill up first). */
  warmupWindows: number;
  feedRate: number;
  eventRate: number;
  items: number;
  /** The window (0-based) in which the model is promoted. */
  promoteAt: number;
}

/** 30 minutes at 100 feed req/s and 2,000 events/s, per-minute figures, growth judged after minute 5. */
export const FULL: SoakPlan = { windows: 30, windowS: 60, warmupWindows: 5, feedRate: 100, eventRate: 2000, items: 100_000, promoteAt: 15 };
export const SMOKE: SoakPlan = { windows: 4, windowS: 3, warmupWindows: 1, feedRate: 20, eventRate: 200, items: 2_000, promoteAt: 2 };

const PlanOverride = z
  .object({
    windows: z.number().int().min(2),
    windowS: z.number().positive(),
    warmupWindows: z.number().int().min(1),
    feedRate: z.number().positive(),
    eventRate: z.number().positive(),
    promoteAt: z.number().int().min(0),
  })
  .partial()
  .strict();

/**
 * SOAK_PLAN (JSON, e.g. `{"windows":8,"windowS":20,"promoteAt":3}`) shortens the plan for memory
 * probes; its figures are probes, never the soak's.
 */
function planOverride(): Partial<SoakPlan> {
  const raw = process.env.SOAK_PLAN;
  if (!raw) return {};
  const parsed = PlanOverride.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`SOAK_PLAN: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
}

/** The RSS growth after warm-up that the soak accepts, in percent (issue #20). */
const MAX_RSS_GROWTH_PCT = 10;

interface WindowRow {
  minute: number;
  feed_ok: number;
  feed_errors: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  events_per_s: number;
  event_errors: number;
  rss_mib: number;
  heap_mib: number;
  /** V8's committed heap and its external buffers: with heap_mib, where RSS growth sits. */
  heap_total_mib: number;
  external_mib: number;
  /** ArrayBuffer backing stores (part of external). */
  array_buffers_mib: number;
  /** The serving thread's tfjs wasm heap (outside V8's figures). */
  wasm_mib: number;
  /** The serving FAISS index's data (native, outside V8's figures). */
  ann_mib: number;
  /** The online-training thread's isolate (committed heap + external) and its tfjs wasm heap; null when none runs. */
  trainer_heap_mib: number | null;
  trainer_wasm_mib: number | null;
  /** RSS less every part above: malloc arenas and free lists, code, thread stacks, other native memory. */
  other_mib: number;
  /** Events waiting for online training at the end of the window (null when the server does not report it). */
  training_backlog: number | null;
  /**
   * CPU used in the window, in % of one core, by the server, ClickHouse, Kafka and this process
   * (load generators and the ingest consumer): on a shared host, who took the cores when latency rose.
   */
  cpu_pct: Record<string, number>;
  /** MiB used / committed per V8 heap space, per thread (JSON only): what a committed-heap growth is made of. */
  heap_spaces_mib: { serving: Record<string, [number, number]>; training: Record<string, [number, number]> | null };
  note: string;
}

/** The table's CPU columns: each process as `cpuMeter` names it, and its column header. */
const CPU_COLUMNS = { server: 'server CPU %', clickhouse: 'ClickHouse CPU %', kafka: 'Kafka CPU %', 'load generator': 'harness CPU %' } as const;
const CPU_NAMES = Object.keys(CPU_COLUMNS);

/** A window as a flat series row: the CPU shares and heap spaces as columns of their own. */
function seriesRow({ note: _n, cpu_pct, heap_spaces_mib, ...r }: WindowRow): Record<string, number | null> {
  const out: Record<string, number | null> = { ...r };
  for (const [name, pct] of Object.entries(cpu_pct)) out[`cpu_${name.replace(/\W+/g, '_')}_pct`] = pct;
  for (const [thread, spaces] of Object.entries(heap_spaces_mib)) {
    for (const [space, [used, committed]] of Object.entries(spaces ?? {})) {
      out[`${thread}_${space}_used_mib`] = used;
      out[`${thread}_${space}_committed_mib`] = committed;
    }
  }
  return out;
}

function spacesMib(m: ThreadMemory): Record<string, [number, number]> {
  return Object.fromEntries(Object.entries(m.heap_spaces).map(([name, s]) => [name, [round(s.used / MiB), round(s.committed / MiB)]]));
}

function hostOf(endpoint: string): string {
  return endpoint.includes('://') ? new URL(endpoint).hostname : endpoint.replace(/:\d+$/, '');
}

/** The soak sends thousands of requests a second for half an hour: only ever to this machine. */
function assertLoopback(config: Config): void {
  const hosts = [config.api.host, hostOf(config.clickhouse.url), ...config.kafka.brokers.map(hostOf)];
  const remote = hosts.filter((h) => !isLoopback(h));
  if (remote.length > 0) throw new Error(`the soak runs against a local stack only (loopback); not against ${remote.join(', ')}`);
}

/** A fixed sample of catalog item ids for the event load. */
async function sampleItems(config: Config, n: number): Promise<string[]> {
  const ch = createClickHouse(config);
  try {
    const rows = await queryRows<{ item_id: string }>(ch, sql`SELECT item_id FROM items ORDER BY cityHash64(item_id) LIMIT ${n}`);
    return rows.map((r) => r.item_id);
  } finally {
    await ch.close();
  }
}

/** A new registry version holding the promoted version's models (copied), promoted: what `feed models promote` does. */
async function promoteCopy(config: Config): Promise<{ from: string; to: string }> {
  const from = readPointer(config).version;
  if (!from) throw new Error('no promoted version to copy');
  const { version: _v, created_at: _c, git_commit: _g, models: _m, ...meta } = readManifest(config, from);
  const copy = await createVersion(config, meta, (dir) => ({
    retrieval: inheritModel(config, from, 'retrieval', dir),
    ranker: inheritModel(config, from, 'ranker', dir),
  }));
  promote(config, copy.version);
  return { from, to: copy.version };
}

/** Seconds until the server's health reports `version` as the served model. */
/** Events waiting for the server's online training, from /v1/health. */
async function trainingBacklog(server: ChildServer): Promise<number | null> {
  const health = (await (await fetch(`${server.url}/v1/health`)).json()) as { components?: { model?: { online_training?: { waiting_events?: number } } } };
  return health.components?.model?.online_training?.waiting_events ?? null;
}

/** The soak's own events carry ids with this prefix. */
const SOAK_EVENT_PREFIX = 'soak-';

async function removeSoakTraffic(config: Config): Promise<number> {
  const client = createClickHouse(config);
  try {
    return await withContext('removing earlier soak events', () => deleteEventsByIdPrefix(client, SOAK_EVENT_PREFIX));
  } finally {
    await client.close();
  }
}

async function servedAfter(server: ChildServer, version: string, timeoutS: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutS * 1000) {
    const health = (await (await fetch(`${server.url}/v1/health`)).json()) as { components?: { model?: { version?: string } } };
    if (health.components?.model?.version === version) return (Date.now() - t0) / 1000;
    await sleep(250);
  }
  return null;
}

export const soakBenchmark: Benchmark = {
  name: 'soak',
  description: 'a bounded soak on loopback: feed requests and events at fixed rates with a model promotion halfway; p99 and RSS per minute',
  defaultRepeats: 1,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    assertLoopback(ctx.config);
    const plan: SoakPlan = { ...(ctx.smoke ? SMOKE : FULL), ...(ctx.items[0] ? { items: ctx.items[0] } : {}), ...planOverride() };
    if (plan.promoteAt >= plan.windows || plan.warmupWindows >= plan.windows) throw new Error(`SOAK_PLAN: promoteAt and warmupWindows must be below windows (${plan.windows})`);
    const database = ctx.smoke ? ctx.config.clickhouse.database : 'soak';
    let world = await ensureWorld(ctx.config, plan.items, ctx.log, database);
    // Earlier soaks' traffic reached the world's ClickHouse through the ingest consumer: remove it, so
    // every run trains on (and reuses models of) the seeded history alone.
    const leftover = await removeSoakTraffic(world.config);
    if (leftover > 0) {
      ctx.log(`removed ${leftover.toLocaleString('en-US')} events of earlier soaks from the world's history`);
      world = await ensureWorld(ctx.config, plan.items, ctx.log, database);
    }
    const config = deepMerge(world.config as unknown as Record<string, unknown>, { ingest: { groupId: `${world.config.clickhouse.database}.soak-ingest` } }) as unknown as Config;
    const models = await ensureTrainedModels(world, config, { smoke: ctx.smoke, log: ctx.log });
    await emptyEventLog(config);
    const items = await sampleItems(config, 20_000);
    const consumer = await startConsumer(config);
    ctx.log(`starting the feed server over ${plan.items.toLocaleString('en-US')} items (one serving process)...`);
    const server = await startServer({ mode: 'feed', config: serverConfig(config, benchKeys) }, { label: 'soak' });
    requireTrainedModel(server.info, models, 'soak');
    const rows: WindowRow[] = [];
    // The stack's pid files are under the harness's data dir (a world's config points at its own).
    const cpu = cpuMeter(ctx.config, () => ({ server: async () => procCpuSeconds(server.pid) }));
    let promotion: { from: string; to: string; served_s: number | null } | undefined;
    try {
      const events = startEventLoad({ baseUrl: server.url, apiKey: BENCH_KEY, rate: plan.eventRate, users: world.users, items, runId: `${SOAK_EVENT_PREFIX}${randomBytes(3).toString('hex')}` });
      try {
        const promoteAt = plan.promoteAt;
        for (let w = 0; w < plan.windows; w++) {
          const cpu0 = await cpu();
          let promoting: Promise<void> | undefined;
          if (w === promoteAt) {
            promoting = promoteCopy(config).then(async (p) => {
              promotion = { ...p, served_s: await servedAfter(server, p.to, plan.windowS) };
              ctx.log(`promoted ${p.to} (a copy of ${p.from}); served after ${promotion.served_s ?? 'more than a window of'} s`);
            });
          }
          const feed = await openLoopStep({
            baseUrl: server.url,
            path: (i) => `/v1/feed?user_id=u${(i * 7919 + w) % world.users}&count=10`,
            rate: plan.feedRate,
            durationS: plan.windowS,
            headers: { 'x-api-key': BENCH_KEY },
          });
          await promoting;
          const used = cpuDelta(cpu0, await cpu());
          const ev = events.take();
          const mem = await server.rss();
          const parts = await server.call<ServerMemory>('memory');
          const trainer = parts.training;
          const named = mem.heapTotal + mem.external + parts.serving.wasm_bytes + parts.ann_bytes + (trainer ? trainer.heap_total + trainer.external + trainer.wasm_bytes : 0);
          const backlog = await trainingBacklog(server);
          const row: WindowRow = {
            minute: round(((w + 1) * plan.windowS) / 60),
            feed_ok: feed.ok,
            feed_errors: feed.errors,
            p50_ms: round(feed.p50_ms),
            p99_ms: round(feed.p99_ms),
            max_ms: round(feed.max_ms),
            events_per_s: round(ev.accepted / plan.windowS),
            event_errors: ev.errors,
            rss_mib: round(mem.rss / MiB),
            heap_mib: round(mem.heapUsed / MiB),
            heap_total_mib: round(mem.heapTotal / MiB),
            external_mib: round(mem.external / MiB),
            array_buffers_mib: round(parts.array_buffers / MiB),
            wasm_mib: round(parts.serving.wasm_bytes / MiB),
            ann_mib: round(parts.ann_bytes / MiB),
            trainer_heap_mib: trainer ? round((trainer.heap_total + trainer.external) / MiB) : null,
            trainer_wasm_mib: trainer ? round(trainer.wasm_bytes / MiB) : null,
            other_mib: round((mem.rss - named) / MiB),
            training_backlog: backlog,
            cpu_pct: Object.fromEntries(Object.entries(used).map(([name, s]) => [name, round((100 * s) / plan.windowS)])),
            heap_spaces_mib: { serving: spacesMib(parts.serving), training: trainer ? spacesMib(trainer) : null },
            note: [w === promoteAt ? 'model promoted' : '', w === plan.warmupWindows - 1 ? 'RSS baseline' : '', feed.first_error ?? '', ev.first_error ?? ''].filter(Boolean).join('; '),
          };
          rows.push(row);
          ctx.log(
            `window ${w + 1}/${plan.windows}: feed p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, ${row.feed_errors} errors; ${row.events_per_s} events/s, ${row.event_errors} errors; RSS ${row.rss_mib} MiB (heap ${row.heap_mib}/${row.heap_total_mib}, external ${row.external_mib}, wasm ${row.wasm_mib}, FAISS ${row.ann_mib}, trainer ${row.trainer_heap_mib ?? '-'} + wasm ${row.trainer_wasm_mib ?? '-'}, other ${row.other_mib}); training backlog ${row.training_backlog ?? '?'} events; CPU % of a core: ${CPU_NAMES.map((n) => `${n} ${row.cpu_pct[n] ?? '?'}`).join(', ')}`,
          );
        }
      } finally {
        await events.stop();
      }
    } finally {
      await server.stop();
      await consumer.stop();
      // Leave the world's registry as found: its trained version promoted.
      if (promotion && readPointer(config).version === promotion.to) promote(config, promotion.from);
      if (ctx.smoke) await dropWorld(config);
    }

    const measured = rows.slice(plan.warmupWindows);
    const baseline = rows[plan.warmupWindows - 1]!;
    const last = rows[rows.length - 1]!;
    const growthPct = ((last.rss_mib - baseline.rss_mib) / baseline.rss_mib) * 100;
    const errors = rows.reduce((sum, r) => sum + r.feed_errors + r.event_errors, 0);
    const accepted = rows.reduce((sum, r) => sum + r.events_per_s * plan.windowS, 0);
    const ingest = consumer.stats();
    const windowName = plan.windowS === 60 ? 'minute' : `${plan.windowS} s window`;
    return {
      dataset: { items: plan.items, users: world.users, model: models.version },
      params: { ...plan, serving_processes: 1, promotion: promotion ?? null },
      figures: {
        feed_p99_ms_median: { value: round(median(measured.map((r) => r.p99_ms))), unit: 'ms', note: `median over the ${windowName}s after warm-up` },
        feed_p99_ms_worst: { value: round(Math.max(...measured.map((r) => r.p99_ms))), unit: 'ms', note: `worst ${windowName} after warm-up` },
        feed_p50_ms_median: { value: round(median(measured.map((r) => r.p50_ms))), unit: 'ms' },
        rss_growth_pct: { value: round(growthPct), unit: '%', note: `RSS (after GC) at the end against the end of ${windowName} ${plan.warmupWindows}` },
        errors: { value: errors, unit: 'requests', note: 'feed and event requests not answered 200 (or over the in-flight cap)' },
        events_accepted_per_s: { value: round(accepted / (rows.length * plan.windowS)), unit: 'events/s' },
        events_inserted: { value: ingest.inserted, unit: 'events', note: `by the ingest consumer, of ${accepted} accepted` },
        promotion_served_s: { value: promotion?.served_s ?? null, unit: 's', note: 'from the registry promote to /v1/health reporting the version' },
      },
      references: [
        {
          name: 'the same process after warm-up',
          description: `serving RSS after GC at the end of ${windowName} ${plan.warmupWindows}, under the same load`,
          figure: 'RSS',
          value: baseline.rss_mib,
          unit: 'MiB',
          ratio: round(last.rss_mib / baseline.rss_mib),
          ratio_meaning: 'RSS at the end / RSS after warm-up',
        },
      ],
      tables: [
        {
          title: `Soak: ${plan.feedRate} feed req/s and ${plan.eventRate} events/s for ${plan.windows} × ${plan.windowS} s, model promoted in window ${plan.promoteAt + 1}`,
          columns: [
            'minute',
            'feed ok',
            'feed errors',
            'p50 ms',
            'p99 ms',
            'max ms',
            'events/s',
            'event errors',
            'RSS MiB',
            'heap MiB',
            'heap committed MiB',
            'external MiB',
            'array buffers MiB',
            'wasm MiB',
            'FAISS MiB',
            'trainer heap MiB',
            'trainer wasm MiB',
            'other MiB',
            'training backlog',
            ...Object.values(CPU_COLUMNS),
            'note',
          ],
          rows: rows.map((r) => [
            r.minute,
            r.feed_ok,
            r.feed_errors,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.events_per_s,
            r.event_errors,
            r.rss_mib,
            r.heap_mib,
            r.heap_total_mib,
            r.external_mib,
            r.array_buffers_mib,
            r.wasm_mib,
            r.ann_mib,
            r.trainer_heap_mib,
            r.trainer_wasm_mib,
            r.other_mib,
            r.training_backlog,
            ...CPU_NAMES.map((name) => r.cpu_pct[name] ?? null),
            r.note,
          ]),
        },
        {
          title: 'Soak criteria (issue #20)',
          columns: ['criterion', 'value', 'met'],
          rows: [
            [`RSS growth after warm-up under ${MAX_RSS_GROWTH_PCT}%`, `${round(growthPct)}%`, growthPct < MAX_RSS_GROWTH_PCT],
            ['no errors', errors, errors === 0],
            ['promoted model served', promotion?.served_s == null ? 'no' : `after ${round(promotion.served_s)} s`, promotion?.served_s != null],
          ],
        },
      ],
      targets: [],
      series: { windows: rows.map(seriesRow) },
      notes: [
        'One run: the soak is long; its figures are over windows, not repeats.',
        'RSS and heap are read in the server after a full GC at the end of each window (--expose-gc); each thread (serving, online training) reports its own isolate and tfjs wasm heap; "other" is RSS less every named part (malloc arenas and free lists, code, stacks, other native memory).',
        'Feed latency is open loop, from each request’s due time (coordinated omission avoided); the ingest consumer runs in the harness process.',
      ],
    };
  },
};
