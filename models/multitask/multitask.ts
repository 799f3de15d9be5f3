import type { MultitaskConfig } from '../../config/sections/models.ts';
import { tfjs as tf } from '../backend.ts';
import { Adam, Mlp } from '../dense.ts';
import { FEATURES, featureMatrix } from '../features.ts';
import { Rng } from '../../core/rng.ts';
import { OBJECTIVES, type CandidateSignals, type Objective, type MultitaskModel, type UserContext } from '../types.ts';

/** Labels of one impression; `watch` is the duration-debiased watch ratio in [0, 1]. */
export type Labels = Record<Objective, number>;

export interface MultitaskExample {
  user: UserContext;
  candidate: CandidateSignals;
  labels: Labels;
}

export interface MultitaskState {
  config: MultitaskConfig;
  seed: number;
  features: readonly string[];
  objectives: readonly string[];
  mean: number[];
  std: number[];
  weights: Float32Array[];
}

/**
 * Multi-gate mixture of experts (MMoE, Ma et al. 2018) over the standardised features: a shared
 * bottom layer, `experts` small expert layers on it (one matMul for all of them), a softmax gate
 * per task that mixes the experts from the features, and a linear logistic tower per task. Tasks
 * that disagree (a purchase vs a completion) weight different experts instead of fighting over
 * one representation. `watch` is trained on the watch ratio (watch_ms / duration, capped at 1)
 * as a soft label, which removes the bias towards long videos.
 */
export class MultitaskMmoe implements MultitaskModel {
  version = 'untrained';
  readonly config: MultitaskConfig;
  readonly seed: number;
  /** features -> shared bottom -> experts x expert width (relu throughout). */
  readonly body: Mlp;
  /** features -> tasks x experts gate logits. */
  readonly gates: Mlp;
  /** Per-task tower weights (tasks x expert width) and biases (tasks). */
  readonly towerW: tf.Variable;
  readonly towerB: tf.Variable;
  mean: Float32Array;
  std: Float32Array;
  /** Standardised inputs; the input tensor lives only inside predictMatrix, so one buffer serves every call. */
  private scratch = new Float32Array(0);
  /** The towers as a block-diagonal matrix for inference, and the weights it was built from. */
  private tower?: { id: object; matrix: tf.Tensor2D };

  constructor(config: MultitaskConfig, seed: number, state?: MultitaskState) {
    this.config = config;
    this.seed = seed;
    if (state && state.features.join() !== FEATURES.join()) {
      throw new Error(`ranker artifact was trained on features [${state.features.join(', ')}], this build computes [${FEATURES.join(', ')}]; retrain it`);
    }
    if (state && state.objectives.join() !== OBJECTIVES.join()) {
      throw new Error(`ranker artifact predicts [${state.objectives.join(', ')}], this build needs [${OBJECTIVES.join(', ')}]; retrain it`);
    }
    const [bottom, expertWidth] = config.hidden as [number, number];
    const T = OBJECTIVES.length;
    const E = config.experts;
    const layers = [
      { units: bottom, activation: 'relu' as const },
      { units: E * expertWidth, activation: 'relu' as const },
    ];
    this.body = new Mlp('rank/body', FEATURES.length, layers, seed * 17 + 1, state?.weights.slice(0, 4));
    this.gates = new Mlp('rank/gates', FEATURES.length, [{ units: T * E, activation: 'linear' }], seed * 17 + 2, state?.weights.slice(4, 6));
    const rng = new Rng(seed * 17 + 3);
    const limit = Math.sqrt(6 / (expertWidth + 1));
    const tw = state?.weights[6] ?? Float32Array.from({ length: T * expertWidth }, () => (rng.next() * 2 - 1) * limit);
    this.towerW = tf.variable(tf.tensor2d(tw, [T, expertWidth]), true);
    this.towerB = tf.variable(tf.tensor1d(state?.weights[7] ?? new Float32Array(T)), true);
    this.mean = Float32Array.from(state?.mean ?? FEATURES.map(() => 0));
    this.std = Float32Array.from(state?.std ?? FEATURES.map(() => 1));
  }

  private get variables(): tf.Variable[] {
    return [...this.body.weights, ...this.gates.weights, this.towerW, this.towerB];
  }

  predict(user: UserContext, candidates: readonly CandidateSignals[]): Record<Objective, Float32Array> {
    return this.predictMatrix(featureMatrix(user, candidates), candidates.length);
  }

