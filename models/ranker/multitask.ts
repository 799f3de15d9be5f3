import type { RankerConfig } from '../config.ts';
import { tfjs as tf } from '../backend.ts';
import { Adam, Mlp } from '../dense.ts';
import { FEATURES, featureMatrix } from '../features.ts';
import { Rng } from '../rng.ts';
import { OBJECTIVES, type CandidateSignals, type Objective, type RankerModel, type UserContext } from '../types.ts';

/** Labels of one impression; `watch` is the duration-debiased watch ratio in [0, 1]. */
export type Labels = Record<Objective, number>;

export interface RankerExample {
  user: UserContext;
  candidate: CandidateSignals;
  labels: Labels;
}

export interface RankerState {
  config: RankerConfig;
  seed: number;
  features: readonly string[];
  mean: number[];
  std: number[];
  weights: Float32Array[];
}

/**
 * Shared-bottom multi-task ranker: one MLP over the standardised features, then one logistic
 * head per objective. `watch` is trained on the watch ratio (watch_ms / duration, capped at 1)
 * as a soft label, which removes the bias towards long videos.
 */
export class MultiTaskRanker implements RankerModel {
  version = 'untrained';
  readonly config: RankerConfig;
  readonly seed: number;
  readonly bottom: Mlp;
  readonly heads: Mlp;
  mean: Float32Array;
  std: Float32Array;
  /** Standardised inputs; the input tensor lives only inside predictMatrix, so one buffer serves every call. */
  private scratch = new Float32Array(0);

  constructor(config: RankerConfig, seed: number, state?: RankerState) {
    this.config = config;
    this.seed = seed;
    if (state && state.features.join() !== FEATURES.join()) {
      throw new Error(`ranker artifact was trained on features [${state.features.join(', ')}], this build computes [${FEATURES.join(', ')}]; retrain it`);
    }
    const layers = config.hidden.map((units) => ({ units, activation: 'relu' as const }));
    const nb = layers.length * 2;
    this.bottom = new Mlp('rank/bottom', FEATURES.length, layers, seed * 17 + 1, state?.weights.slice(0, nb));
    this.heads = new Mlp('rank/heads', config.hidden[config.hidden.length - 1]!, [{ units: OBJECTIVES.length, activation: 'linear' }], seed * 17 + 2, state?.weights.slice(nb));
    this.mean = Float32Array.from(state?.mean ?? FEATURES.map(() => 0));
    this.std = Float32Array.from(state?.std ?? FEATURES.map(() => 1));
  }

  predict(user: UserContext, candidates: readonly CandidateSignals[]): Record<Objective, Float32Array> {
    return this.predictMatrix(featureMatrix(user, candidates), candidates.length);
  }

  predictMatrix(x: Float32Array, n: number): Record<Objective, Float32Array> {
    const out = {} as Record<Objective, Float32Array>;
    for (const o of OBJECTIVES) out[o] = new Float32Array(n);
    if (n === 0) return out;
    // Read the result outside tidy: tidy walks a returned container element by element.
    const t = tf.tidy(() => this.inferProbabilities(tf.tensor2d(this.standardise(x), [n, FEATURES.length])));
    const p = t.dataSync() as Float32Array;
    t.dispose();
    const k = OBJECTIVES.length;
    OBJECTIVES.forEach((o, j) => {
      const col = out[o];
      for (let i = 0; i < n; i++) col[i] = p[i * k + j]!;
    });
    return out;
  }

