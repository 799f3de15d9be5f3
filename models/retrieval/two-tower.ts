import type { RetrievalConfig } from '../../config/sections/models.ts';
import { tfjs as tf } from '../backend.ts';
import { Adam, l2Normalize, matMul, Mlp, normalizeRows } from '../dense.ts';
import { DEFAULT_ROW, SparseTable, type SparseTableChanges, type SparseTableState } from '../sparse/table.ts';
import type { RetrievalModel, UserContext } from '../types.ts';
import { ItemFeatureTable, type ItemFeatures } from './item-features.ts';
import { engagementWeight } from './weights.ts';

export type { ItemFeatures } from './item-features.ts';

export interface HistoryEntry {
  item_id: string;
  weight: number;
}

/** One user-side input: recent engagements (most recent first) plus context. */
export interface UserInput {
  locale: string;
  segment: string;
  history: readonly HistoryEntry[];
}

export interface StepBatch {
  users: UserInput[];
  /** The positive item of each row; the other rows' items are its negatives. */
  items: string[];
  /** Positive weight of each row (watch time / completion). */
  weights: Float32Array;
}

export type TableName = 'item' | 'history' | 'locale' | 'segment' | 'category' | 'creator' | 'price';

export interface TwoTowerState {
  config: RetrievalConfig;
  seed: number;
  tables: Record<TableName, SparseTableState>;
  userWeights: Float32Array[];
  itemWeights: Float32Array[];
  items: ItemFeatures[];
  itemCounts: [string, number][];
}

/**
 * What training changed since the last `takeUpdate()` (after `trackChanges()`): all dense
 * weights (small) and the sparse rows trained, added or freed. A serving copy of the same
 * version becomes the trained model by `applyUpdate`.
 */
export interface TwoTowerUpdate {
  userWeights: Float32Array[];
  itemWeights: Float32Array[];
  tables: Record<TableName, SparseTableChanges>;
}

/** The user tower's input for a serving request: positive engagements, watch-time weighted. */
export function userInputOf(user: UserContext): UserInput {
  const history = user.recent.map((e) => ({ item_id: e.item_id, weight: engagementWeight(e.kind, e.watch_ms, e.duration_ms) })).filter((h) => h.weight > 0);
  return { locale: user.locale, segment: user.segment, history };
}

/** Price bands: 0 = no product, then log2 buckets of the price. */
function priceBand(hasProduct: boolean, price: number): string {
  if (!hasProduct) return 'none';
  return `b${Math.max(0, Math.min(12, Math.floor(Math.log2(1 + Math.max(0, price)))))}`;
}

/**
 * The additive logit correction of an in-batch softmax: -strength * log q(item) per column
 * (Yi et al. 2019), and a large negative where a column repeats the row's own positive item.
 */
export function batchBias(items: readonly string[], probability: (id: string) => number, strength: number): Float32Array {
  const B = items.length;
  const bias = new Float32Array(B * B);
  const logQ = items.map((id) => Math.log(probability(id)) * strength);
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) bias[i * B + j] = -logQ[j]!;
  const rowsOf = new Map<string, number[]>();
  items.forEach((id, i) => rowsOf.set(id, [...(rowsOf.get(id) ?? []), i]));
  for (const rows of rowsOf.values()) for (const i of rows) for (const j of rows) if (i !== j) bias[i * B + j] = -1e4;
  return bias;
}

const UNKNOWN_ITEM: Omit<ItemFeatures, 'item_id'> = { category: '', creator_id: '', has_product: false, price: 0 };

/**
 * Two-tower retrieval. Embeddings live in SparseTables; the towers are tfjs dense layers fed
 * with the gathered rows, and the gradient with respect to those inputs updates the rows.
 * Loss: in-batch sampled softmax with logQ correction (Yi et al. 2019), weighted positives.
 */
export class TwoTower implements RetrievalModel {
  version = 'untrained';
  readonly dim: number;
  readonly config: RetrievalConfig;
  readonly seed: number;
  readonly tables: Record<TableName, SparseTable>;
  readonly userMlp: Mlp;
  readonly itemMlp: Mlp;
  readonly items = new ItemFeatureTable();
  /** Positive counts per item, for the logQ correction. */
  readonly itemCounts = new Map<string, number>();
  private totalCount = 0;
  private adam: Adam | undefined;
  private readonly itemCache = new Map<string, Float32Array>();

