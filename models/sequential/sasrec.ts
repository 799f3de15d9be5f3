import { tfjs as tf } from '../backend.ts';
import { Adam, matMul, normalizeRows } from '../dense.ts';
import { Rng } from '../../core/rng.ts';
import { SparseTable, type SparseTableState } from '../sparse/table.ts';
import type { SequentialConfig } from './config.ts';
import { sidesOf, type SequenceEvent } from './tokens.ts';

type Tensor = tf.Tensor;
type Tensor2D = tf.Tensor2D;

/** Embedding tables (outside tfjs, Monolith-style): a token is the sum of its rows. */
export type SequentialTable = 'item' | 'position' | 'kind' | 'ratio' | 'gap';
const TABLES: readonly SequentialTable[] = ['item', 'position', 'kind', 'ratio', 'gap'];

export interface SasRecState {
  config: SequentialConfig;
  seed: number;
  tables: Record<SequentialTable, SparseTableState>;
  weights: Float32Array[];
  itemCounts: [string, number][];
}

/** Training input: each sequence's events and, per event, the next item (null: no target there). */
export interface SequenceBatch {
  inputs: readonly (readonly SequenceEvent[])[];
  targets: readonly (readonly (string | null)[])[];
}

/** A step's shared negatives with their logQ corrections. */
interface Candidates {
  ids: string[];
  logQs: Float32Array;
  logQ: (id: string) => number;
}

/** The sampled softmax's mean loss and its gradients (see `softmaxHead`). */
interface HeadResult {
  loss: number;
  gradH: Float32Array;
  gradC: Float32Array;
  gradPos: Float32Array;
}

/** Batched matMul whose gradient transposes explicitly (wasm's transpose flags are slow, see dense.ts). */
const bmm = tf.customGrad(((a: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      return [tf.matMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: Tensor, b: Tensor) => tf.Tensor3D;

function layerNorm(x: Tensor2D, gain: Tensor, bias: Tensor): Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), gain), bias) as Tensor2D;
}

const dense = (x: Tensor2D, w: Tensor, b: Tensor) => tf.add(matMul(x, w), b) as Tensor2D;

/** Weights per block: ln1 (g, b), q, k, v, out (w, b each), ln2 (g, b), ffn1 (w, b), ffn2 (w, b). */
const PER_BLOCK = 16;

/**
 * Token rows of a batch, left-padded to the longest sequence so that the last slot is every
 * sequence's most recent event; positions count back from it (SASRec's layout), so one
 * position table serves every length.
 */
interface Plan {
  B: number;
  L: number;
  /** Per slot (B * L) and table, the row; -1 for padding. */
  rows: Record<SequentialTable, Int32Array>;
  x0: Float32Array;
  valid: Float32Array;
  /** Additive attention bias (B x L x L): causal and key padding. */
  bias: Float32Array;
}

/**
 * A SASRec-style user tower (Kang & McAuley 2018): causal self-attention over the ordered
 * engagement sequence with learned positions, next-item prediction at every position. The
 * item table is shared between the input tokens and the output, so a user vector is scored
 * against item rows by inner product (FAISS-ready). Training uses a sampled softmax over the
 * in-batch targets plus a mixed uniform/popularity pool with logQ correction (Yi et al. 2019).
 */
export class SasRec {
  readonly config: SequentialConfig;
  readonly seed: number;
  readonly dim: number;
  readonly tables: Record<SequentialTable, SparseTable>;
  readonly weights: tf.Variable[];
  /** Training occurrences per item: the popularity half of the negative pool and logQ. */
  readonly itemCounts = new Map<string, number>();
  private readonly rng: Rng;
  private adam: Adam | undefined;
  private sampler: { ids: string[]; cumulative: Float64Array; total: number } | undefined;