  /** Fits the feature scaling and trains; returns the loss of each epoch. */
  fit(x: Float32Array, y: Float32Array, n: number, opts: { epochs?: number; onProgress?: (p: { epoch: number; epochs: number; step: number; steps: number; loss: number; examplesPerSec: number }) => void } = {}): number[] {
    const width = FEATURES.length;
    const k = OBJECTIVES.length;
    for (let f = 0; f < width; f++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i * width + f]!;
        s += v;
        s2 += v * v;
      }
      const mean = s / (n || 1);
      this.mean[f] = mean;
      this.std[f] = Math.sqrt(Math.max(1e-6, s2 / (n || 1) - mean * mean));
    }
    const xs = this.standardise(x);
    const vars = [...this.bottom.weights, ...this.heads.weights];
    const adam = new Adam(vars, this.config.learningRate);
    const nb = this.bottom.weights.length;
    const rng = new Rng(this.seed);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const B = Math.min(this.config.batchSize, n);
    const steps = Math.max(1, Math.floor(n / B));
    const epochs = opts.epochs ?? this.config.epochs;
    const losses: number[] = [];
    for (let epoch = 1; epoch <= epochs; epoch++) {
      rng.shuffle(order);
      const t0 = performance.now();
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const bx = new Float32Array(B * width);
        const by = new Float32Array(B * k);
        for (let b = 0; b < B; b++) {
          const i = order[s * B + b]!;
          bx.set(xs.subarray(i * width, (i + 1) * width), b * width);
          by.set(y.subarray(i * k, (i + 1) * k), b * k);
        }
        const { value, grads } = tf.tidy(() => {
          const xt = tf.tensor2d(bx, [B, width]);
          const yt = tf.tensor2d(by, [B, k]);
          return tf.valueAndGrads((...ws: tf.Tensor[]) => {
            const logits = this.heads.apply(this.bottom.apply(xt, ws.slice(0, nb)), ws.slice(nb));
            return tf.losses.sigmoidCrossEntropy(yt, logits) as tf.Scalar;
          })(vars);
        });
        adam.apply(grads);
        sum += value.dataSync()[0]!;
        tf.dispose([value, ...grads]);
        opts.onProgress?.({ epoch, epochs, step: s + 1, steps, loss: sum / (s + 1), examplesPerSec: ((s + 1) * B) / ((performance.now() - t0) / 1000) });
      }
      losses.push(sum / steps);
    }
    adam.dispose();
    return losses;
  }

  state(): RankerState {
    return {
      config: this.config,
      seed: this.seed,
      features: [...FEATURES],
      mean: [...this.mean],
      std: [...this.std],
      weights: [...this.bottom.export(), ...this.heads.export()],
    };
  }

  dispose(): void {
    this.bottom.dispose();
    this.heads.dispose();
  }

  /** The training graph (differentiable: custom-gradient matMul, separate bias and activation ops). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.heads.apply(this.bottom.apply(x));
  }

  /** The same function for inference, with the sigmoid: one fused matMul + bias + activation kernel per layer, about half the time. */
  inferProbabilities(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.heads.layers.length - 1;
    for (const mlp of [this.bottom, this.heads]) {
      mlp.layers.forEach((layer, i) => {
        const activation = mlp === this.heads && i === last ? 'sigmoid' : layer.activation;
        h = tf.fused.matMul({ a: h, b: mlp.weights[2 * i] as tf.Tensor2D, bias: mlp.weights[2 * i + 1], activation }) as tf.Tensor2D;
      });
    }
    return h;
  }

  private standardise(x: Float32Array): Float32Array {
    const width = FEATURES.length;
    if (this.scratch.length < x.length) this.scratch = new Float32Array(x.length);
    const out = this.scratch.subarray(0, x.length);
    for (let row = 0; row < x.length; row += width) {
      for (let f = 0; f < width; f++) out[row + f] = (x[row + f]! - this.mean[f]!) / this.std[f]!;
    }
    return out;
  }
}

/** Stacks examples into the feature matrix and the label matrix (examples x OBJECTIVES). */
export function toMatrices(examples: readonly RankerExample[]): { x: Float32Array; y: Float32Array; n: number } {
  const width = FEATURES.length;
  const k = OBJECTIVES.length;
  const x = new Float32Array(examples.length * width);
  const y = new Float32Array(examples.length * k);
  examples.forEach((e, i) => {
    x.set(featureMatrix(e.user, [e.candidate]), i * width);
    OBJECTIVES.forEach((o, j) => (y[i * k + j] = Math.max(0, Math.min(1, e.labels[o]))));
  });
  return { x, y, n: examples.length };
}

/** Area under the ROC curve (ties averaged); undefined when only one class is present. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | undefined {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[idx[t]!]! >= 0.5) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return undefined;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

