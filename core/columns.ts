/** Small building blocks for column-oriented, in-memory tables. */

import { idHash } from './hash.ts';

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

/**
 * Per-row strings packed as UTF-8 in one growable buffer: a million titles are three heap
 * objects instead of a million, which the garbage collector would otherwise mark on every full
 * collection. A changed value is appended; its old bytes are not reclaimed (titles rarely change).
 */
export class TextColumn {
  private bytes = Buffer.alloc(0);
  private used = 0;
  private start = new Uint32Array(0);
  private length = new Uint32Array(0);

  get(row: number): string {
    const len = this.length[row] ?? 0;
    if (len === 0) return '';
    const at = this.start[row]!;
    return this.bytes.toString('utf8', at, at + len);
  }

  set(row: number, value: string): void {
    this.start = ensureCapacity(this.start, row + 1);
    this.length = ensureCapacity(this.length, row + 1);
    if (value === '') {
      this.length[row] = 0;
      return;
    }
    const need = Buffer.byteLength(value, 'utf8');
    if (need === this.length[row] && this.get(row) === value) return;
    if (this.used + need > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.used + need, this.bytes.length * 2, 4096));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    this.bytes.write(value, this.used, 'utf8');
    this.start[row] = this.used;
    this.length[row] = need;
    this.used += need;
  }
}

/**
 * Ids with a dense row index each; rows are appended, never removed (unavailable rows are
 * flagged). The id → row lookup is an open-addressing hash table in typed arrays rather than a
 * Map: at a million ids a Map's table is ~28 MB of pointers that every full garbage collection
 * walks, while typed-array contents are not scanned.
 */
export class IdIndex {
  readonly ids: string[] = [];
  private hashes = new Uint32Array(0);
  /** row + 1 per slot (0: empty); at most half full. */
  private slots = new Int32Array(16);

  get size(): number {
    return this.ids.length;
  }

  /** Row of `id`, appending a new row when it is unknown; `created` says which. */
  upsert(id: string): { row: number; created: boolean } {
    const h = idHash(id);
    const existing = this.find(id, h);
    if (existing >= 0) return { row: existing, created: false };
    const row = this.ids.length;
    this.ids.push(id);
    this.hashes = ensureCapacity(this.hashes, row + 1);
    this.hashes[row] = h;
    if (2 * (row + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(row, h);
    return { row, created: true };
  }

  row(id: string): number {
    return this.find(id, idHash(id));
  }

  id(row: number): string {
    return this.ids[row] ?? '';
  }

  private find(id: string, h: number): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === 0) return -1;
      if (this.hashes[s - 1] === h && this.ids[s - 1] === id) return s - 1;
    }
  }

  private place(row: number, h: number): void {
    const mask = this.slots.length - 1;
    let i = h & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = row + 1;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let row = 0; row < this.ids.length; row++) this.place(row, this.hashes[row]!);
  }
}
