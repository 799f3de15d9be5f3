import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tfjs as tf } from '../../models/backend.ts';
import { parseInteractions, readInteractions, type Interactions } from '../../models/eval/interactions.ts';
import { trainTwoTower, type Sequence } from '../../models/retrieval/train.ts';
import type { Figure, Reference } from '../harness/result.ts';
import { median, round } from '../harness/stats.ts';
import type { BenchTable } from '../../core/table.ts';
import type { Benchmark, BenchContext, BenchOutput } from '../harness/types.ts';
import { rankerThroughput, type RankerThroughput } from './ranker.ts';
import { Rng } from '../../core/rng.ts';

/** ml-100k as shipped beside the repository (shared/data); BENCH_ML100K points elsewhere. */
export const ML100K = process.env.BENCH_ML100K ?? fileURLToPath(new URL('../../../shared/data/ml-100k/ml-100k.inter', import.meta.url));

/** A tiny interactions file in the same format, for smoke runs on machines without the data. */
function syntheticInteractions(users: number, items: number, perUser: number, seed: number): Interactions {
  const rand = new Rng(seed).next;
  const lines = ['user_id\titem_id\trating\ttimestamp'];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser; k++) lines.push(`${u}\t${Math.floor(rand() ** 2 * items)}\t${1 + Math.floor(rand() * 5)}\t${1000 + u * 100 + k}`);
  }
  return parseInteractions(lines.join('\n'), 'synthetic');
}

/** Each user's interactions in time order, as the retrieval trainer takes them. */
export function sequencesOf(data: Interactions): Sequence[] {
  const byUser: number[][] = data.users.map(() => []);
  for (let r = 0; r < data.user.length; r++) byUser[data.user[r]!]!.push(r);
  return byUser.map((rows, u) => {
    rows.sort((a, b) => data.ts[a]! - data.ts[b]! || a - b);
    return {
      user_id: data.users[u]!,
      locale: '',
      segment: '',
      items: rows.map((r) => data.items[data.item[r]!]!),
      weights: rows.map((r) => data.weight[r]!),
      ts: rows.map((r) => data.ts[r]!),
    };
  });
}

/** The reference: dense matmul throughput of the same tfjs backend, measured in the same run. */
export async function matmulGflops(size: number, reps: number): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  tf.matMul(a, b).dataSync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  const s = (performance.now() - t0) / 1000;
  a.dispose();
  b.dispose();
  return (2 * size ** 3 * reps) / s / 1e9;
}

interface RetrievalRun {
  examples: number;
  epochs: number;
  wall_s: number;
  examples_per_s: number;
}

function trainRetrieval(ctx: BenchContext, data: Interactions, epochs: number): RetrievalRun {
  const sequences = sequencesOf(data);
  const items = data.items.map((item_id) => ({ item_id, category: '', creator_id: '', has_product: false, price: 0 }));
  const rates: number[] = [];
  let lastLog = 0;
  const result = trainTwoTower(
    { sequences, items, history: 'before' },
    {
      config: ctx.config.models.retrieval,
      seed: ctx.config.seed,
      epochs,
      onProgress: (p) => {
        if (p.step === p.steps) rates.push(p.examplesPerSec);
        if (performance.now() - lastLog > 5000) {
          lastLog = performance.now();
          ctx.log(`  retrieval epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps}, ${Math.round(p.examplesPerSec)} examples/s, loss ${p.loss.toFixed(3)}`);
        }
      },
    },
  );
  result.model.dispose();
  return { examples: result.examples, epochs: result.epochLosses.length, wall_s: result.seconds, examples_per_s: median(rates) };
}