  constructor(config: SequentialConfig, seed: number, state?: SasRecState) {
    this.config = config;
    this.seed = seed;
    this.dim = config.dim;
    this.rng = new Rng(seed * 977 + 13);
    const make = (name: SequentialTable, i: number) =>
      state
        ? SparseTable.fromState(state.tables[name])
        : new SparseTable({ dim: config.dim, minCount: 1, learningRate: config.sparseLearningRate, initStd: name === 'item' ? 0.05 : 0.01, seed: seed * 31 + i });
    this.tables = Object.fromEntries(TABLES.map((t, i) => [t, make(t, i + 1)])) as Record<SequentialTable, SparseTable>;
    for (let p = 0; p < config.maxLen; p++) this.tables.position.observe(`p${p}`, 0);
    this.weights = this.initWeights(state?.weights);
    for (const [id, n] of state?.itemCounts ?? []) this.itemCounts.set(id, n);
  }

  /** Counts training items: gives them rows and feeds the popularity sampler. */
  observe(sequences: readonly (readonly SequenceEvent[])[]): void {
    for (const seq of sequences) {
      for (const e of seq) {
        this.tables.item.observe(e.item_id, e.ts);
        this.itemCounts.set(e.item_id, (this.itemCounts.get(e.item_id) ?? 0) + 1);
      }
    }
    this.sampler = undefined;
  }

