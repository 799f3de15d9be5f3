import { LRUCache } from 'lru-cache';

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
  /** Undefined when `capacity` is 0 (caching off): lru-cache needs a positive bound. */
  private readonly cache: LRUCache<string, Neighbours> | undefined;

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {
    this.cache = capacity > 0 ? new LRUCache({ max: capacity }) : undefined;
  }

  /** The neighbours of `itemId` from a search for at least `k`, unless expired. */
  get(itemId: string, k: number, now: number): Neighbours | undefined {
    const hit = this.cache?.peek(itemId);
    if (!hit || hit.k < k) return undefined;
    if (now - hit.at > this.ttlMs) {
      this.cache!.delete(itemId);
      return undefined;
    }
    return this.cache!.get(itemId);
  }

  set(itemId: string, value: Neighbours): void {
    this.cache?.set(itemId, value);
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }
}