  constructor(config: RetrievalConfig, seed: number, state?: TwoTowerState) {
    this.config = config;
    this.seed = seed;
    this.dim = config.dim;
    const { dim, sideDim } = config;
    const table = (name: TableName, d: number, i: number, minCount: number) =>
      state ? SparseTable.fromState(state.tables[name]) : new SparseTable({ dim: d, minCount, learningRate: config.sparseLearningRate, initStd: 0.05, seed: seed * 31 + i });
    this.tables = {
      item: table('item', dim, 1, config.minCount),
      history: table('history', dim, 2, config.minCount),
      locale: table('locale', sideDim, 3, 1),
      segment: table('segment', sideDim, 4, 1),
      category: table('category', sideDim, 5, 1),
      creator: table('creator', sideDim, 6, config.minCount),
      price: table('price', sideDim, 7, 1),
    };
    const layers = (h: number) => [...(h > 0 ? [{ units: h, activation: 'relu' as const }] : []), { units: dim, activation: 'linear' as const }];
    this.userMlp = new Mlp('user', this.userInputDim, layers(config.hidden), seed * 31 + 8, state?.userWeights);
    this.itemMlp = new Mlp('item', this.itemInputDim, layers(config.hidden), seed * 31 + 9, state?.itemWeights);
    for (const f of state?.items ?? []) this.items.set(f);
    for (const [id, n] of state?.itemCounts ?? []) this.countItem(id, n);
  }

  get userInputDim(): number {
    return this.config.dim + 2 * this.config.sideDim;
  }

  get itemInputDim(): number {
    return this.config.dim + 3 * this.config.sideDim + 1;
  }

  /** Adds or updates catalog features of items. */
  setItems(features: Iterable<ItemFeatures>): void {
    for (const f of features) {
      this.items.set(f);
      this.itemCache.delete(f.item_id);
    }
  }

  /** Counts positive occurrences: gives ids their rows (min count) and feeds the logQ estimate. */
  observe(users: readonly UserInput[], items: readonly string[], ts: number): void {
    const t = this.tables;
    for (const u of users) {
      t.locale.observe(u.locale, ts);
      t.segment.observe(u.segment, ts);
    }
    for (const id of items) {
      const f = this.items.get(id) ?? { item_id: id, ...UNKNOWN_ITEM };
      t.item.observe(id, ts);
      t.history.observe(id, ts);
      t.category.observe(f.category, ts);
      t.creator.observe(f.creator_id, ts);
      t.price.observe(priceBand(f.has_product, f.price), ts);
      this.countItem(id, 1);
    }
  }

  countItem(id: string, n: number): void {
    this.itemCounts.set(id, (this.itemCounts.get(id) ?? 0) + n);
    this.totalCount += n;
  }

  /** Estimated probability that an item is a batch positive (sampling distribution for logQ). */
  itemProbability(id: string): number {
    return ((this.itemCounts.get(id) ?? 0) + 1) / (this.totalCount + this.itemCounts.size + 1);
  }

  /** One gradient step; returns the batch loss. */
  trainStep(batch: StepBatch): number {
    const B = batch.items.length;
    const plan = this.poolingPlan(batch.users);
    const iIn = this.itemInputs(batch.items);
    const bias = batchBias(batch.items, (id) => this.itemProbability(id), this.config.logQ);
    let sumW = 0;
    for (const w of batch.weights) sumW += w;
    this.adam ??= new Adam([...this.userMlp.weights, ...this.itemMlp.weights], this.config.denseLearningRate);
    const nu = this.userMlp.weights.length;
    const weights = [...this.userMlp.weights, ...this.itemMlp.weights];
    const { value, grads } = tf.tidy(() => {
      const biasT = tf.tensor2d(bias, [B, B]);
      const eye = tf.eye(B);
      const w = tf.tensor1d(batch.weights);
      const f = (...args: tf.Tensor[]) => {
        const [p, c, v, ...ws] = args as [tf.Tensor, tf.Tensor, tf.Tensor, ...tf.Tensor[]];
        const un = l2Normalize(this.userMlp.apply(tf.concat([p, c], 1), ws.slice(0, nu)));
        const vn = l2Normalize(this.itemMlp.apply(v, ws.slice(nu)));
        const logits = tf.add(tf.div(matMul(un, tf.transpose(vn)), this.config.temperature), biasT);
        const logp = tf.sum(tf.mul(tf.logSoftmax(logits), eye), 1);
        return tf.div(tf.neg(tf.sum(tf.mul(logp, w))), sumW) as tf.Scalar;
      };
      const p = tf.tensor2d(plan.pooled, [B, this.dim]);
      const c = tf.tensor2d(plan.context, [B, 2 * this.config.sideDim]);
      return tf.valueAndGrads(f)([p, c, tf.tensor2d(iIn, [B, this.itemInputDim]), ...weights]);
    });
    this.adam.apply(grads.slice(3));
    const loss = value.dataSync()[0]!;
    const gradE = plan.rowGradients(grads[0]!.dataSync() as Float32Array);
    const gradC = grads[1]!.dataSync() as Float32Array;
    const gradI = grads[2]!.dataSync() as Float32Array;
    tf.dispose([value, ...grads]);
    // Rows get the gradient of the summed (not averaged) loss, the usual scale for sparse
    // Adagrad: a row's step then does not shrink as the batch grows.
    this.applyUserGrads(batch.users, plan.rows, gradE, gradC, B);
    this.applyItemGrads(batch.items, gradI, B);
    this.itemCache.clear();
    return loss;
  }

