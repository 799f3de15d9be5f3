/** (keyA, idA) ranks below (keyB, idB): a smaller key, or the same key and a larger id. */
const below = (keyA: number, idA: number, keyB: number, idB: number): boolean => keyA < keyB || (keyA === keyB && idA > idB);

/**
 * Keeps the `k` (id, key) pairs with the largest keys seen, in a binary min-heap over typed
 * arrays (no object per entry). Equal keys rank the smaller id first, so what is kept does not
 * depend on the order of the offers.
 */
export class TopK {
  private readonly keys: Float64Array;
  private readonly ids: Int32Array;
  private n = 0;

  constructor(readonly k: number) {
    this.keys = new Float64Array(k);
    this.ids = new Int32Array(k);
  }

  /**
   * Once `k` pairs are kept, the lowest kept key (-Infinity before, Infinity when k is 0).
   * Offering ids in increasing order, a key not above it cannot be kept (ties rank the smaller
   * id first): a scan can skip the call.
   */
  get floor(): number {
    if (this.k === 0) return Infinity;
    return this.n < this.k ? -Infinity : this.keys[0]!;
  }

  offer(id: number, key: number): void {
    const { keys, ids } = this;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!below(key, id, keys[parent]!, ids[parent]!)) break;
        keys[i] = keys[parent]!;
        ids[i] = ids[parent]!;
        i = parent;
      }
      keys[i] = key;
      ids[i] = id;
      return;
    }
    // The root is the lowest pair kept: what does not rank above it is not kept.
    if (this.k === 0 || !below(keys[0]!, ids[0]!, key, id)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const child = r < this.n && below(keys[r]!, ids[r]!, keys[l]!, ids[l]!) ? r : l;
      if (!below(keys[child]!, ids[child]!, key, id)) break;
      keys[i] = keys[child]!;
      ids[i] = ids[child]!;
      i = child;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** The kept pairs, best first. */
  sorted(): { ids: Int32Array; keys: Float64Array } {
    const { keys, ids } = this;
    const order = Array.from({ length: this.n }, (_, i) => i).sort((a, b) => keys[b]! - keys[a]! || ids[a]! - ids[b]!);
    return { ids: Int32Array.from(order, (i) => ids[i]!), keys: Float64Array.from(order, (i) => keys[i]!) };
  }
}
