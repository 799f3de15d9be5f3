import { serverConfig, startServer, type ChildServer } from '../harness/child.ts';
import type { Reference } from '../harness/result.ts';
import { median, round } from '../harness/stats.ts';
import type { BenchTable } from '../harness/table.ts';
import { checkTarget } from '../harness/targets.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureWorld } from '../harness/world.ts';
import { openLoopStep, type StepResult } from './open-loop.ts';
import { stageBreakdown } from './stages.ts';

const P99_BUDGET_MS = 50;
export const BENCH_KEY = 'bench-load-key';

/** A key the rate limiter never throttles: the benchmark measures the engine, not the limit. */
export const benchKeys = { api: { keys: [{ key: BENCH_KEY, app: 'bench', admin: true, rateLimitPerMinute: 100_000_000 }] } };

/** Every source off except trending: the cheapest real feed, as a reference. */
export const TRENDING_ONLY = {
  ranker: { sources: { ann: 0, i2i: 0, trending: 200, fresh: 0, following: 0, kol: 0, social: 0, locale: 0, segment: 0 } },
};

interface Target {
  name: 'feed' | 'trending-only' | 'hello';
  server: ChildServer;
  path: (i: number) => string;
}

type StepRow = StepResult & { target: string };

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
    ...(first ? { first_error: first } : {}),
  };
}

/** Highest offered rate whose median p99 stayed under the budget with no errors, stepping up. */
export function maxRateUnder(rows: StepRow[], target: string, budgetMs = P99_BUDGET_MS): number | null {
  let best: number | null = null;
  for (const r of rows.filter((x) => x.target === target).sort((a, b) => a.rate - b.rate)) {
    if (r.p99_ms < budgetMs && r.errors === 0) best = r.rate;
    else break;
  }
  return best;
}

async function startTargets(ctx: BenchContext, worldOverrides: Record<string, unknown>, users: number): Promise<Target[]> {
  const userPath = (i: number) => `/v1/feed?user_id=u${(i * 7919) % users}&count=10`;
  ctx.log('starting servers: bare Hono route, feed, trending-only feed (each its own process)...');
  const [hello, feed, trending] = await Promise.all([
    startServer({ mode: 'hello', config: serverConfig(ctx.config, benchKeys) }, { label: 'hello' }),
    startServer({ mode: 'feed', config: serverConfig(ctx.config, worldOverrides, benchKeys) }, { label: 'feed' }),
    startServer({ mode: 'feed', config: serverConfig(ctx.config, worldOverrides, benchKeys, TRENDING_ONLY) }, { label: 'trending-only' }),
  ]);
  ctx.log(`feed server ready: ${JSON.stringify(feed.info)}`);
  return [
    { name: 'hello', server: hello, path: () => '/hello' },
    { name: 'trending-only', server: trending, path: userPath },
    { name: 'feed', server: feed, path: userPath },
  ];
}

