import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.ts';
import { nextMessage } from '../harness/child.ts';
import { rssOf } from '../harness/machine.ts';
import type { Figure, Reference } from '../harness/result.ts';
import { median, overRuns, round } from '../harness/stats.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { dropWorld, ensureCopiedWorld, ensureWorld, type BenchWorld } from '../harness/world.ts';
import type { ScaleChildResult } from './scale-child.ts';
import { matmulGflops } from './train.ts';
import { checkTarget } from '../harness/targets.ts';

/**
 * The demo world's people and catalog with longer and longer histories: training memory must
 * not grow with the events (only with people and items, which stay fixed here).
 */
const ITEMS = 20_000;
const USERS = 2_000;
/**
 * Days of history: 12 give about 1.1M events; 125 give about 3.4M, not 10M, because the
 * simulator's videos are at most 60 days old, so older days have few videos to watch. The
 * largest size is the 125-day history three times over (`copies`, harness/world.ts
 * ensureCopiedWorld): about 10.2M events of the same people and videos.
 */
interface ScaleSize {
  key: string;
  days: number;
  copies?: number;
}
export const SCALE_SIZES: ScaleSize[] = [
  { key: 'small', days: 12 },
  { key: 'large', days: 125 },
  { key: 'xl', days: 125, copies: 3 },
];
const SMOKE: { items: number; users: number; sizes: ScaleSize[] } = {
  items: 300,
  users: 60,
  sizes: [
    { key: 'small', days: 1 },
    { key: 'large', days: 2, copies: 2 },
  ],
};
/** Epochs of both models: one pass is enough to measure examples/s and the memory of training. */
const EPOCHS = 1;
const SAMPLE_MS = 250;
const MiB = 2 ** 20;
const SCRIPT = fileURLToPath(new URL('./scale-child.ts', import.meta.url));

interface Run extends ScaleChildResult {
  /** Highest RSS sampled every SAMPLE_MS from /proc while the process ran (MiB). */
  peak_rss_mib: number;
  samples: number;
  wall_s: number;
  matmul_gflops: number;
}