  userVector(user: UserContext): Float32Array {
    return this.userVectors([userInputOf(user)]);
  }

  /** Row-major L2-normalised vectors for many users. */
  userVectors(users: readonly UserInput[]): Float32Array {
    const plan = this.poolingPlan(users);
    const side = 2 * this.config.sideDim;
    const width = this.userInputDim;
    const input = new Float32Array(users.length * width);
    for (let r = 0; r < users.length; r++) {
      input.set(plan.pooled.subarray(r * this.dim, (r + 1) * this.dim), r * width);
      input.set(plan.context.subarray(r * side, (r + 1) * side), r * width + this.dim);
    }
    return normalizeRows(this.userMlp.infer(input, users.length), this.dim);
  }

  itemVector(itemId: string): Float32Array | undefined {
    if (!this.items.has(itemId) && !this.tables.item.has(itemId)) return undefined;
    const cached = this.itemCache.get(itemId);
    if (cached) return cached;
    const v = this.itemVectors([itemId]);
    this.itemCache.set(itemId, v);
    return v;
  }

  /** Row-major L2-normalised vectors for items (unknown ids get the default rows). */
  itemVectors(ids: readonly string[]): Float32Array {
    const out = new Float32Array(ids.length * this.dim);
    const CHUNK = 4096;
    for (let s = 0; s < ids.length; s += CHUNK) {
      const part = ids.slice(s, s + CHUNK);
      const input = this.itemInputs(part);
      out.set(this.itemMlp.infer(input, part.length), s * this.dim);
    }
    return normalizeRows(out, this.dim);
  }

  /** Every item the model can serve: catalog items plus items with their own row. */
  knownItems(): string[] {
    const ids = new Set(this.items.keys());
    for (const id of this.tables.item.keys()) ids.add(id);
    return [...ids].sort();
  }

  /** Frees embedding rows unseen since `before`; returns how many were expired per table. */
  expire(before: number): Partial<Record<TableName, number>> {
    const out: Partial<Record<TableName, number>> = {};
    for (const [name, t] of Object.entries(this.tables) as [TableName, SparseTable][]) {
      const n = t.expire(before).length;
      if (n) out[name] = n;
    }
    this.itemCache.clear();
    return out;
  }

  /** Starts recording what training changes, for `takeUpdate()`. */
  trackChanges(): void {
    for (const t of Object.values(this.tables)) t.trackChanges();
  }

  /** What training changed since the last call; every array is this update's own (transferable). */
  takeUpdate(): TwoTowerUpdate {
    const tables = {} as Record<TableName, SparseTableChanges>;
    for (const [name, t] of Object.entries(this.tables) as [TableName, SparseTable][]) tables[name] = t.takeChanges();
    // Copies: a backend may hand out its own buffer, which a transfer would detach.
    const copy = (ws: Float32Array[]) => ws.map((w) => w.slice());
    return { userWeights: copy(this.userMlp.export()), itemWeights: copy(this.itemMlp.export()), tables };
  }

  /** Applies an update taken from a copy of this model trained elsewhere (this copy is only read and updated this way). */
  applyUpdate(u: TwoTowerUpdate): void {
    this.userMlp.load(u.userWeights);
    this.itemMlp.load(u.itemWeights);
    for (const [name, c] of Object.entries(u.tables) as [TableName, SparseTableChanges][]) this.tables[name].applyChanges(c);
    this.itemCache.clear();
  }

  state(): TwoTowerState {
    const tables = {} as Record<TableName, SparseTableState>;
    for (const [name, t] of Object.entries(this.tables) as [TableName, SparseTable][]) tables[name] = t.state();
    return {
      config: this.config,
      seed: this.seed,
      tables,
      userWeights: this.userMlp.export(),
      itemWeights: this.itemMlp.export(),
      items: this.items.values(),
      itemCounts: [...this.itemCounts],
    };
  }

  dispose(): void {
    this.userMlp.dispose();
    this.itemMlp.dispose();
    this.adam?.dispose();
  }