export const feedBenchmark: Benchmark = {
  name: 'feed',
  description: `open-loop load on GET /v1/feed, stepping the request rate; highest rate with p99 under ${P99_BUDGET_MS} ms`,
  defaultRepeats: 3,
  async run(ctx): Promise<BenchOutput> {
    const items = ctx.items[0] ?? (ctx.smoke ? 2_000 : 1_000_000);
    const rates = ctx.smoke ? [20, 40] : [50, 100, 200, 300, 400, 600, 800];
    const stepS = ctx.smoke ? 0.5 : 5;
    const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
    const targets = await startTargets(ctx, world.overrides, world.users);
    const headers = { 'x-api-key': BENCH_KEY };
    const rows: StepRow[] = [];
    let stages: Record<string, number> = {};
    try {
      for (const t of targets) {
        await openLoopStep({ baseUrl: t.server.url, path: t.path, rate: 20, durationS: ctx.smoke ? 0.3 : 3, headers });
      }
      const saturated = new Set<string>();
      for (const rate of rates) {
        const runs = new Map<string, StepResult[]>();
        // Interleaved: each repeat measures every server at this rate back to back.
        for (let r = 0; r < ctx.repeats; r++) {
          for (const t of targets) {
            if (saturated.has(t.name)) continue;
            const res = await openLoopStep({ baseUrl: t.server.url, path: t.path, rate, durationS: stepS, headers });
            runs.set(t.name, [...(runs.get(t.name) ?? []), res]);
          }
        }
        for (const [name, rs] of runs) {
          const row = medianStep(name, rs);
          rows.push(row);
          ctx.log(`${String(rate).padStart(4)} req/s ${name.padEnd(13)} p50 ${row.p50_ms.toFixed(1)} p90 ${row.p90_ms.toFixed(1)} p99 ${row.p99_ms.toFixed(1)} max ${row.max_ms.toFixed(0)} ms, errors ${row.errors}${row.first_error ? ` (${row.first_error})` : ''}`);
          // Past saturation every further step only queues: stop that server once p99 passes 1 s or 5% fail.
          // The target rate (200) is always measured.
          if (rate >= 200 && (row.p99_ms > 1000 || row.errors > row.sent * 0.05)) saturated.add(name);
        }
        if (saturated.has('feed') && rate >= 200) break;
      }
      stages = stageBreakdown(await (await fetch(`${targets.find((t) => t.name === 'feed')!.server.url}/metrics`)).text());
    } finally {
      await Promise.all(targets.map((t) => t.server.stop()));
      if (ctx.smoke) await dropWorld(world.config);
    }

    const at = (target: string, rate: number) => rows.find((r) => r.target === target && r.rate === rate);
    const refRate = rates.includes(200) ? 200 : rates[rates.length - 1]!;
    const feedAt = at('feed', refRate);
    const helloAt = at('hello', refRate);
    const trendAt = at('trending-only', refRate);
    const maxFeed = maxRateUnder(rows, 'feed');
    const maxTrend = maxRateUnder(rows, 'trending-only');
    const maxHello = maxRateUnder(rows, 'hello');
    const slowest = Object.entries(stages).sort((a, b) => b[1] - a[1]).slice(0, 3);
    const bottleneck = slowest.length ? `slowest stages (mean ms): ${slowest.map(([s, v]) => `${s} ${v.toFixed(2)}`).join(', ')}` : undefined;
    const references: Reference[] = [
      {
        name: 'bare Hono route',
        description: 'GET /hello on @hono/node-server in its own process, same rates, interleaved',
        figure: `p99 at ${refRate} req/s`,
        value: helloAt ? round(helloAt.p99_ms) : null,
        unit: 'ms',
        ratio: feedAt && helloAt ? round(feedAt.p99_ms / helloAt.p99_ms) : null,
        ratio_meaning: 'feed p99 / bare route p99',
      },
      {
        name: 'trending-only feed',
        description: 'the same service and world with every candidate source off except trending',
        figure: `p99 at ${refRate} req/s`,
        value: trendAt ? round(trendAt.p99_ms) : null,
        unit: 'ms',
        ratio: feedAt && trendAt ? round(feedAt.p99_ms / trendAt.p99_ms) : null,
        ratio_meaning: 'full feed p99 / trending-only p99',
      },
    ];
    const table: BenchTable = {
      title: `GET /v1/feed, open loop, ${items.toLocaleString('en-US')} items, ${stepS}s per step (medians of ${ctx.repeats}; errors summed)`,
      columns: ['req/s', 'server', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'done/s', 'errors'],
      rows: rows.map((r) => [r.rate, r.target, round(r.p50_ms), round(r.p90_ms), round(r.p99_ms), round(r.max_ms), round(r.achieved_rps), r.errors]),
    };
    const stageTable: BenchTable = {
      title: 'feed server: mean time per pipeline stage over the whole run (from /metrics)',
      columns: ['stage', 'mean ms'],
      rows: Object.entries(stages).sort((a, b) => b[1] - a[1]).map(([s, v]) => [s, round(v)]),
    };
    return {
      dataset: { items, users: world.users, world_database: world.config.clickhouse.database },
      params: { rates, step_s: stepS, p99_budget_ms: P99_BUDGET_MS, seeded_now: world.seeded, seed_seconds: round(world.seedSeconds), feed_server: targets.find((t) => t.name === 'feed')!.server.info },
      figures: {
        [`p99_ms_at_${refRate}rps`]: { value: feedAt ? round(feedAt.p99_ms) : null, unit: 'ms', note: `p50 ${feedAt ? round(feedAt.p50_ms) : '-'} ms` },
        max_rps_p99_under_50ms: { value: maxFeed ?? 0, unit: 'req/s', note: 'highest step with p99 < 50 ms and no errors' },
        trending_only_max_rps: { value: maxTrend ?? 0, unit: 'req/s' },
        hello_max_rps: { value: maxHello ?? 0, unit: 'req/s', note: `highest step tried: ${rates[rates.length - 1]}` },
      },
      references,
      tables: stageTable.rows.length ? [table, stageTable] : [table],
      targets: [checkTarget('feed_p99_200rps', feedAt ? round(feedAt.p99_ms) : null, { items, ...(bottleneck ? { note: bottleneck } : {}) })],
      series: { steps: rows.map((r) => ({ target: r.target, rate: r.rate, p50_ms: round(r.p50_ms), p90_ms: round(r.p90_ms), p99_ms: round(r.p99_ms), max_ms: round(r.max_ms), errors: r.errors })) },
      notes: [
        'Load generator and servers share the machine: on 2 cores the generator takes CPU from the server at high rates.',
        ...(bottleneck ? [`feed ${bottleneck}`] : []),
      ],
    };
  },
};
