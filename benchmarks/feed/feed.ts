import { rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { sleep, withContext } from '../../core/errors.ts';
import { serverConfig, startServer, type ChildServer } from '../harness/child.ts';
import { HISTORY_CAP, postEvents, recentHistory, replayedEvents } from '../harness/history-replay.ts';
import type { Reference } from '../harness/result.ts';
import { median, percentile, round } from '../harness/stats.ts';
import type { BenchTable } from '../../core/table.ts';
import { checkTarget } from '../harness/targets.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { ensureTrainedModels, requireTrainedModel, type BenchModels } from '../harness/trained-models.ts';
import { dropWorld, emptyEventLog, ensureWorld } from '../harness/world.ts';
import { openLoopStep, type StepResult } from './open-loop.ts';
import { counterValue, stageBreakdown } from './stages.ts';

const P99_BUDGET_MS = 50;
export const BENCH_KEY = 'bench-load-key';

/** A key the rate limiter never throttles: the benchmark measures the engine, not the limit. */
export const benchKeys = { api: { keys: [{ key: BENCH_KEY, app: 'bench', admin: true, rateLimitPerMinute: 100_000_000, userRateLimitPerMinute: 100_000_000 }] } };

/** Every source off except trending: the cheapest real feed, as a reference. */
export const TRENDING_ONLY = {
  ranker: { sources: { ann: 0, i2i: 0, trending: 200, fresh: 0, following: 0, kol: 0, social: 0, locale: 0, segment: 0 } },
};

interface Target {
  name: 'feed' | 'trending-only' | 'hello';
  server: ChildServer;
  path: (i: number) => string;
}

/** A rate step's medians over the repeats, with the spread of its p99. */
type StepRow = StepResult & { target: string; repeats: number; p99_min_ms: number; p99_max_ms: number };

function medianStep(target: string, runs: StepResult[]): StepRow {
  const m = (k: 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms' | 'achieved_rps') => median(runs.map((r) => r[k]));
  const first = runs.find((r) => r.first_error)?.first_error;
  return {
    target,
    rate: runs[0]!.rate,
    sent: runs.reduce((s, r) => s + r.sent, 0),
    ok: runs.reduce((s, r) => s + r.ok, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    timeouts: runs.reduce((s, r) => s + r.timeouts, 0),
    achieved_rps: m('achieved_rps'),
    p50_ms: m('p50_ms'),
    p90_ms: m('p90_ms'),
    p99_ms: m('p99_ms'),
    max_ms: m('max_ms'),
    repeats: runs.length,
    p99_min_ms: Math.min(...runs.map((r) => r.p99_ms)),
    p99_max_ms: Math.max(...runs.map((r) => r.p99_ms)),
    ...(first ? { first_error: first } : {}),
  };
}

/**
 * Requests per rate step in a full run: a p99 over 10,000 requests is the 100th-worst, so one
 * GC pause cannot decide it. Each step lasts REQUESTS_PER_STEP / rate seconds.
 */
export const REQUESTS_PER_STEP = 10_000;
const FULL_RATES = [100, 200, 300, 400];

/** Highest offered rate whose median p99 stayed under the budget with no errors, stepping up. */
type KneeStep = Pick<StepRow, 'target' | 'rate' | 'p99_ms' | 'errors'>;

export function maxRateUnder(rows: readonly KneeStep[], target: string, budgetMs = P99_BUDGET_MS): number | null {
  let best: number | null = null;
  for (const r of rows.filter((x) => x.target === target).sort((a, b) => a.rate - b.rate)) {
    if (r.p99_ms < budgetMs && r.errors === 0) best = r.rate;
    else break;
  }
  return best;
}

/**
 * A server's knee (maxRateUnder) and why it is not higher: the next step it missed, or, when it
 * passed every step measured, that the knee is only a lower bound.
 */
export function kneeOf(rows: readonly KneeStep[], target: string): { rps: number | null; note: string } {
  const rps = maxRateUnder(rows, target);
  const rates = rows.filter((r) => r.target === target).map((r) => r.rate);
  if (rps === null) return { rps, note: `missed from the first step (${Math.min(...rates)} req/s)` };
  const next = rates.filter((r) => r > rps).sort((a, b) => a - b)[0];
  return { rps, note: next === undefined ? `at least ${rps}: the highest step measured` : `${next} req/s missed` };
}

/** The user of a step's request i: a stride through the world's users (every step starts again at i = 0). */
const userOf = (i: number, users: number) => (i * 7919) % users;

const TARGET_ORDER = ['hello', 'trending-only', 'feed'];

/** Servers measured together: the full feed beside the bare route, then the trending-only feed alone. */
const PHASES: Target['name'][][] = [['hello', 'feed'], ['trending-only']];

/**
 * Starts one phase's servers. Each 1M-item feed server is N serving processes of about 2 GiB;
 * only one is up at a time, so an idle reference's timers and GC never land in the measured
 * server's latency.
 */
async function startTargets(ctx: BenchContext, names: Target['name'][], worldOverrides: Record<string, unknown>, users: number): Promise<Target[]> {
  const userPath = (i: number) => `/v1/feed?user_id=u${userOf(i, users)}&count=10`;
  const { workers } = ctx.config.api;
  const feedConfig = (...extra: Record<string, unknown>[]) => serverConfig(ctx.config, worldOverrides, benchKeys, ...extra);
  const start = async (name: Target['name']): Promise<Target> => {
    if (name === 'hello') return { name, server: await startServer({ mode: 'hello', config: serverConfig(ctx.config, benchKeys) }, { label: name }), path: () => '/hello' };
    const config = name === 'feed' ? feedConfig() : feedConfig(TRENDING_ONLY);
    return { name, server: await startServer({ mode: 'feed', workers, config }, { label: name }), path: userPath };
  };
  ctx.log(`starting ${names.join(' and ')} (feed servers: ${workers} serving process${workers > 1 ? 'es' : ''} each)...`);
  const targets = await Promise.all(names.map(start));
  for (const t of targets) if (t.name !== 'hello') ctx.log(`${t.name} server ready: ${JSON.stringify(t.server.info)}`);
  return targets;
}

interface HistoryStats {
  users: number;
  events: number;
  events_per_user: { p10: number; p50: number; p90: number; max: number };
  post_s: number;
  settle_s: number;
  online_training_steps: number[];
  /** Events the serving processes' online trainers dropped (beyond 100,000 waiting), summed over processes. */
  online_training_dropped: number;
}

/**
 * Waits until the feed server's processes have applied `events` and their online trainers have
 * none waiting and stopped stepping (their training threads share the cores, so measuring
 * before would time training too).
 */
async function waitSettled(servers: Target[], events: number, workers: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const health = (await Promise.all(servers.map((t) => healthOfEachWorker(t.server.url, workers)))).flat();
    // Events each process holds: from the stream, or its own (applied at POST, skipped by its follower).
    const streamed = health.map((c) => Number(c.online_state?.streamed ?? 0) + Number(c.online_state?.own ?? 0));
    const training = health.map((c) => (c.model?.online_training ?? {}) as { steps?: number; waiting_events?: number });
    const steps = training.map((t) => Number(t.steps ?? 0));
    const waiting = training.map((t) => Number(t.waiting_events ?? 0));
    if (streamed.every((n) => n >= events) && waiting.every((n) => n === 0) && JSON.stringify(steps) === last) return steps;
    if (Date.now() > deadline) {
      throw new Error(
        `servers not settled after ${timeoutMs / 1000} s: streamed ${streamed.join('/')} of ${events} events, online training steps ${steps.join('/')}, events waiting for training ${waiting.join('/')}`,
      );
    }
    last = JSON.stringify(steps);
    await sleep(1000);
  }
}

type HealthComponents = Record<string, Record<string, unknown> | undefined>;

/** /v1/health from each serving process: one new connection each, which the cluster hands out round-robin. */
async function healthOfEachWorker(url: string, workers: number): Promise<HealthComponents[]> {
  const out: HealthComponents[] = [];
  for (let w = 0; w < workers; w++) {
    const body = await new Promise<string>((resolve, reject) => {
      httpGet(`${url}/v1/health`, { agent: false, headers: { 'x-api-key': BENCH_KEY } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    out.push((JSON.parse(body) as { components: HealthComponents }).components);
  }
  return out;
}

/**
 * Replays every requested user's own recent history (their simulated history, newest
 * HISTORY_CAP events, so lengths vary as real users' do) through the feed server's
 * POST /v1/events (up to 4 batches in flight), so the user tower, item-to-item, trending and
 * the online counters work as on a live service. The trending-only server, started later, reads
 * the same events from Kafka.
 */
async function postHistory(ctx: BenchContext, config: Config, feed: Target, users: number[]): Promise<HistoryStats> {
  const byUser = await recentHistory(
    config,
    users.map((u) => `u${u}`),
  );
  const tag = `r${Date.now().toString(36)}`;
  const now = Date.now();
  const perUser = users.map((u) => replayedEvents(byUser.get(`u${u}`) ?? [], tag, now - 1000));
  const lengths = perUser.map((e) => e.length);
  const q = (p: number) => percentile(lengths, p * 100);
  const all = perUser.flat();
  ctx.log(
    `replaying the recent history of the ${users.length.toLocaleString('en-US')} users the load requests: ${all.length.toLocaleString('en-US')} events (per user p10 ${q(0.1)}, p50 ${q(0.5)}, p90 ${q(0.9)}, max ${q(1)})...`,
  );
  const t0 = Date.now();
  await withContext('replaying history events', () => postEvents(feed.server.url, BENCH_KEY, all, config.api.maxEventsPerBatch));
  const postS = (Date.now() - t0) / 1000;
  ctx.log(`  posted in ${postS.toFixed(1)} s; waiting for the feed server to apply and train on them...`);
  const steps = await waitSettled([feed], all.length, ctx.config.api.workers, 900_000);
  const settleS = (Date.now() - t0) / 1000 - postS;
  const dropped = counterValue(await (await fetch(`${feed.server.url}/metrics`)).text(), 'feed_model_online_dropped_events_total');
  ctx.log(`  settled after ${settleS.toFixed(1)} s more (online training steps: ${steps.join(', ')}; events dropped by the online trainers: ${dropped})`);
  return {
    users: users.length,
    events: all.length,
    events_per_user: { p10: q(0.1), p50: q(0.5), p90: q(0.9), max: q(1) },
    post_s: round(postS),
    settle_s: round(settleS),
    online_training_steps: steps,
    online_training_dropped: dropped,
  };
}

export const feedBenchmark: Benchmark = {
  name: 'feed',
  description: `open-loop load on GET /v1/feed, stepping the request rate; highest rate with p99 under ${P99_BUDGET_MS} ms`,
  defaultRepeats: 3,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const items = ctx.items[0] ?? (ctx.smoke ? 2_000 : 1_000_000);
    const rates = ctx.smoke ? [20, 40] : FULL_RATES;
    const stepSeconds = (rate: number) => (ctx.smoke ? 0.5 : REQUESTS_PER_STEP / rate);
    const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
    // Smoke worlds of one size share a data folder: this run's model registry gets its own, removed afterwards.
    const config: Config = ctx.smoke ? { ...world.config, dataDir: join(world.config.dataDir, world.config.clickhouse.database) } : world.config;
    const headers = { 'x-api-key': BENCH_KEY };
    const rows: StepRow[] = [];
    const feedInfo: Record<string, unknown> = {};
    let stages: Record<string, number> = {};
    let models: BenchModels;
    let history: HistoryStats | undefined;

    /** Warms each server, then steps the rate, each repeat measuring the servers back to back. */
    const measure = async (targets: Target[]) => {
      for (const t of targets) await openLoopStep({ baseUrl: t.server.url, path: t.path, rate: 20, durationS: ctx.smoke ? 0.3 : 3, headers });
      const main = targets[targets.length - 1]!.name;
      const saturated = new Set<string>();
      for (const rate of rates) {
        const runs = new Map<string, StepResult[]>();
        for (let r = 0; r < ctx.repeats; r++) {
          for (const t of targets) {
            if (saturated.has(t.name)) continue;
            const res = await openLoopStep({ baseUrl: t.server.url, path: t.path, rate, durationS: stepSeconds(rate), headers });
            runs.set(t.name, [...(runs.get(t.name) ?? []), res]);
          }
        }
        for (const [name, rs] of runs) {
          const row = medianStep(name, rs);
          rows.push(row);
          ctx.log(
            `${String(rate).padStart(4)} req/s ${name.padEnd(13)} p50 ${row.p50_ms.toFixed(1)} p90 ${row.p90_ms.toFixed(1)} p99 ${row.p99_ms.toFixed(1)} max ${row.max_ms.toFixed(0)} ms, errors ${row.errors}${row.first_error ? ` (${row.first_error})` : ''}`,
          );
          // Past saturation every further step only queues: stop that server once p99 passes 1 s or 5% fail.
          // The target rate (200) is always measured.
          if (rate >= 200 && (row.p99_ms > 1000 || row.errors > row.sent * 0.05)) saturated.add(name);
        }
        if (saturated.has(main) && rate >= 200) break;
      }
    };

    try {
      models = await ensureTrainedModels(world, config, { smoke: ctx.smoke, log: ctx.log });
      await emptyEventLog(config);
      const perStep = Math.max(...rates.map((r) => Math.round(r * stepSeconds(r))));
      const requested = [...new Set(Array.from({ length: perStep }, (_, i) => userOf(i, world.users)))];
      for (const names of PHASES) {
        const targets = await startTargets(ctx, names, { ...world.overrides, dataDir: config.dataDir }, world.users);
        try {
          const feed = targets.find((t) => t.name !== 'hello')!;
          requireTrainedModel(feed.server.info, models, feed.name);
          if (!history) history = await postHistory(ctx, config, feed, requested);
          else {
            ctx.log(`waiting for the ${feed.name} server to stream the ${history.events.toLocaleString('en-US')} history events from Kafka...`);
            await waitSettled([feed], history.events, ctx.config.api.workers, 300_000);
          }
          await measure(targets);
          if (feed.name === 'feed') {
            Object.assign(feedInfo, feed.server.info);
            stages = stageBreakdown(await (await fetch(`${feed.server.url}/metrics`)).text());
          }
        } finally {
          await Promise.all(targets.map((t) => t.server.stop()));
        }
      }
    } finally {
      if (ctx.smoke) {
        await dropWorld(world.config);
        rmSync(config.dataDir, { recursive: true, force: true });
      }
    }
    rows.sort((x, y) => x.rate - y.rate || TARGET_ORDER.indexOf(x.target) - TARGET_ORDER.indexOf(y.target));

    const at = (target: string, rate: number) => rows.find((r) => r.target === target && r.rate === rate);
    const refRate = rates.includes(200) ? 200 : rates[rates.length - 1]!;
    const feedAt = at('feed', refRate);
    const helloAt = at('hello', refRate);
    const trendAt = at('trending-only', refRate);
    const feedKnee = kneeOf(rows, 'feed');
    const trendKnee = kneeOf(rows, 'trending-only');
    const helloKnee = kneeOf(rows, 'hello');
    const maxFeed = feedKnee.rps;
    const maxTrend = trendKnee.rps;
    const maxHello = helloKnee.rps;
    const kneeRatio = maxFeed !== null && maxHello ? round(maxFeed / maxHello) : null;
    const slowest = Object.entries(stages)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
    const bottleneck = slowest.length ? `slowest stages (mean ms): ${slowest.map(([s, v]) => `${s} ${v.toFixed(2)}`).join(', ')}` : undefined;
    const references: Reference[] = [
      {
        name: 'bare Hono route',
        description: 'GET /hello on @hono/node-server in its own process, same rates, interleaved with the feed',
        figure: `p99 at ${refRate} req/s`,
        value: helloAt ? round(helloAt.p99_ms) : null,
        unit: 'ms',
        ratio: feedAt && helloAt ? round(feedAt.p99_ms / helloAt.p99_ms) : null,
        ratio_meaning: 'feed p99 / bare route p99',
      },
      {
        name: 'trending-only feed',
        description: 'the same service and world with every candidate source off except trending, measured after the feed server stopped',
        figure: `p99 at ${refRate} req/s`,
        value: trendAt ? round(trendAt.p99_ms) : null,
        unit: 'ms',
        ratio: feedAt && trendAt ? round(feedAt.p99_ms / trendAt.p99_ms) : null,
        ratio_meaning: 'full feed p99 / trending-only p99',
      },
      {
        name: 'bare Hono route, knee',
        description: `the bare route's highest rate whose median p99 stayed under ${P99_BUDGET_MS} ms with no errors (${helloKnee.note})`,
        figure: `highest rate with median p99 < ${P99_BUDGET_MS} ms`,
        value: maxHello,
        unit: 'req/s',
        ratio: kneeRatio,
        ratio_meaning: 'feed knee / bare route knee',
      },
    ];
    const perStepNote = ctx.smoke ? `${stepSeconds(rates[0]!)} s per step` : `${REQUESTS_PER_STEP.toLocaleString('en-US')} requests per step`;
    const table: BenchTable = {
      title: `GET /v1/feed, open loop, ${items.toLocaleString('en-US')} items, ${perStepNote} (medians of ${ctx.repeats}, p99 min-max over them; errors summed)`,
      columns: ['req/s', 'server', 'p50 ms', 'p90 ms', 'p99 ms', 'p99 min', 'p99 max', 'max ms', 'done/s', 'errors'],
      rows: rows.map((r) => [r.rate, r.target, round(r.p50_ms), round(r.p90_ms), round(r.p99_ms), round(r.p99_min_ms), round(r.p99_max_ms), round(r.max_ms), round(r.achieved_rps), r.errors]),
    };
    const kneeTable: BenchTable = {
      title: `Knee: highest rate whose median p99 over the repeats stayed under ${P99_BUDGET_MS} ms with no errors (steps ${rates.join(', ')} req/s)`,
      columns: ['server', 'knee req/s', 'knee / bare route', 'why not higher'],
      rows: (
        [
          ['feed', feedKnee],
          ['trending-only', trendKnee],
          ['hello', helloKnee],
        ] as const
      ).map(([server, k]) => [server, k.rps, k.rps !== null && maxHello ? round(k.rps / maxHello) : null, k.note]),
    };
    const stageTable: BenchTable = {
      title: 'feed server: mean time per pipeline stage over the whole run (from /metrics)',
      columns: ['stage', 'mean ms'],
      rows: Object.entries(stages)
        .sort((a, b) => b[1] - a[1])
        .map(([s, v]) => [s, round(v)]),
    };
    return {
      dataset: { items, users: world.users, world_database: world.config.clickhouse.database },
      params: {
        rates,
        requests_per_step: ctx.smoke ? null : REQUESTS_PER_STEP,
        step_s: rates.map(stepSeconds),
        p99_budget_ms: P99_BUDGET_MS,
        seeded_now: world.seeded,
        seed_seconds: round(world.seedSeconds),
        feed_server: feedInfo,
        models,
        world_history: world.history,
        replayed_history: { ...history!, cap_per_user: HISTORY_CAP },
      },
      figures: {
        [`p99_ms_at_${refRate}rps`]: {
          value: feedAt ? round(feedAt.p99_ms) : null,
          unit: 'ms',
          note: `median of ${ctx.repeats} steps; p50 ${feedAt ? round(feedAt.p50_ms) : '-'} ms`,
          ...(feedAt ? { min: round(feedAt.p99_min_ms), max: round(feedAt.p99_max_ms), runs: feedAt.repeats } : {}),
        },
        max_rps_p99_under_50ms: { value: maxFeed ?? 0, unit: 'req/s', note: `the knee: highest step whose median p99 < 50 ms with no errors; ${feedKnee.note}` },
        trending_only_max_rps: { value: maxTrend ?? 0, unit: 'req/s', note: trendKnee.note },
        hello_max_rps: { value: maxHello ?? 0, unit: 'req/s', note: `the bare route's knee; ${helloKnee.note}` },
        knee_ratio_to_bare_route: { value: kneeRatio, unit: 'x', note: `feed knee / bare route knee; feed: ${feedKnee.note}; bare route: ${helloKnee.note}` },
      },
      references,
      tables: stageTable.rows.length ? [table, kneeTable, stageTable] : [table, kneeTable],
      targets: [
        checkTarget('feed_p99_200rps', feedAt ? round(feedAt.p99_ms) : null, {
          items,
          ...(bottleneck ? { note: bottleneck } : {}),
          ...(feedAt ? { spread: { min: round(feedAt.p99_min_ms), max: round(feedAt.p99_max_ms), runs: feedAt.repeats } } : {}),
        }),
      ],
      series: {
        steps: rows.map((r) => ({
          target: r.target,
          rate: r.rate,
          p50_ms: round(r.p50_ms),
          p90_ms: round(r.p90_ms),
          p99_ms: round(r.p99_ms),
          p99_min_ms: round(r.p99_min_ms),
          p99_max_ms: round(r.p99_max_ms),
          max_ms: round(r.max_ms),
          errors: r.errors,
        })),
      },
      notes: [
        'Load generator and servers share the machine: on 2 cores the generator takes CPU from the server at high rates.',
        `The feed and trending-only servers, measured one after the other, serve model version ${models.version}, trained ${models.epochs} epoch(s) on the world's ${models.events.toLocaleString('en-US')} simulated history events (${models.size_mib} MiB on disk${models.reused ? '; reused, same world and model config' : `; trained in ${models.train_s} s`}).`,
        `Before measuring, each requested user's own recent history (newest ${HISTORY_CAP} events; per user p50 ${history!.events_per_user.p50}, p90 ${history!.events_per_user.p90}) is replayed as live events, ${history!.events.toLocaleString('en-US')} in all${history!.online_training_dropped ? `; the online trainers dropped ${history!.online_training_dropped.toLocaleString('en-US')} of them (more than 100,000 waiting)` : ''}.`,
        ...(bottleneck ? [`feed ${bottleneck}`] : []),
      ],
    };
  },
};
