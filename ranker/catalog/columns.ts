/** Small building blocks for column-oriented, in-memory tables. */

export type TypedArray = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float32Array | Float64Array;

/** Returns `arr` when it already holds `n` values, else a copy with doubled capacity. */
export function ensureCapacity<T extends TypedArray>(arr: T, n: number): T {
  if (arr.length >= n) return arr;
  const Ctor = arr.constructor as new (len: number) => T;
  const next = new Ctor(Math.max(n, arr.length * 2, 16));
  next.set(arr as never);
  return next;
}

/** Interns repeated strings (categories, locales, currencies) as small integer codes. */
export class Dictionary {
  readonly values: string[] = [];
  private readonly codes = new Map<string, number>();

  code(value: string): number {
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(value);
      this.codes.set(value, c);
    }
    return c;
  }

  /** The code of a value already interned, or -1. */
  find(value: string): number {
    return this.codes.get(value) ?? -1;
  }

  value(code: number): string {
    return this.values[code] ?? '';
  }
}

/** Ids with a dense row index each; rows are appended, never removed (unavailable rows are flagged). */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly rows = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  /** Row of `id`, appending a new row when it is unknown; `created` says which. */
  upsert(id: string): { row: number; created: boolean } {
    const existing = this.rows.get(id);
    if (existing !== undefined) return { row: existing, created: false };
    const row = this.ids.length;
    this.ids.push(id);
    this.rows.set(id, row);
    return { row, created: true };
  }

  row(id: string): number {
    return this.rows.get(id) ?? -1;
  }

  id(row: number): string {
    return this.ids[row] ?? '';
  }
}

/** 32-bit FNV-1a; stable across processes (used for cursor state and per-request shuffles). */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Keeps the `k` rows with the largest keys seen (a binary min-heap over typed arrays). */
export class TopK {
  private readonly keys: Float64Array;
  private readonly rows: Int32Array;
  private n = 0;

  constructor(readonly k: number) {
    this.keys = new Float64Array(k);
    this.rows = new Int32Array(k);
  }

  offer(row: number, key: number): void {
    if (this.k === 0) return;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.keys[parent]! <= key) break;
        this.keys[i] = this.keys[parent]!;
        this.rows[i] = this.rows[parent]!;
        i = parent;
      }
      this.keys[i] = key;
      this.rows[i] = row;
      return;
    }
    if (key <= this.keys[0]!) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const child = r < this.n && this.keys[r]! < this.keys[l]! ? r : l;
      if (this.keys[child]! >= key) break;
      this.keys[i] = this.keys[child]!;
      this.rows[i] = this.rows[child]!;
      i = child;
    }
    this.keys[i] = key;
    this.rows[i] = row;
  }

  /** Rows by key, largest first. */
  sorted(): Int32Array {
    const order = Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.keys[b]! - this.keys[a]!);
    return Int32Array.from(order, (i) => this.rows[i]!);
  }
}
