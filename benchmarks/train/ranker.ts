import { FEATURES } from '../../models/features.ts';
import { MultitaskMmoe } from '../../models/multitask/multitask.ts';
import { OBJECTIVES } from '../../models/types.ts';
import { median } from '../harness/stats.ts';
import type { BenchContext } from '../harness/types.ts';
import { Rng } from '../../core/rng.ts';

export interface RankerThroughput {
  /** Training examples per second (median epoch). */
  train: number;
  /** Candidates scored per second, batches of 500 as one feed request does. */
  predict: number;
}

/**
 * The multi-task ranker on standardised random features and random labels: throughput does
 * not depend on what the numbers mean, only on the shapes (features x hidden x objectives).
 */
export async function rankerThroughput(ctx: BenchContext): Promise<RankerThroughput> {
  const n = ctx.smoke ? 1_024 : 20_480;
  const width = FEATURES.length;
  const k = OBJECTIVES.length;
  const rand = new Rng(ctx.config.seed).next;
  const x = Float32Array.from({ length: n * width }, () => rand() * 4 - 2);
  const y = Float32Array.from({ length: n * k }, () => (rand() < 0.3 ? 1 : 0));
  const model = new MultitaskMmoe(ctx.config.models.multitask, ctx.config.seed);
  const rates: number[] = [];
  model.fit(x, y, n, { epochs: ctx.smoke ? 1 : 3, onProgress: (p) => p.step === p.steps && rates.push(p.examplesPerSec) });
  const batch = 500;
  const reps = ctx.smoke ? 3 : 40;
  const xb = x.subarray(0, batch * width);
  model.predictMatrix(xb, batch);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) model.predictMatrix(xb, batch);
  const predict = (batch * reps) / ((performance.now() - t0) / 1000);
  return { train: median(rates), predict };
}
