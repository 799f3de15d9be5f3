import { tfjs as tf } from './backend.ts';
import { Rng } from '../core/rng.ts';

type Tensor = tf.Tensor;
type Tensor2D = tf.Tensor2D;

/**
 * matMul whose gradient uses explicit transposes: the wasm backend's matMul with transpose
 * flags is about 10x slower than transposing first, and tfjs's own gradient uses the flags.
 */
export const matMul = tf.customGrad(((a: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as Tensor2D, b as Tensor2D),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as [Tensor2D, Tensor2D];
      return [tf.matMul(dy as Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: Tensor, b: Tensor) => Tensor2D;

type Activation = 'relu' | 'linear';

/** Up to this many rows, `Mlp.infer` runs in plain JS rather than as tfjs ops. */
const HOST_ROWS = 8;

export interface LayerSpec {
  units: number;
  activation: Activation;
}

/**
 * A stack of dense layers as tfjs variables. `apply` takes the weights as arguments so that
 * `tf.valueAndGrads` can differentiate with respect to them and to the inputs in one pass.
 */
export class Mlp {
  readonly weights: tf.Variable[];
  readonly layers: LayerSpec[];
  readonly inputDim: number;
  private readonly host: { dataId: object; values: Float32Array }[] = [];

  constructor(name: string, inputDim: number, layers: LayerSpec[], seed: number, init?: Float32Array[]) {
    this.inputDim = inputDim;
    this.layers = layers;
    const rng = new Rng(seed);
    this.weights = [];
    let fanIn = inputDim;
    layers.forEach((layer, i) => {
      const limit = Math.sqrt(6 / (fanIn + layer.units));
      const w = init?.[2 * i] ?? Float32Array.from({ length: fanIn * layer.units }, () => (rng.next() * 2 - 1) * limit);
      const b = init?.[2 * i + 1] ?? new Float32Array(layer.units);
      this.weights.push(tf.variable(tf.tensor2d(w, [fanIn, layer.units]), true, `${name}/w${i}_${uid()}`));
      this.weights.push(tf.variable(tf.tensor1d(b), true, `${name}/b${i}_${uid()}`));
      fanIn = layer.units;
    });
  }

  get outputDim(): number {
    return this.layers[this.layers.length - 1]!.units;
  }

  apply(x: Tensor, weights: readonly Tensor[] = this.weights): Tensor2D {
    let h = x as Tensor2D;
    this.layers.forEach((layer, i) => {
      h = tf.add(matMul(h, weights[2 * i]!), weights[2 * i + 1]!) as Tensor2D;
      if (layer.activation === 'relu') h = tf.relu(h);
    });
    return h;
  }

  /** Inference on row-major input: plain JS up to HOST_ROWS rows, tfjs layers for larger batches. */
  infer(x: Float32Array, rows: number): Float32Array {
    if (rows <= HOST_ROWS) return this.applyRows(x, rows);
    // Read outside tidy: tidy walks a returned container element by element.
    const t = tf.tidy(() => this.apply(tf.tensor2d(x, [rows, this.inputDim])));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  /**
   * `apply` for a few rows in plain JS, from host copies of the weights: for the one user of a
   * feed request, tfjs's per-op dispatch costs far more than the arithmetic.
   */
  applyRows(x: Float32Array, rows: number): Float32Array {
    if (x.length !== rows * this.inputDim) throw new Error(`Mlp.applyRows: ${rows} rows of ${this.inputDim} need ${rows * this.inputDim} values, got ${x.length}`);
    let h = x;
    let fanIn = this.inputDim;
    this.layers.forEach((layer, i) => {
      const w = this.hostWeight(2 * i);
      const b = this.hostWeight(2 * i + 1);
      const units = layer.units;
      const out = new Float32Array(rows * units);
      for (let r = 0; r < rows; r++) {
        const o = r * units;
        out.set(b, o);
        for (let k = 0; k < fanIn; k++) {
          const v = h[r * fanIn + k]!;
          if (v === 0) continue;
          const wk = k * units;
          for (let u = 0; u < units; u++) out[o + u]! += v * w[wk + u]!;
        }
        if (layer.activation === 'relu') for (let u = o; u < o + units; u++) if (out[u]! < 0) out[u] = 0;
      }
      h = out;
      fanIn = units;
    });
    return h;
  }

  /** Weight i's values, read again only after training replaced them (`assign` swaps the dataId). */
  private hostWeight(i: number): Float32Array {
    const w = this.weights[i]!;
    const cached = this.host[i];
    if (cached?.dataId === w.dataId) return cached.values;
    const values = w.dataSync() as Float32Array;
    this.host[i] = { dataId: w.dataId, values };
    return values;
  }

  /** Replaces the weight values (in `export()` order), e.g. with those trained in another thread. */
  load(values: readonly Float32Array[]): void {
    if (values.length !== this.weights.length) throw new Error(`Mlp.load: ${this.weights.length} weights, got ${values.length}`);
    // assign keeps its own reference; tidy frees the temporary tensor.
    this.weights.forEach((w, i) => tf.tidy(() => w.assign(tf.tensor(values[i]!, w.shape))));
  }

  /** Weight values in order (w0, b0, w1, b1, ...). */
  export(): Float32Array[] {
    return this.weights.map((w) => w.dataSync() as Float32Array);
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
  }
}

let counter = 0;
const uid = () => (counter++).toString(36);

/** Adam for a list of variables, with gradients given in the same order. */
export class Adam {
  private readonly optimizer: tf.AdamOptimizer;
  constructor(
    private readonly variables: readonly tf.Variable[],
    learningRate: number,
  ) {
    this.optimizer = tf.train.adam(learningRate);
  }

  apply(grads: readonly Tensor[]): void {
    this.optimizer.applyGradients(this.variables.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Normalises each row to unit L2 length (rows of zeros stay zero). */
export function l2Normalize(x: Tensor2D): Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-8)) as Tensor2D;
}

/** Normalises rows of a row-major matrix in place. */
export function normalizeRows(m: Float32Array, dim: number): Float32Array {
  for (let r = 0; r < m.length / dim; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += m[r * dim + d]! ** 2;
    const inv = 1 / (Math.sqrt(s) + 1e-8);
    for (let d = 0; d < dim; d++) m[r * dim + d]! *= inv;
  }
  return m;
}