  predictMatrix(x: Float32Array, n: number): Record<Objective, Float32Array> {
    const out = {} as Record<Objective, Float32Array>;
    for (const o of OBJECTIVES) out[o] = new Float32Array(n);
    if (n === 0) return out;
    const xs = this.standardise(x);
    const E = this.config.experts;
    const T = OBJECTIVES.length;
    // All in backend kernels: bottom and experts, every expert through every task's tower
    // (block-diagonal weights) -> n x T x E, the gates' softmax over E, their mix and the sigmoid;
    // one read of n x T at the end (500 rows: ~8% less CPU than mixing in JS, whose exps dominated).
    const tower = this.blockTower();
    const probs = tf.tidy(() => {
      const xt = tf.tensor2d(xs, [n, FEATURES.length]);
      const towered = tf.reshape(tf.matMul(this.fusedApply(this.body, xt), tower), [n, T, E]);
      const gates = tf.softmax(tf.reshape(this.fusedApply(this.gates, xt), [n, T, E]));
      return tf.sigmoid(tf.add(tf.sum(tf.mul(gates, towered), 2), this.towerB));
    });
    const p = probs.dataSync() as Float32Array;
    probs.dispose();
    OBJECTIVES.forEach((o, t) => {
      const col = out[o];
      for (let i = 0; i < n; i++) col[i] = p[i * T + t]!;
    });
    return out;
  }

  /** Fits the feature scaling and trains; returns the loss of each epoch. */
  fit(
    x: Float32Array,
    y: Float32Array,
    n: number,
    opts: { epochs?: number; onProgress?: (p: { epoch: number; epochs: number; step: number; steps: number; loss: number; examplesPerSec: number }) => void } = {},
  ): number[] {
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
    const vars = this.variables;
    const adam = new Adam(vars, this.config.learningRate);
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
          return tf.valueAndGrads((...ws: tf.Tensor[]) => tf.losses.sigmoidCrossEntropy(yt, this.forward(xt, ws)) as tf.Scalar)(vars);
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

  state(): MultitaskState {
    return {
      config: this.config,
      seed: this.seed,
      features: [...FEATURES],
      objectives: [...OBJECTIVES],
      mean: [...this.mean],
      std: [...this.std],
      weights: this.variables.map((v) => v.dataSync() as Float32Array),
    };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.tower?.matrix.dispose();
  }

  /** The training graph (differentiable: custom-gradient matMul, separate bias and activation ops). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x, this.variables);
  }

  /** Shared bottom and experts, per-task gates and towers; `ws` in `variables` order (valueAndGrads passes them as arguments). */
  private forward(x: tf.Tensor2D, ws: readonly tf.Tensor[]): tf.Tensor2D {
    const n = x.shape[0];
    const E = this.config.experts;
    const W = this.config.hidden[1]!;
    const T = OBJECTIVES.length;
    const experts = tf.reshape(this.body.apply(x, ws.slice(0, 4)), [n, E, W]) as tf.Tensor3D;
    const gates = tf.softmax(tf.reshape(this.gates.apply(x, ws.slice(4, 6)), [n, T, E]) as tf.Tensor3D);
    const mixed = tf.matMul(gates, experts); // n x T x W
    return tf.add(tf.sum(tf.mul(mixed, tf.reshape(ws[6]!, [1, T, W])), 2), ws[7]!) as tf.Tensor2D;
  }

  /** An Mlp's layers as fused matMul + bias + activation kernels (inference only). */
  private fusedApply(mlp: Mlp, x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    mlp.layers.forEach((layer, i) => {
      h = tf.fused.matMul({ a: h, b: mlp.weights[2 * i] as tf.Tensor2D, bias: mlp.weights[2 * i + 1], activation: layer.activation }) as tf.Tensor2D;
    });
    return h;
  }

  /** The towers as one (E x width) x (T x E) block-diagonal matrix (column t·E + e: expert e through task t's tower), rebuilt only after training replaced them. */
  private blockTower(): tf.Tensor2D {
    if (this.tower?.id === this.towerW.dataId) return this.tower.matrix;
    const E = this.config.experts;
    const W = this.config.hidden[1]!;
    const T = OBJECTIVES.length;
    const tw = this.towerW.dataSync() as Float32Array;
    const block = new Float32Array(E * W * E * T);
    for (let e = 0; e < E; e++) for (let d = 0; d < W; d++) for (let t = 0; t < T; t++) block[(e * W + d) * E * T + t * E + e] = tw[t * W + d]!;
    this.tower?.matrix.dispose();
    this.tower = { id: this.towerW.dataId, matrix: tf.keep(tf.tensor2d(block, [E * W, T * E])) };
    return this.tower.matrix;
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
export function toMatrices(examples: readonly MultitaskExample[]): { x: Float32Array; y: Float32Array; n: number } {
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
