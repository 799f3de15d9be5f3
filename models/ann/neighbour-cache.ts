/** An item's nearest neighbours in the served index (catalog rows, best first), from a search for `k`. */
export interface Neighbours {
  k: number;
  rows: Int32Array;
  scores: Float32Array;
  at: number;
}

/**
 * Item-to-item neighbours of one served model version, least recently used evicted. The same
 * seed items recur across users (what many watch), so most i2i queries never reach FAISS.
 * Entries expire after `ttlMs`, so items added to the index since are found again.
 */
export class NeighbourCache {
  private readonly map = new Map<string, Neighbours>();

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {}

  /** The neighbours of `itemId` from a search for at least `k`, unless expired. */
  get(itemId: string, k: number, now: number): Neighbours | undefined {
    const hit = this.map.get(itemId);
    if (!hit || hit.k < k) return undefined;
    this.map.delete(itemId);
    if (now - hit.at > this.ttlMs) return undefined;
    this.map.set(itemId, hit);
    return hit;
  }

  set(itemId: string, value: Neighbours): void {
    if (this.capacity === 0) return;
    this.map.delete(itemId);
    this.map.set(itemId, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}
