import { Rng } from '../../core/rng.ts';

export interface SparseTableOptions {
  dim: number;
  /** Occurrences an id needs before it gets its own row; until then it shares the default row. */
  minCount: number;
  /** Adagrad step size. */
  learningRate: number;
  /** Standard deviation of new rows. */
  initStd: number;
  seed: number;
  /** Adagrad accumulator start value (keeps the first steps bounded). */
  initialAccumulator?: number;
}

/** Serialised form: the id list plus the typed arrays (see registry for how they are stored). */
export interface SparseTableState {
  options: SparseTableOptions;
  /** Row i belongs to ids[i]; row 0 is the shared default row (''), freed rows are null. */
  ids: (string | null)[];
  pending: [string, number, number][];
  values: Float32Array;
  accum: Float32Array;
  lastSeen: Float64Array;
}

/** Rows of a table written since the last `takeChanges()`: each row's owner (null: freed) and its values, row-major. */
export interface SparseTableChanges {
  rows: Int32Array;
  ids: (string | null)[];
  values: Float32Array;
}

export const DEFAULT_ROW = 0;
const EPS = 1e-8;

/**
 * A collisionless embedding table outside tfjs (as in ByteDance's Monolith): every id with
 * enough occurrences owns one row of a growable Float32Array, ids below `minCount` share the
 * default row, rows unseen for long are expired and reused, and a sparse Adagrad updates only
 * the rows a batch touched.
 */
export class SparseTable {
  readonly options: SparseTableOptions;
  readonly dim: number;
  private readonly rowOf = new Map<string, number>();
  private ids: (string | null)[] = [''];
  /** Ids below minCount: occurrences and last time seen. */
  private readonly pending = new Map<string, { n: number; ts: number }>();
  private free: number[] = [];
  private values: Float32Array;
  private accum: Float32Array;
  private lastSeen: Float64Array;
  private readonly rng: Rng;
  /** Gradients accumulated since the last step, by row. */
  private readonly gradOffset = new Map<number, number>();
  private gradBuf = new Float32Array(0);
  /** Rows trained, allocated or freed since the last `takeChanges()`; undefined until `trackChanges()`. */
  private changed: Set<number> | undefined;

  constructor(options: SparseTableOptions) {
    this.options = options;
    this.dim = options.dim;
    this.rng = new Rng(options.seed);
    const capacity = 64;
    this.values = new Float32Array(capacity * this.dim);
    this.accum = new Float32Array(capacity * this.dim).fill(options.initialAccumulator ?? 0.1);
    this.lastSeen = new Float64Array(capacity);
    this.initRow(DEFAULT_ROW);
  }

  /** Rows in use, including the default row. */
  get size(): number {
    return this.rowOf.size + 1;
  }