  /** One step of sampled softmax on next-item prediction; returns the mean loss per target. */
  trainStep(batch: SequenceBatch): number {
    const plan = this.plan(batch.inputs, true);
    const { B, L } = plan;
    const d = this.dim;
    const targetIds: (string | null)[] = new Array(B * L).fill(null);
    batch.targets.forEach((ts, b) => ts.forEach((id, t) => (targetIds[b * L + L - ts.length + t] = id)));
    const slots: number[] = [];
    targetIds.forEach((id, s) => {
      if (id !== null && plan.rows.item[s]! >= 0) slots.push(s);
    });
    if (!slots.length) return 0;
    const targets = slots.map((s) => targetIds[s]!);
    const cand = this.candidates(targets);
    const masks = this.dropoutMasks(B * L);
    const keepMask = plan.valid;
    this.adam ??= new Adam(this.weights, this.config.denseLearningRate);

    // A row's own sequence (inputs and targets) is never its negative: later targets would
    // otherwise teach the model to rank the user's next items down (SASRec samples negatives
    // outside the user's sequence for the same reason).
    const own = batch.inputs.map((seq, b) => new Set([...seq.map((e) => e.item_id), ...batch.targets[b]!.filter((id): id is string => id !== null)]));
    // The tower runs in tfjs; the softmax head runs in JS between its matMuls (wasm's elementwise
    // exp/max over slots x candidates cost more than the matMuls themselves), as a custom-gradient
    // op so that one forward pass serves both the loss and the backward pass.
    let ran: HeadResult | undefined;
    const loss = tf.customGrad(((hT: Tensor) => {
      const result = this.softmaxHead(hT.dataSync() as Float32Array, slots, targets, cand, (r) => own[Math.floor(slots[r]! / L)]!);
      ran = result;
      return { value: tf.scalar(result.loss), gradFunc: (dy: Tensor) => tf.mul(dy, tf.tensor2d(result.gradH, [B * L, d])) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (h: Tensor) => tf.Scalar;
    const objective = (...args: Tensor[]) => {
      const [x0, ...ws] = args as [Tensor2D, ...Tensor[]];
      const drops = masks.map((m) => tf.tensor2d(m, [B * L, d]));
      const x = drops[0] ? (tf.mul(x0, drops[0]) as Tensor2D) : x0;
      return loss(this.forward(x, B, L, tf.tensor3d(plan.bias, [B, L, L]), tf.tensor2d(keepMask, [B * L, 1]), drops.slice(1), ws));
    };
    const grads = tf.tidy(() => tf.valueAndGrads(objective)([tf.tensor2d(plan.x0, [B * L, d]), ...this.weights]).grads);
    const head = ran;
    if (!head) throw new Error('sasrec: the softmax head did not run');
    this.adam.apply(grads.slice(1));
    const gx = grads[0]!.dataSync() as Float32Array;
    tf.dispose(grads);
    // Rows get the gradient of the summed loss (the usual scale for sparse Adagrad, as in the two-tower).
    const scale = slots.length;
    const item = this.tables.item;
    for (let s = 0; s < B * L; s++) {
      if (plan.rows.item[s]! < 0) continue;
      for (const name of TABLES) this.tables[name].accumulate(plan.rows[name][s]!, gx, scale, s * d);
    }
    cand.ids.forEach((id, c) => item.accumulate(item.row(id), head.gradC, scale, c * d));
    targets.forEach((id, r) => item.accumulate(item.row(id), head.gradPos, scale, r * d));
    for (const name of TABLES) this.tables[name].step();
    return head.loss;
  }

  /**
   * Sampled softmax for the hidden states of `slots`: each row's classes are its own target and
   * the shared negatives, less the items of the row's own sequence (`ownItems`), logits
   * cos(h, e) / temperature - logQ(e), as the two-tower's (cosine keeps the logits' scale
   * independent of how far rare items' rows have grown). Returns the mean cross-entropy and
   * its gradients with respect to every hidden state (zero outside `slots`), every negative's
   * row and every target's row.
   */
  private softmaxHead(h: Float32Array, slots: readonly number[], targets: readonly string[], cand: Candidates, ownItems: (row: number) => ReadonlySet<string>): HeadResult {
    const d = this.dim;
    const V = slots.length;
    const N = cand.ids.length;
    const invT = 1 / this.config.temperature;
    const item = this.tables.item;
    const hv = new Float32Array(V * d);
    slots.forEach((s, r) => hv.set(h.subarray(s * d, (s + 1) * d), r * d));
    const c = new Float32Array(N * d);
    cand.ids.forEach((id, k) => c.set(item.vector(item.row(id)), k * d));
    const pos = new Float32Array(V * d);
    targets.forEach((id, r) => pos.set(item.vector(item.row(id)), r * d));
    const [hNorm, cNorm, pNorm] = [normalizeInPlace(hv, d), normalizeInPlace(c, d), normalizeInPlace(pos, d)];
    const logitsT = tf.tidy(() => tf.matMul(tf.tensor2d(hv, [V, d]), tf.transpose(tf.tensor2d(c, [N, d]))));
    const g = logitsT.dataSync() as Float32Array;
    logitsT.dispose();
    const column = new Map(cand.ids.map((id, k) => [id, k]));
    // Gradients with respect to the normalised vectors first, then through the normalisation.
    const gradHn = new Float32Array(V * d);
    const gradPn = new Float32Array(V * d);
    let loss = 0;
    for (let r = 0; r < V; r++) {
      const o = r * N;
      let zPos = -cand.logQ(targets[r]!);
      for (let j = 0; j < d; j++) zPos += hv[r * d + j]! * pos[r * d + j]! * invT;
      let max = zPos;
      for (let k = 0; k < N; k++) {
        const z = (g[o + k] = g[o + k]! * invT - cand.logQs[k]!);
        if (z > max) max = z;
      }
      for (const id of ownItems(r)) {
        const k = column.get(id);
        if (k !== undefined) g[o + k] = -Infinity;
      }
      let sum = Math.exp(zPos - max);
      for (let k = 0; k < N; k++) sum += g[o + k] = Math.exp(g[o + k]! - max);
      loss += Math.log(sum) + max - zPos;
      // d(mean loss)/d cosine = (softmax - onehot) / (V * temperature).
      for (let k = 0; k < N; k++) g[o + k] = (g[o + k]! / sum / V) * invT;
      const dPos = ((Math.exp(zPos - max) / sum - 1) / V) * invT;
      for (let j = 0; j < d; j++) {
        gradHn[r * d + j] = dPos * pos[r * d + j]!;
        gradPn[r * d + j] = dPos * hv[r * d + j]!;
      }
    }
    const { negHv, negCT } = tf.tidy(() => {
      const G = tf.tensor2d(g, [V, N]);
      return { negHv: tf.matMul(G, tf.tensor2d(c, [N, d])), negCT: tf.matMul(tf.transpose(tf.tensor2d(hv, [V, d])), G) };
    });
    const ghv = negHv.dataSync() as Float32Array;
    const gct = negCT.dataSync() as Float32Array;
    tf.dispose([negHv, negCT]);
    for (let i = 0; i < V * d; i++) gradHn[i]! += ghv[i]!;
    const gradCn = new Float32Array(N * d);
    for (let j = 0; j < d; j++) for (let k = 0; k < N; k++) gradCn[k * d + j] = gct[j * N + k]!;
    const gradHv = throughNormalize(gradHn, hv, hNorm, d);
    const gradH = new Float32Array(h.length);
    slots.forEach((s, r) => gradH.set(gradHv.subarray(r * d, (r + 1) * d), s * d));
    return { loss: loss / V, gradH, gradC: throughNormalize(gradCn, c, cNorm, d), gradPos: throughNormalize(gradPn, pos, pNorm, d) };
  }

  /** Row-major L2-normalised user vectors (rows x dim), one per sequence, from its last `maxLen` events. */
  encode(sequences: readonly (readonly SequenceEvent[])[]): Float32Array {
    const d = this.dim;
    const out = new Float32Array(sequences.length * d);
    // Similar lengths together: less padding.
    const order = sequences.map((_, i) => i).sort((a, b) => sequences[a]!.length - sequences[b]!.length);
    const CHUNK = 256;
    for (let s = 0; s < order.length; s += CHUNK) {
      const part = order.slice(s, s + CHUNK);
      const plan = this.plan(
        part.map((i) => sequences[i]!),
        false,
      );
      const { B, L } = plan;
      const h = tf.tidy(() => {
        const keep = tf.tensor2d(plan.valid, [B * L, 1]);
        return this.forward(tf.tensor2d(plan.x0, [B * L, d]), B, L, tf.tensor3d(plan.bias, [B, L, L]), keep, [], this.weights);
      });
      const flat = h.dataSync() as Float32Array;
      h.dispose();
      part.forEach((i, b) => out.set(flat.subarray((b * L + L - 1) * d, (b * L + L) * d), i * d));
    }
    normalizeRows(out, d);
    return out;
  }

  /** Row-major L2-normalised item vectors: the shared item table's rows (unknown ids: the default row). */
  itemVectors(ids: readonly string[]): Float32Array {
    const out = new Float32Array(ids.length * this.dim);
    const item = this.tables.item;
    ids.forEach((id, i) => out.set(item.vector(item.row(id)), i * this.dim));
    normalizeRows(out, this.dim);
    return out;
  }

  state(): SasRecState {
    return {
      config: this.config,
      seed: this.seed,
      tables: Object.fromEntries(TABLES.map((t) => [t, this.tables[t].state()])) as Record<SequentialTable, SparseTableState>,
      weights: this.weights.map((w) => w.dataSync() as Float32Array),
      itemCounts: [...this.itemCounts],
    };
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    this.adam?.dispose();
  }

  private forward(x: Tensor2D, B: number, L: number, bias: Tensor, keep: Tensor, drops: readonly Tensor[], ws: readonly Tensor[]): Tensor2D {
    const d = this.dim;
    const drop = (t: Tensor2D, i: number) => (drops[i] ? (tf.mul(t, drops[i]!) as Tensor2D) : t);
    let h = tf.mul(x, keep) as Tensor2D;
    for (let b = 0; b < this.config.blocks; b++) {
      const w = ws.slice(b * PER_BLOCK, (b + 1) * PER_BLOCK);
      const q = layerNorm(h, w[0]!, w[1]!);
      const Q = tf.reshape(dense(q, w[2]!, w[3]!), [B, L, d]);
      const K = tf.reshape(dense(h, w[4]!, w[5]!), [B, L, d]);
      const V = tf.reshape(dense(h, w[6]!, w[7]!), [B, L, d]);
      const scores = tf.add(tf.div(bmm(Q, tf.transpose(K, [0, 2, 1])), Math.sqrt(d)), bias);
      const att = tf.reshape(bmm(tf.softmax(scores), V), [B * L, d]) as Tensor2D;
      h = tf.add(q, drop(dense(att, w[8]!, w[9]!), 2 * b)) as Tensor2D;
      const f = layerNorm(h, w[10]!, w[11]!);
      const ff = drop(dense(tf.relu(dense(f, w[12]!, w[13]!)), w[14]!, w[15]!), 2 * b + 1);
      h = tf.mul(tf.add(f, ff), keep) as Tensor2D;
    }
    const n = ws.length;
    return layerNorm(h, ws[n - 2]!, ws[n - 1]!);
  }

  private plan(sequences: readonly (readonly SequenceEvent[])[], training: boolean): Plan {
    const { maxLen } = this.config;
    const d = this.dim;
    const B = sequences.length;
    const L = Math.max(1, ...sequences.map((s) => Math.min(maxLen, s.length)));
    const rows = Object.fromEntries(TABLES.map((t) => [t, new Int32Array(B * L).fill(-1)])) as Record<SequentialTable, Int32Array>;
    const x0 = new Float32Array(B * L * d);
    const valid = new Float32Array(B * L);
    const bias = new Float32Array(B * L * L);
    const t = this.tables;
    // Side ids unseen in training map to the default row at inference; training gives them rows.
    const rowOf = (table: SparseTable, id: string) => (training ? table.observe(id, 0) : table.row(id));
    sequences.forEach((seq, b) => {
      // No history: one default token stands for "nothing watched yet".
      const events = seq.length ? seq.slice(-maxLen) : [{ item_id: '', kind: '', watchRatio: null, ts: 0 }];
      const sides = sidesOf(events);
      const start = L - events.length;
      events.forEach((e, k) => {
        const s = b * L + start + k;
        rows.item[s] = t.item.row(e.item_id);
        rows.position[s] = t.position.row(`p${events.length - 1 - k}`);
        rows.kind[s] = rowOf(t.kind, sides[k]!.kind);
        rows.ratio[s] = rowOf(t.ratio, sides[k]!.ratio);
        rows.gap[s] = rowOf(t.gap, sides[k]!.gap);
        valid[s] = 1;
        for (const name of TABLES) {
          const v = t[name].vector(rows[name][s]!);
          for (let j = 0; j < d; j++) x0[s * d + j]! += v[j]!;
        }
      });
      for (let i = 0; i < L; i++) {
        for (let j = 0; j < L; j++) if (j > i || j < start) bias[(b * L + i) * L + j] = -1e9;
        // A padding query would attend to nothing; let it see itself (its output is masked anyway).
        if (i < start) bias[(b * L + i) * L + i] = 0;
      }
    });
    return { B, L, rows, x0, valid, bias };
  }

  /**
   * The negatives shared by a step's rows: up to `inBatchNegatives` of the step's targets (drawn
   * as positives are, by popularity) plus `negatives` items from a mix of uniform and popularity
   * sampling; logQ is the log of an item's expected count in that draw (Yi et al. 2019).
   */
  private candidates(targets: readonly string[]): Candidates {
    const { negatives, inBatchNegatives, uniformShare } = this.config;
    this.sampler ??= this.buildSampler();
    const { ids: vocab, cumulative, total } = this.sampler;
    const chosen = new Set<string>();
    const inBatch = Math.min(inBatchNegatives, targets.length);
    for (let k = 0; k < inBatch; k++) chosen.add(targets[inBatch === targets.length ? k : this.rng.int(targets.length)]!);
    for (let k = 0; k < negatives && vocab.length; k++) {
      chosen.add(this.rng.next() < uniformShare ? vocab[this.rng.int(vocab.length)]! : vocab[upperBound(cumulative, this.rng.next() * total)]!);
    }
    const popDraws = inBatch + (1 - uniformShare) * negatives;
    const uniform = (uniformShare * negatives) / Math.max(1, vocab.length);
    const logQ = (id: string) => Math.log(popDraws * ((this.itemCounts.get(id) ?? 0) / total) + uniform + 1e-9);
    const ids = [...chosen];
    return { ids, logQs: Float32Array.from(ids, logQ), logQ };
  }

  private buildSampler() {
    const ids = [...this.itemCounts.keys()];
    const cumulative = new Float64Array(ids.length);
    let total = 0;
    ids.forEach((id, i) => (cumulative[i] = total += this.itemCounts.get(id)!));
    return { ids, cumulative, total: total || 1 };
  }

  private dropoutMasks(n: number): Float32Array[] {
    const p = this.config.dropout;
    if (p <= 0) return [];
    return Array.from({ length: 1 + 2 * this.config.blocks }, () => {
      const m = new Float32Array(n * this.dim);
      for (let i = 0; i < m.length; i++) m[i] = this.rng.next() < p ? 0 : 1 / (1 - p);
      return m;
    });
  }

  private initWeights(init?: Float32Array[]): tf.Variable[] {
    const d = this.dim;
    const rng = new Rng(this.seed * 31 + 101);
    const glorot = () => {
      const limit = Math.sqrt(6 / (2 * d));
      return Float32Array.from({ length: d * d }, () => (rng.next() * 2 - 1) * limit);
    };
    const shapes: { kind: 'w' | 'zero' | 'one' }[] = [];
    for (let b = 0; b < this.config.blocks; b++) {
      shapes.push({ kind: 'one' }, { kind: 'zero' });
      for (let k = 0; k < 4; k++) shapes.push({ kind: 'w' }, { kind: 'zero' });
      shapes.push({ kind: 'one' }, { kind: 'zero' });
      for (let k = 0; k < 2; k++) shapes.push({ kind: 'w' }, { kind: 'zero' });
    }
    shapes.push({ kind: 'one' }, { kind: 'zero' });
    return shapes.map((s, i) => {
      const values = init?.[i] ?? (s.kind === 'w' ? glorot() : new Float32Array(d).fill(s.kind === 'one' ? 1 : 0));
      const t = s.kind === 'w' ? tf.tensor2d(values, [d, d]) : tf.tensor1d(values);
      return tf.variable(t, true, `sasrec/${i}_${this.seed}_${uid()}`);
    });
  }
}

let counter = 0;
const uid = () => (counter++).toString(36);

/** Normalises each row to unit length in place; returns the original norms. */
function normalizeInPlace(m: Float32Array, dim: number): Float32Array {
  const norms = new Float32Array(m.length / dim);
  for (let r = 0; r < norms.length; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += m[r * dim + j]! ** 2;
    const n = (norms[r] = Math.sqrt(s) + 1e-8);
    for (let j = 0; j < dim; j++) m[r * dim + j]! /= n;
  }
  return norms;
}

/** The gradient with respect to x from the one with respect to n = x / |x|: (g - (g . n) n) / |x|. */
function throughNormalize(grad: Float32Array, unit: Float32Array, norms: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(grad.length);
  for (let r = 0; r < norms.length; r++) {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += grad[r * dim + j]! * unit[r * dim + j]!;
    for (let j = 0; j < dim; j++) out[r * dim + j] = (grad[r * dim + j]! - dot * unit[r * dim + j]!) / norms[r]!;
  }
  return out;
}

/** First index whose cumulative count exceeds `x`. */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
