import { hash32 } from '../core/hash.ts';

/** A fixed-size bloom filter of item ids; false positives only ever hide an unseen item. */
export class BloomFilter {
  readonly bits: Uint8Array;
  /** No bit set: a first page's filter answers without hashing (sources check hundreds of ids). */
  private empty: boolean;

  constructor(
    readonly size: number,
    readonly hashes: number,
    bits?: Uint8Array,
  ) {
    this.bits = bits ?? new Uint8Array(Math.ceil(size / 8));
    if (this.bits.length !== Math.ceil(size / 8)) throw new Error(`bloom filter of ${size} bits needs ${Math.ceil(size / 8)} bytes`);
    this.empty = this.bits.every((b) => b === 0);
  }

  add(id: string): void {
    this.empty = false;
    const h1 = hash32(id);
    const h2 = hash32(id, 0x9747b28c) | 1;
    for (let i = 0; i < this.hashes; i++) {
      const p = this.position(h1, h2, i);
      this.bits[p >> 3]! |= 1 << (p & 7);
    }
  }

  has(id: string): boolean {
    if (this.empty) return false;
    const h1 = hash32(id);
    const h2 = hash32(id, 0x9747b28c) | 1;
    for (let i = 0; i < this.hashes; i++) {
      const p = this.position(h1, h2, i);
      if ((this.bits[p >> 3]! & (1 << (p & 7))) === 0) return false;
    }
    return true;
  }

  /** The i-th bit of an id (double hashing); plain loops, no generator: this runs for every candidate. */
  private position(h1: number, h2: number, i: number): number {
    return ((h1 + Math.imul(i, h2)) >>> 0) % this.size;
  }
}

/** What one scrolling session carries from page to page (inside the signed cursor). */
export interface SessionState {
  sessionId: string;
  /** Pages served so far in this session. */
  page: number;
  served: BloomFilter;
  /** Hashes of the creators of the last few entries, newest last (creator spacing across pages). */
  recentCreators: number[];
  /** Entries since the last shoppable slot (slot spacing across pages). */
  sinceShoppable: number;
}

export function newSession(sessionId: string, bloomBits: number, bloomHashes: number): SessionState {
  return { sessionId, page: 0, served: new BloomFilter(bloomBits, bloomHashes), recentCreators: [], sinceShoppable: 0 };
}