  /** Ids that own a row. */
  keys(): IterableIterator<string> {
    return this.rowOf.keys();
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** The row of an id, or the default row when it has none. Does not count an occurrence. */
  row(id: string): number {
    return this.rowOf.get(id) ?? DEFAULT_ROW;
  }

  /** Counts `n` occurrences of `id` at time `ts` (any unit, used only for expiry); returns its row. */
  observe(id: string, ts: number, n = 1): number {
    const existing = this.rowOf.get(id);
    if (existing !== undefined) {
      if (ts > this.lastSeen[existing]!) this.lastSeen[existing] = ts;
      return existing;
    }
    const p = this.pending.get(id) ?? { n: 0, ts };
    p.n += n;
    p.ts = Math.max(p.ts, ts);
    if (p.n < this.options.minCount) {
      this.pending.set(id, p);
      return DEFAULT_ROW;
    }
    this.pending.delete(id);
    const row = this.allocate();
    this.ids[row] = id;
    this.rowOf.set(id, row);
    this.lastSeen[row] = p.ts;
    return row;
  }

  /** The backing array: row r is at [r * dim, (r + 1) * dim). Re-read after rows are added. */
  get data(): Float32Array {
    return this.values;
  }

  /** A view of one row (writes go into the table). */
  vector(row: number): Float32Array {
    return this.values.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Adds `scale * grad` to the gradient of `row` for the next `step()`. */
  accumulate(row: number, grad: ArrayLike<number>, scale = 1, gradOffset = 0): void {
    let off = this.gradOffset.get(row);
    if (off === undefined) {
      off = this.gradOffset.size * this.dim;
      this.gradOffset.set(row, off);
      if (this.gradBuf.length < off + this.dim) {
        const grown = new Float32Array(Math.max(this.dim * 64, this.gradBuf.length * 2));
        grown.set(this.gradBuf);
        this.gradBuf = grown;
      }
      this.gradBuf.fill(0, off, off + this.dim);
    }
    for (let d = 0; d < this.dim; d++) this.gradBuf[off + d]! += scale * grad[gradOffset + d]!;
  }

  /** Applies sparse Adagrad to the rows with accumulated gradients, then clears them. Returns rows touched. */
  step(learningRate = this.options.learningRate): number {
    const { dim } = this;
    for (const [row, off] of this.gradOffset) {
      const base = row * dim;
      for (let d = 0; d < dim; d++) {
        const g = this.gradBuf[off + d]!;
        const acc = (this.accum[base + d]! += g * g);
        this.values[base + d]! -= (learningRate * g) / (Math.sqrt(acc) + EPS);
      }
    }
    const touched = this.gradOffset.size;
    if (this.changed) for (const row of this.gradOffset.keys()) this.changed.add(row);
    this.gradOffset.clear();
    return touched;
  }

  /** Frees rows (and pending counts) last seen before `before`; returns the expired ids. */
  expire(before: number): string[] {
    const expired: string[] = [];
    for (const [id, row] of this.rowOf) {
      if (this.lastSeen[row]! >= before) continue;
      this.rowOf.delete(id);
      this.ids[row] = null;
      this.free.push(row);
      this.changed?.add(row);
      expired.push(id);
    }
    for (const [id, p] of this.pending) if (p.ts < before) this.pending.delete(id);
    return expired;
  }

  /** Starts recording the rows training writes, for `takeChanges()` (online training publishes them to serving copies). */
  trackChanges(): void {
    this.changed ??= new Set();
  }

  /** The rows written since the last call (see `trackChanges()`), with their owners and values. */
  takeChanges(): SparseTableChanges {
    const rows = Int32Array.from(this.changed ?? []);
    this.changed?.clear();
    const values = new Float32Array(rows.length * this.dim);
    rows.forEach((row, i) => values.set(this.vector(row), i * this.dim));
    return { rows, ids: Array.from(rows, (row) => this.ids[row] ?? null), values };
  }

  /**
   * Makes this table a copy of the one that produced `c` for those rows: same owners, same
   * values. Only for a copy that never allocates rows itself (a serving replica of a table
   * trained elsewhere), so row numbers mean the same on both sides.
   */
  applyChanges(c: SparseTableChanges): void {
    const { dim } = this;
    this.ensureCapacity(c.rows.reduce((max, row) => Math.max(max, row), 0) + 1);
    c.rows.forEach((row, i) => {
      while (this.ids.length <= row) this.ids.push(null);
      const owner = c.ids[i] ?? null;
      const previous = this.ids[row] ?? null;
      if (row !== DEFAULT_ROW && owner !== previous) {
        if (previous !== null && this.rowOf.get(previous) === row) this.rowOf.delete(previous);
        if (owner !== null) this.rowOf.set(owner, row);
        this.ids[row] = owner;
      }
      this.values.set(c.values.subarray(i * dim, (i + 1) * dim), row * dim);
    });
  }

  state(): SparseTableState {
    const used = this.ids.length;
    return {
      options: this.options,
      ids: [...this.ids],
      pending: [...this.pending].map(([id, p]) => [id, p.n, p.ts]),
      values: this.values.slice(0, used * this.dim),
      accum: this.accum.slice(0, used * this.dim),
      lastSeen: this.lastSeen.slice(0, used),
    };
  }

  static fromState(s: SparseTableState): SparseTable {
    const t = new SparseTable(s.options);
    const rows = s.ids.length;
    t.ensureCapacity(rows);
    t.values.set(s.values);
    t.accum.set(s.accum);
    t.lastSeen.set(s.lastSeen);
    t.ids = [...s.ids];
    t.ids.forEach((id, row) => {
      if (row === DEFAULT_ROW) return;
      if (id === null) t.free.push(row);
      else t.rowOf.set(id, row);
    });
    for (const [id, n, ts] of s.pending) t.pending.set(id, { n, ts });
    return t;
  }

  private allocate(): number {
    const reused = this.free.pop();
    const row = reused ?? this.ids.length;
    if (reused === undefined) {
      this.ids.push(null);
      this.ensureCapacity(this.ids.length);
    }
    this.initRow(row);
    this.changed?.add(row);
    return row;
  }

  private initRow(row: number): void {
    const base = row * this.dim;
    for (let d = 0; d < this.dim; d++) this.values[base + d] = this.rng.normal() * this.options.initStd;
    this.accum.fill(this.options.initialAccumulator ?? 0.1, base, base + this.dim);
  }

  private ensureCapacity(rows: number): void {
    if (rows * this.dim <= this.values.length) return;
    let cap = this.lastSeen.length;
    while (cap < rows) cap *= 2;
    const values = new Float32Array(cap * this.dim);
    values.set(this.values);
    const accum = new Float32Array(cap * this.dim).fill(this.options.initialAccumulator ?? 0.1);
    accum.set(this.accum);
    const lastSeen = new Float64Array(cap);
    lastSeen.set(this.lastSeen);
    this.values = values;
    this.accum = accum;
    this.lastSeen = lastSeen;
  }
}