/** One training in its own process, its RSS sampled throughout. */
async function measure(ctx: BenchContext, world: BenchWorld, config: Config, epochs: number): Promise<Run> {
  const matmul = await matmulGflops(ctx.smoke ? 128 : 512, ctx.smoke ? 3 : 20);
  const t0 = performance.now();
  const child = fork(SCRIPT, [JSON.stringify({ config, epochs })], {
    execArgv: ['--import', 'tsx'],
    // stdout carries the result tables: the child's output goes to stderr.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  child.stdout?.pipe(process.stderr);
  let peak = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid!) / MiB);
    samples++;
  }, SAMPLE_MS);
  try {
    const result = await nextMessage<ScaleChildResult>(child, 'result', `training on ${world.history.events.toLocaleString('en-US')} events`);
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    return { ...result, peak_rss_mib: peak, samples, wall_s: (performance.now() - t0) / 1000, matmul_gflops: matmul };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const label = (events: number) => (events >= 1e6 ? `${round(events / 1e6)}M` : events >= 1e3 ? `${round(events / 1e3)}k` : String(events));

export const trainScaleBenchmark: Benchmark = {
  name: 'train-scale',
  description:
    'feed train streaming a simulator world from ClickHouse with 12 and 125 days of history and the 125 days copied three times (about 1.1M, 3.4M and 10.2M events, the same people and videos): peak RSS (bounded memory), events/s, examples/s, wall time',
  defaultRepeats: 1,
  stack: true,
  async run(ctx): Promise<BenchOutput> {
    const shape = ctx.smoke ? SMOKE : { items: ITEMS, users: USERS, sizes: SCALE_SIZES };
    const epochs = EPOCHS;
    const sizes: { key: string; world: BenchWorld; runs: Run[] }[] = [];
    for (const { key, days, copies } of shape.sizes) {
      const seeded = await ensureWorld(ctx.config, shape.items, ctx.log, ctx.smoke ? ctx.config.clickhouse.database : 'bench', { users: shape.users, days });
      if (seeded.seeded) ctx.log(`seeded ${seeded.history.events.toLocaleString('en-US')} events in ${seeded.seedSeconds.toFixed(0)} s`);
      const world = copies ? await ensureCopiedWorld(seeded, copies, ctx.log) : seeded;
      if (copies && world.seeded) ctx.log(`copied ${world.history.events.toLocaleString('en-US')} events in ${world.seedSeconds.toFixed(0)} s`);
      // Versions go to the world's own registry; smoke worlds are dropped afterwards.
      const config: Config = ctx.smoke ? { ...world.config, dataDir: join(world.config.dataDir, world.config.clickhouse.database) } : world.config;
      const runs: Run[] = [];
      try {
        for (let r = 0; r < ctx.repeats; r++) {
          const run = await measure(ctx, world, config, epochs);
          ctx.log(
            `${label(run.events)} events, run ${r + 1}/${ctx.repeats}: peak RSS ${Math.round(run.peak_rss_mib)} MiB (kernel max ${Math.round(run.max_rss_mib)}), ${Math.round(run.events_per_s).toLocaleString('en-US')} events/s streamed, wall ${run.wall_s.toFixed(0)} s`,
          );
          runs.push(run);
        }
      } finally {
        if (ctx.smoke) {
          await dropWorld(world.config);
          if (copies) await dropWorld(seeded.config);
        }
      }
      sizes.push({ key, world, runs });
    }

    const figures: Record<string, Figure> = {};
    for (const { key: k, world, runs } of sizes) {
      const of = (f: (r: Run) => number) => runs.map(f);
      const at = `${runs[0]!.events.toLocaleString('en-US')} events (${world.history.days} days)`;
      figures[`peak_rss_mib_${k}`] = overRuns(
        of((r) => r.peak_rss_mib),
        'MiB',
        `${at}: training process, sampled every ${SAMPLE_MS} ms from /proc`,
      );
      figures[`max_rss_mib_${k}`] = overRuns(
        of((r) => r.max_rss_mib),
        'MiB',
        `${at}: process.resourceUsage().maxRSS at the end`,
      );
      figures[`wall_s_${k}`] = overRuns(
        of((r) => r.wall_s),
        's',
        `${at}: stream + ${epochs} epoch(s) of both models + evaluation + version written`,
      );
      figures[`events_per_s_${k}`] = overRuns(
        of((r) => r.events_per_s),
        'events/s',
        `${at}: streamed from ClickHouse and replayed into training sets`,
      );
      figures[`retrieval_examples_per_s_${k}`] = overRuns(
        of((r) => r.retrieval_examples_per_s),
        'examples/s',
        `${at}: two-tower, median epoch`,
      );
      figures[`ranker_examples_per_s_${k}`] = overRuns(
        of((r) => r.ranker_examples_per_s),
        'examples/s',
        `${at}: multi-task ranker, median epoch`,
      );
    }
    const small = sizes[0]!.runs;
    const large = sizes.at(-1)!.runs;
    const peak = (runs: Run[]) => Math.max(...runs.map((r) => r.peak_rss_mib));
    figures.peak_rss_ratio = {
      value: round(peak(large) / peak(small)),
      unit: 'x',
      note: `highest peak RSS at ${label(large[0]!.events)} over that at ${label(small[0]!.events)} events (${round(large[0]!.events / small[0]!.events)}x the events)`,
    };
    const allRuns = sizes.flatMap((s) => s.runs);
    const gflops = overRuns(
      allRuns.map((r) => r.matmul_gflops),
      'GFLOP/s',
    );
    const startRss = overRuns(
      allRuns.map((r) => r.rss_start_mib),
      'MiB',
    );
    const references: Reference[] = [
      {
        name: 'training process at start',
        description: 'RSS of the same process before the training thread starts (it loads its own tfjs backend)',
        figure: 'MiB',
        value: startRss.value,
        unit: 'MiB',
        ratio: round(peak(large) / startRss.value!),
        ratio_meaning: `peak RSS at ${label(large[0]!.events)} events over the RSS at start`,
      },
      {
        name: `tfjs ${ctx.smoke ? 128 : 512}x${ctx.smoke ? 128 : 512} matmul`,
        description: 'raw dense throughput of the same backend, timed in the benchmark process before each training (examples/s depend on a busy host; peak RSS does not)',
        figure: 'GFLOP/s',
        value: gflops.value,
        unit: 'GFLOP/s',
        ratio: round(median(large.map((r) => r.retrieval_examples_per_s)) / gflops.value!),
        ratio_meaning: `retrieval examples/s at ${label(large[0]!.events)} events per GFLOP/s of the backend`,
      },
    ];
    const limits = ctx.config.models.trainingData;
    return {
      dataset: {
        name: `simulator world, ${shape.items.toLocaleString('en-US')} items, ${shape.users.toLocaleString('en-US')} people`,
        items: shape.items,
        users: shape.users,
        events: sizes.map((s) => s.world.history.events).join(', '),
        days: shape.sizes.map((x) => x.days).join(', '),
      },
      params: {
        epochs,
        sample_ms: SAMPLE_MS,
        training_data: limits,
        training_heap_mb: ctx.config.models.trainingHeapMb,
        holdout: ctx.config.models.holdout,
        retrieval: ctx.config.models.retrieval,
        ranker: ctx.config.models.multitask,
        worlds: sizes.map((s) => ({ database: s.world.config.clickhouse.database, days: s.world.history.days, events: s.world.history.events, seeded: s.world.seeded, seed_s: s.world.seedSeconds })),
      },
      figures,
      references,
      tables: [
        {
          title: `Training in bounded memory (${shape.users.toLocaleString('en-US')} people, ${shape.items.toLocaleString('en-US')} items, ${epochs} epoch; median of ${ctx.repeats} run(s) per size)`,
          columns: [
            'events',
            'days',
            'peak RSS MiB (sampled)',
            'maxRSS MiB',
            'RSS at start MiB',
            'events/s streamed',
            'retrieval ex/s',
            'ranker ex/s',
            'ranker examples kept / seen',
            'two-tower positives kept / seen',
            'recall@10',
            'AUC complete',
            'AUC like',
            'wall s',
          ],
          rows: sizes.map(({ world, runs }) => {
            const f = (g: (r: Run) => number) => round(median(runs.map(g)));
            const r0 = runs[0]!;
            return [
              r0.events,
              world.history.days,
              f((r) => r.peak_rss_mib),
              f((r) => r.max_rss_mib),
              f((r) => r.rss_start_mib),
              f((r) => r.events_per_s),
              f((r) => r.retrieval_examples_per_s),
              f((r) => r.ranker_examples_per_s),
              `${r0.ranker_train.toLocaleString('en-US')} / ${r0.totals.rankerTrain!.toLocaleString('en-US')}`,
              `${r0.retrieval_positions.toLocaleString('en-US')} / ${r0.totals.positives!.toLocaleString('en-US')}`,
              f((r) => r.metrics['retrieval.recall@10'] ?? Number.NaN),
              f((r) => r.metrics['ranker.auc_complete'] ?? Number.NaN),
              f((r) => r.metrics['ranker.auc_like'] ?? Number.NaN),
              f((r) => r.wall_s),
            ];
          }),
        },
      ],
      targets: [
        checkTarget('train_rss_10m', round(median(large.map((r) => r.peak_rss_mib))), {
          items: shape.items,
          note: `peak RSS at ${label(large[0]!.events)} events (median over runs), training thread heap capped at ${large[0]!.heap_limit_mib} MiB`,
          spread: { min: round(Math.min(...large.map((r) => r.peak_rss_mib))), max: round(peak(large)), runs: large.length },
        }),
      ],
      series: {
        runs: sizes.flatMap(({ world, runs }) =>
          runs.map((r, i) => ({
            events: r.events,
            days: world.history.days,
            run: i + 1,
            peak_rss_mib: round(r.peak_rss_mib),
            max_rss_mib: round(r.max_rss_mib),
            rss_samples: r.samples,
            load_s: round(r.load_s),
            train_s: round(r.train_s),
            wall_s: round(r.wall_s),
            ranker_test: r.ranker_test,
            recall_at_10: r.metrics['retrieval.recall@10'] ?? null,
            auc_complete: r.metrics['ranker.auc_complete'] ?? null,
            retrieval_sequences: r.retrieval_sequences,
            version: r.version,
          })),
        ),
      },
      notes: [
        `Each size trains in its own process (the tsx loader included); the ANN index of the version is built in a further child process, not counted.`,
        `Memory is bounded by models.trainingData: multi-task examples ${limits.multitaskExamples.toLocaleString('en-US')} and held-out ${limits.multitaskTestExamples.toLocaleString('en-US')} (reservoir samples), ${limits.sequenceLength} positives and ${limits.socialItemsPerUser} social-proof items per person; so it grows with people and items, not events.`,
        `Training runs as feed train runs it: in a worker thread whose V8 heap is capped at models.trainingHeapMb (${ctx.config.models.trainingHeapMb} MiB), so V8 collects rather than grow its heap with the events.`,
        'The largest world is the 125-day history three times over, each copy shifted 125 days further back with its own event ids (harness/world.ts ensureCopiedWorld): the same people and videos, so only the events grow; its older copies precede the videos’ publish dates, so its quality figures are not comparable with the others.',
        'Examples/s depend on how busy the host was (see machine.load_1m and cpu_steal); peak RSS does not.',
      ],
    };
  },
};