  /**
   * The user tower's history input: each user's engagement-weighted mean of history rows,
   * pooled here in typed arrays (B x len x dim) rather than as a dense users x rows matmul, whose
   * cost grows with the catalogue. `rowGradients` maps the gradient w.r.t. the pooled vectors
   * back onto the distinct rows, for the sparse optimizer. Context holds locale and segment rows.
   */
  private poolingPlan(users: readonly UserInput[]): {
    rows: number[];
    pooled: Float32Array;
    context: Float32Array;
    rowGradients: (gradPooled: Float32Array) => Float32Array;
  } {
    const { dim, sideDim, historyLength } = this.config;
    const t = this.tables;
    const col = new Map<number, number>();
    const rows: number[] = [];
    const colOf = (r: number) => {
      let c = col.get(r);
      if (c === undefined) {
        c = rows.length;
        col.set(r, c);
        rows.push(r);
      }
      return c;
    };
    const entries = users.map((u) => {
      const n = Math.min(historyLength, u.history.length);
      const cells: [number, number][] = [];
      let sumW = 0;
      for (let k = 0; k < n; k++) {
        const h = u.history[k]!;
        if (h.weight <= 0) continue;
        cells.push([colOf(t.history.row(h.item_id)), h.weight]);
        sumW += h.weight;
      }
      // No history: the default row stands for "nothing watched yet".
      if (sumW === 0) return [[colOf(DEFAULT_ROW), 1]] as [number, number][];
      return cells.map(([c, w]) => [c, w / sumW] as [number, number]);
    });
    const values = t.history.data;
    const pooled = new Float32Array(users.length * dim);
    entries.forEach((cells, b) => {
      for (const [c, w] of cells) {
        const src = rows[c]! * dim;
        for (let d = 0; d < dim; d++) pooled[b * dim + d]! += w * values[src + d]!;
      }
    });
    const rowGradients = (gradPooled: Float32Array) => {
      const out = new Float32Array(rows.length * dim);
      entries.forEach((cells, b) => {
        for (const [c, w] of cells) for (let d = 0; d < dim; d++) out[c * dim + d]! += w * gradPooled[b * dim + d]!;
      });
      return out;
    };
    const context = new Float32Array(users.length * 2 * sideDim);
    users.forEach((u, b) => {
      context.set(t.locale.vector(t.locale.row(u.locale)), b * 2 * sideDim);
      context.set(t.segment.vector(t.segment.row(u.segment)), b * 2 * sideDim + sideDim);
    });
    return { rows, pooled, context, rowGradients };
  }

  private itemInputs(ids: readonly string[]): Float32Array {
    const { dim, sideDim } = this.config;
    const width = this.itemInputDim;
    const t = this.tables;
    const out = new Float32Array(ids.length * width);
    ids.forEach((id, b) => {
      const f = this.items.get(id) ?? { item_id: id, ...UNKNOWN_ITEM };
      const base = b * width;
      out.set(t.item.vector(t.item.row(id)), base);
      out.set(t.category.vector(t.category.row(f.category)), base + dim);
      out.set(t.creator.vector(t.creator.row(f.creator_id)), base + dim + sideDim);
      out.set(t.price.vector(t.price.row(priceBand(f.has_product, f.price))), base + dim + 2 * sideDim);
      out[base + dim + 3 * sideDim] = f.has_product ? 1 : 0;
    });
    return out;
  }

  private applyUserGrads(users: readonly UserInput[], rows: readonly number[], gradE: Float32Array, gradC: Float32Array, scale: number): void {
    const { dim, sideDim } = this.config;
    const t = this.tables;
    rows.forEach((r, i) => t.history.accumulate(r, gradE, scale, i * dim));
    users.forEach((u, b) => {
      t.locale.accumulate(t.locale.row(u.locale), gradC, scale, b * 2 * sideDim);
      t.segment.accumulate(t.segment.row(u.segment), gradC, scale, b * 2 * sideDim + sideDim);
    });
    t.history.step();
    t.locale.step();
    t.segment.step();
  }

  private applyItemGrads(ids: readonly string[], grad: Float32Array, scale: number): void {
    const { dim, sideDim } = this.config;
    const width = this.itemInputDim;
    const t = this.tables;
    ids.forEach((id, b) => {
      const f = this.items.get(id) ?? { item_id: id, ...UNKNOWN_ITEM };
      const base = b * width;
      t.item.accumulate(t.item.row(id), grad, scale, base);
      t.category.accumulate(t.category.row(f.category), grad, scale, base + dim);
      t.creator.accumulate(t.creator.row(f.creator_id), grad, scale, base + dim + sideDim);
      t.price.accumulate(t.price.row(priceBand(f.has_product, f.price)), grad, scale, base + dim + 2 * sideDim);
    });
    for (const name of ['item', 'category', 'creator', 'price'] as const) t[name].step();
  }
}