export const trainBenchmark: Benchmark = {
  name: 'train',
  description: 'training throughput of the retrieval (two-tower) and ranking models on the tfjs backend in use, and wall time on ml-100k',
  // One full training: its epochs are the repeated runs (examples/s is the median epoch).
  defaultRepeats: 1,
  stack: false,
  async run(ctx): Promise<BenchOutput> {
    const haveData = existsSync(ML100K);
    if (!haveData && !ctx.smoke) throw new Error(`ml-100k not found at ${ML100K}; set BENCH_ML100K to the .inter file`);
    const full = haveData ? readInteractions(ML100K) : syntheticInteractions(200, 300, 20, ctx.config.seed);
    const data = ctx.smoke ? syntheticInteractions(100, 200, 15, ctx.config.seed) : full;
    const dataName = ctx.smoke ? 'synthetic 100 users x 15' : 'ml-100k';
    const epochs = ctx.smoke ? 1 : ctx.config.models.retrieval.epochs;
    ctx.log(`${dataName}: ${data.user.length.toLocaleString('en-US')} interactions, ${data.users.length} users, ${data.items.length} items; ${epochs} epochs per run`);

    const runs: RetrievalRun[] = [];
    const refs: number[] = [];
    const ranker: RankerThroughput[] = [];
    const mm = ctx.smoke ? 128 : 512;
    for (let r = 0; r < ctx.repeats; r++) {
      // Reference beside each run, so a busier machine shows in both.
      refs.push(await matmulGflops(mm, ctx.smoke ? 3 : 20));
      runs.push(trainRetrieval(ctx, data, epochs));
      ctx.log(`run ${r + 1}/${ctx.repeats}: retrieval ${Math.round(runs[r]!.examples_per_s)} examples/s, ${runs[r]!.wall_s.toFixed(1)} s; matmul ${refs[r]!.toFixed(1)} GFLOP/s`);
      ranker.push(await rankerThroughput(ctx));
      ctx.log(`run ${r + 1}/${ctx.repeats}: ranker ${Math.round(ranker[r]!.train)} examples/s, ${Math.round(ranker[r]!.predict)} predictions/s`);
    }
    refs.push(await matmulGflops(mm, ctx.smoke ? 3 : 20));
    const retrievalRate = median(runs.map((x) => x.examples_per_s));
    const wall = median(runs.map((x) => x.wall_s));
    const gflops = median(refs);
    const rankerRate = median(ranker.map((x) => x.train));
    const predictRate = median(ranker.map((x) => x.predict));
    const cfg = ctx.config.models;
    const figures: Record<string, Figure> = {
      retrieval_examples_per_s: { value: round(retrievalRate), unit: 'examples/s', note: `two-tower, batch ${cfg.retrieval.batchSize}, dim ${cfg.retrieval.dim}` },
      retrieval_wall_s: { value: round(wall), unit: 's', note: `${epochs} epochs over ${runs[0]!.examples.toLocaleString('en-US')} examples (${dataName})` },
      ranker_examples_per_s: { value: round(rankerRate), unit: 'examples/s', note: `multi-task ranker, batch ${cfg.multitask.batchSize}` },
      ranker_predictions_per_s: { value: round(predictRate), unit: 'candidates/s', note: 'batches of 500, as one feed request' },
      backend_matmul_gflops: { value: round(gflops), unit: 'GFLOP/s', note: `${mm}x${mm} matmul` },
    };
    const references: Reference[] = [
      {
        name: `tfjs ${mm}x${mm} matmul`,
        description: 'raw dense throughput of the same backend, timed before and after each training run',
        figure: 'GFLOP/s',
        value: round(gflops),
        unit: 'GFLOP/s',
        ratio: round(retrievalRate / gflops),
        ratio_meaning: 'retrieval examples/s per GFLOP/s of the backend (comparable across machines)',
      },
    ];
    const table: BenchTable = {
      title: `Training throughput (${dataName}, tfjs backend; median epoch of ${ctx.repeats} run(s))`,
      columns: ['model', 'examples/s', 'wall s', 'epochs', 'examples/epoch', 'runs'],
      rows: [
        ['retrieval (two-tower)', round(retrievalRate), round(wall), runs[0]!.epochs, runs[0]!.examples, runs.map((x) => Math.round(x.examples_per_s)).join(' / ')],
        ['ranker (multi-task)', round(rankerRate), null, null, null, ranker.map((x) => Math.round(x.train)).join(' / ')],
        ['ranker inference, batch 500', round(predictRate), null, null, null, ranker.map((x) => Math.round(x.predict)).join(' / ')],
        [`reference: matmul ${mm}`, round(gflops), null, null, null, `${refs.map((x) => x.toFixed(1)).join(' / ')} GFLOP/s`],
      ],
    };
    return {
      dataset: { name: dataName, interactions: data.user.length, users: data.users.length, items: data.items.length },
      params: { epochs, retrieval: cfg.retrieval, ranker: cfg.multitask },
      figures,
      references,
      tables: [table],
      targets: [],
      series: {
        runs: runs.map((x, i) => ({
          run: i + 1,
          retrieval_examples_per_s: round(x.examples_per_s),
          wall_s: round(x.wall_s),
          matmul_gflops_before: round(refs[i]!),
          ranker_examples_per_s: round(ranker[i]!.train),
          ranker_predictions_per_s: round(ranker[i]!.predict),
        })),
      },
      notes: [`Retrieval wall time is a full training of ${epochs} epochs without early stopping; examples/s is the median epoch.`],
    };
  },
};
