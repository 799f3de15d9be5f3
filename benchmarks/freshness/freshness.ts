import { randomBytes } from 'node:crypto';
import { sleep } from '../../core/errors.ts';
import { benchKeys, BENCH_KEY } from '../feed/feed.ts';
import { serverConfig, startServer, type ChildServer } from '../harness/child.ts';
import { ensureTrainedModels } from '../harness/trained-models.ts';
import { median, overRuns, percentile, round, spreadOf } from '../harness/stats.ts';
import { checkTarget } from '../harness/targets.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureWorld } from '../harness/world.ts';
import { catalogWriteTrial, type CatalogWriteTrial } from './catalog-write.ts';
import { newItemToAnn } from './new-item.ts';

const headers = { 'x-api-key': BENCH_KEY, 'content-type': 'application/json' };
const TIMEOUT_MS = 10_000;

interface Page {
  ids: string[];
  ms: number;
}

async function feedPage(server: ChildServer, user: string): Promise<Page> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/v1/feed?user_id=${user}&count=10`, { headers });
  if (res.status !== 200) throw new Error(`GET /v1/feed answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { items: { type: string; item_id?: string }[] };
  return { ids: body.items.filter((e) => e.type === 'video').map((e) => e.item_id!), ms: performance.now() - t0 };
}

/**
 * One trial: find an item the user's feed shows on three requests in a row, post
 * `not_interested` for it, then request the feed until the item is gone. Returns ms from the
 * POST's 200 to the first feed response without it, or null when the user has no stable item.
 */
