import type { RankerConfig } from '../config.ts';
import { tfjs as tf } from '../backend.ts';
import { Adam, matMul, Mlp } from '../dense.ts';
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
  objectives: readonly string[];
  mean: number[];
  std: number[];
  weights: Float32Array[];
}

/**
 * Multi-gate mixture of experts (MMoE, Ma et al. 2018) over the standardised features: `experts`
 * small MLPs shared by all tasks, a softmax gate per task that mixes their outputs, and a linear
 * logistic tower per task. Tasks that disagree (a purchase vs a completion) weight different
 * experts instead of fighting over one shared bottom. `watch` is trained on the watch ratio
 * (watch_ms / duration, capped at 1) as a soft label, which removes the bias towards long videos.
 */
export class MultiTaskRanker implements RankerModel {
  version = 'untrained';
  readonly config: RankerConfig;
  readonly seed: number;
  readonly experts: Mlp[];
  /** features -> tasks x experts gate logits. */
  readonly gates: Mlp;
  /** Per-task tower weights (tasks x expert width) and biases (tasks). */
  readonly towerW: tf.Variable;
  readonly towerB: tf.Variable;
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
    if (state && state.objectives.join() !== OBJECTIVES.join()) {
      throw new Error(`ranker artifact predicts [${state.objectives.join(', ')}], this build needs [${OBJECTIVES.join(', ')}]; retrain it`);
    }
    const layers = config.hidden.map((units) => ({ units, activation: 'relu' as const }));
    const perExpert = layers.length * 2;
    const width = config.hidden[config.hidden.length - 1]!;
    const T = OBJECTIVES.length;
    this.experts = Array.from({ length: config.experts }, (_, e) =>
      new Mlp(`rank/expert${e}`, FEATURES.length, layers, seed * 17 + 3 + e, state?.weights.slice(e * perExpert, (e + 1) * perExpert)));
    const rest = state?.weights.slice(config.experts * perExpert);
    this.gates = new Mlp('rank/gates', FEATURES.length, [{ units: T * config.experts, activation: 'linear' }], seed * 17 + 1, rest?.slice(0, 2));
    const rng = new Rng(seed * 17 + 2);
    const limit = Math.sqrt(6 / (width + 1));
    const tw = rest?.[2] ?? Float32Array.from({ length: T * width }, () => (rng.next() * 2 - 1) * limit);
    this.towerW = tf.variable(tf.tensor2d(tw, [T, width]), true);
    this.towerB = tf.variable(tf.tensor1d(rest?.[3] ?? new Float32Array(T)), true);
    this.mean = Float32Array.from(state?.mean ?? FEATURES.map(() => 0));
    this.std = Float32Array.from(state?.std ?? FEATURES.map(() => 1));
  }

  private get variables(): tf.Variable[] {
    return [...this.experts.flatMap((e) => e.weights), ...this.gates.weights, this.towerW, this.towerB];
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
          return tf.valueAndGrads((...ws: tf.Tensor[]) => tf.losses.sigmoidCrossEntropy(yt, this.forward(xt, ws, false)) as tf.Scalar)(vars);
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
      objectives: [...OBJECTIVES],
      mean: [...this.mean],
      std: [...this.std],
      weights: this.variables.map((v) => v.dataSync() as Float32Array),
    };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /** The training graph (differentiable: custom-gradient matMul, separate bias and activation ops). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x, this.variables, false);
  }

  /** The same function for inference, with the sigmoid and fused matMul + bias + activation kernels, about half the time. */
  inferProbabilities(x: tf.Tensor2D): tf.Tensor2D {
    return tf.sigmoid(this.forward(x, this.variables, true));
  }

  /** Experts, per-task gates and towers; `ws` in `variables` order (valueAndGrads passes them as arguments). */
  private forward(x: tf.Tensor2D, ws: readonly tf.Tensor[], fused: boolean): tf.Tensor2D {
    const n = x.shape[0];
    const E = this.config.experts;
    const T = OBJECTIVES.length;
    const perExpert = this.config.hidden.length * 2;
    const dense = (h: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, activation: 'relu' | 'linear'): tf.Tensor2D => {
      if (fused) return tf.fused.matMul({ a: h, b: w as tf.Tensor2D, bias: b, activation }) as tf.Tensor2D;
      const z = tf.add(matMul(h, w), b) as tf.Tensor2D;
      return activation === 'relu' ? tf.relu(z) : z;
    };
    const outs = this.experts.map((_, e) => {
      let h = x;
      for (let l = 0; l < this.config.hidden.length; l++) h = dense(h, ws[e * perExpert + 2 * l]!, ws[e * perExpert + 2 * l + 1]!, 'relu');
      return h;
    });
    const width = this.config.hidden[this.config.hidden.length - 1]!;
    const experts = tf.stack(outs, 1) as tf.Tensor3D; // n x E x width
    const g = E * perExpert;
    const gates = tf.softmax(tf.reshape(dense(x, ws[g]!, ws[g + 1]!, 'linear'), [n, T, E]) as tf.Tensor3D); // n x T x E
    const mixed = tf.matMul(gates, experts); // n x T x width
    const logits = tf.sum(tf.mul(mixed, tf.reshape(ws[g + 2]!, [1, T, width])), 2); // n x T
    return tf.add(logits, ws[g + 3]!) as tf.Tensor2D;
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