async function trial(post: ChildServer, poll: ChildServer, user: string, feedMs: number[]): Promise<number | null | 'timeout'> {
  const pages = [await feedPage(poll, user), await feedPage(poll, user), await feedPage(poll, user)];
  feedMs.push(...pages.map((p) => p.ms));
  const item = pages[0]!.ids.find((id) => pages[1]!.ids.includes(id) && pages[2]!.ids.includes(id));
  if (!item) return null;
  const event = { event_id: `bench-${randomBytes(6).toString('hex')}`, kind: 'not_interested', user_id: user, item_id: item, ts: Date.now() };
  const res = await fetch(`${post.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events: [event] }) });
  if (res.status !== 200) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  const accepted = performance.now();
  while (performance.now() - accepted < TIMEOUT_MS) {
    const page = await feedPage(poll, user);
    if (!page.ids.includes(item)) return performance.now() - accepted;
    await sleep(5);
  }
  return 'timeout';
}

interface PathRun {
  p50: number;
  p99: number;
  trials: number;
  timeouts: number;
}

async function measurePath(ctx: BenchContext, post: ChildServer, poll: ChildServer, users: number, first: number, count: number, feedMs: number[]): Promise<{ runs: PathRun[]; all: number[] }> {
  const runs: PathRun[] = [];
  const all: number[] = [];
  let u = first;
  for (let r = 0; r < ctx.repeats; r++) {
    const lat: number[] = [];
    let timeouts = 0;
    for (let attempts = 0; lat.length + timeouts < count && attempts < count * 4; attempts++) {
      const out = await trial(post, poll, `u${u++ % users}`, feedMs);
      if (out === 'timeout') timeouts++;
      else if (out !== null) lat.push(out);
    }
    all.push(...lat);
    runs.push({ p50: percentile(lat, 50), p99: percentile(lat, 99), trials: lat.length, timeouts });
  }
  return { runs, all };
}

export const freshnessBenchmark: Benchmark = {
  name: 'freshness',
  description: "time from an event accepted by POST /v1/events to the same user's next feed changing; catalog writes to another replica; new item to retrievable via ANN",
  defaultRepeats: 3,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const items = ctx.items[0] ?? (ctx.smoke ? 2_000 : 100_000);
    const perRun = ctx.smoke ? 3 : 20;
    const world = await ensureWorld(ctx.config, items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench');
    // The servers serve the world's promoted version: make it one trained for this world and build, as the feed benchmark does.
    const models = await ensureTrainedModels(world, world.config, { smoke: ctx.smoke, log: ctx.log });
    ctx.log('starting two feed server processes over the same world and topic (replica A and B)...');
    const config = serverConfig(ctx.config, world.overrides, benchKeys);
    const [a, b] = await Promise.all([startServer({ mode: 'feed', config }, { label: 'replica-a' }), startServer({ mode: 'feed', config }, { label: 'replica-b' })]);
    const feedMs: number[] = [];
    let same: Awaited<ReturnType<typeof measurePath>>;
    let other: Awaited<ReturnType<typeof measurePath>>;
    const writeRuns: CatalogWriteTrial[][] = [];
    try {
      ctx.log(`same replica: POST to A, read the feed from A (${perRun} users x ${ctx.repeats})`);
      same = await measurePath(ctx, a, a, world.users, 0, perRun, feedMs);
      ctx.log(`other replica: POST to A, read the feed from B through Kafka and B's stream follower`);
      other = await measurePath(ctx, a, b, world.users, Math.floor(world.users / 2), perRun, feedMs);
      ctx.log(`catalog writes: publish and retire on A, read the item on B through the catalog topic (${perRun} items x ${ctx.repeats})`);
      const template = (await feedPage(a, 'u0')).ids[0];
      if (!template) throw new Error('the feed of u0 is empty: no item to copy for the catalog-write trials');
      for (let r = 0; r < ctx.repeats; r++) {
        const run: CatalogWriteTrial[] = [];
        for (let t = 0; t < perRun; t++) run.push(await catalogWriteTrial(a, b, template));
        writeRuns.push(run);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      if (ctx.smoke) await dropWorld(world.config);
    }
    // New item -> ANN: a quiet stream (the trainer's flush timer decides) and a busy one (batches fill).
    const annRates = ctx.smoke ? [300] : [5, 500];
    const annRuns: { rate: number; secs: (number | null)[] }[] = [];
    for (const rate of annRates) {
      ctx.log(`new item -> ANN with ${rate} background events/s (${ctx.repeats} new items)`);
      annRuns.push({ rate, secs: await newItemToAnn(ctx, { items: ctx.smoke ? 300 : 20_000, eventsPerSec: rate, trials: ctx.repeats, timeoutS: ctx.smoke ? 10 : 90 }) });
    }
    const annWorst = Math.max(...annRuns.flatMap((r) => r.secs.map((x) => x ?? Infinity)));
    const annFigure = Number.isFinite(annWorst) ? round(annWorst) : null;
    const med = (runs: PathRun[], k: 'p50' | 'p99') => median(runs.map((r) => r[k]));
    const feedP50 = percentile(feedMs, 50);
    const otherP99 = med(other.runs, 'p99');
    const sameP99 = med(same.runs, 'p99');
    const p99Of = (p: { runs: PathRun[] }, note?: string) =>
      overRuns(
        p.runs.map((r) => r.p99),
        'ms',
        note,
      );
    const worst = otherP99 >= sameP99 ? { p99: p99Of(other), path: 'other replica (through Kafka and the stream follower)' } : { p99: p99Of(same), path: 'same replica' };
    // Per run: the percentile of that run's writes (a timeout counts as TIMEOUT_MS); the figure is the median over runs.
    const writeStat = (k: keyof CatalogWriteTrial, stat: 'p50' | 'p99', note?: string) =>
      overRuns(
        writeRuns.map((run) =>
          percentile(
            run.map((x) => x[k] ?? TIMEOUT_MS),
            stat === 'p50' ? 50 : 99,
          ),
        ),
        'ms',
        note,
      );
    const writeTimeouts = (k: keyof CatalogWriteTrial) => writeRuns.flat().filter((x) => x[k] === null).length;
    const writeP99 = [writeStat('publishMs', 'p99'), writeStat('retireMs', 'p99')].reduce((a, b) => ((b.value ?? 0) > (a.value ?? 0) ? b : a));
    const row = (name: string, p: { runs: PathRun[] }) => [
      name,
      round(med(p.runs, 'p50')),
      round(med(p.runs, 'p99')),
      p.runs.reduce((s, r) => s + r.trials, 0),
      p.runs.reduce((s, r) => s + r.timeouts, 0),
    ];
    return {
      dataset: { items, users: world.users },
      params: { models, trials_per_run: perRun, timeout_ms: TIMEOUT_MS, event: 'not_interested on an item the feed showed three times in a row' },
      figures: {
        event_to_feed_p50_ms_same_replica: overRuns(
          same.runs.map((r) => r.p50),
          'ms',
        ),
        event_to_feed_p99_ms_same_replica: p99Of(same),
        event_to_feed_p50_ms_other_replica: overRuns(
          other.runs.map((r) => r.p50),
          'ms',
          'through Kafka and the stream follower',
        ),
        event_to_feed_p99_ms_other_replica: p99Of(other, 'through Kafka and the stream follower'),
        catalog_publish_to_other_replica_p50_ms: writeStat('publishMs', 'p50', 'POST /v1/items on A -> GET /v1/items/:id on B finds it'),
        catalog_publish_to_other_replica_p99_ms: writeStat('publishMs', 'p99'),
        catalog_retire_to_other_replica_p50_ms: writeStat('retireMs', 'p50', 'DELETE /v1/items/:id on A -> B reports it unavailable'),
        catalog_retire_to_other_replica_p99_ms: writeStat('retireMs', 'p99'),
        ...Object.fromEntries(
          annRuns.map((r) => [
            `new_item_to_ann_s_at_${r.rate}eps`,
            { value: r.secs.every((x) => x !== null) ? round(median(r.secs as number[])) : null, unit: 's', note: `median of ${r.secs.length} new items, ${r.rate} background events/s` },
          ]),
        ),
      },
      references: [
        {
          name: 'one GET /v1/feed',
          description: 'latency of the feed requests made during the trials (the resolution of the measurement)',
          figure: 'p50 latency',
          value: round(feedP50),
          unit: 'ms',
          ratio: round(otherP99 / feedP50),
          ratio_meaning: 'other-replica p99 effect time / one feed request',
        },
      ],
      tables: [
        {
          title: `Event accepted -> next feed changed (${items.toLocaleString('en-US')} items; medians of ${ctx.repeats} runs)`,
          columns: ['path', 'p50 ms', 'p99 ms', 'trials', 'timeouts'],
          rows: [row('same replica (POST and GET on A)', same), row('other replica (POST on A, GET on B)', other)],
        },
        {
          title: `Catalog write accepted on A -> applied by B (through the catalog topic; medians of ${ctx.repeats} runs of ${perRun} items)`,
          columns: ['write', 'p50 ms', 'p99 ms', 'trials', 'timeouts'],
          rows: (['publishMs', 'retireMs'] as const).map((k) => [
            k === 'publishMs' ? 'publish (POST /v1/items)' : 'retire (DELETE /v1/items/:id)',
            writeStat(k, 'p50').value,
            writeStat(k, 'p99').value,
            writeRuns.flat().length,
            writeTimeouts(k),
          ]),
        },
        {
          title: 'New item: first engagement -> returned by the serving ANN index (online trainer -> index)',
          columns: ['background events/s', 'median s', 'max s', 'items', 'not retrievable'],
          rows: annRuns.map((r) => {
            const ok = r.secs.filter((x): x is number => x !== null);
            return [r.rate, ok.length ? round(median(ok)) : null, ok.length ? round(Math.max(...ok)) : null, r.secs.length, r.secs.length - ok.length];
          }),
        },
      ],
      targets: [
        checkTarget('event_to_feed_p99', worst.p99.value, { note: `slower path: ${worst.path}`, spread: spreadOf(worst.p99) }),
        checkTarget('catalog_write_p99', writeP99.value, { note: 'the slower of publish and retire; a timeout counts as 10 s', spread: spreadOf(writeP99) }),
        checkTarget('new_item_ann', annFigure, { note: 'slowest new item over all runs (quiet stream: the online trainer flushes every 10 s)' }),
      ],
      series: {
        trials: [...same.all.map((ms) => ({ path: 'same', ms: round(ms) })), ...other.all.map((ms) => ({ path: 'other', ms: round(ms) }))],
        new_item: annRuns.flatMap((r) => r.secs.map((x) => ({ events_per_s: r.rate, seconds: x === null ? null : round(x) }))),
      },
      notes: [
        'Effect time is measured to the first feed response without the item; feed requests are sent back to back, 5 ms apart.',
        'New item -> ANN runs in this process with the serving wiring (OnlineTrainer -> ModelHolder.addItemVectors) on a small model trained for the run; the HTTP and Kafka hops before it are the event-to-feed figures above.',
      ],
    };
  },
};
