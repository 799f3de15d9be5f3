interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets by id: `perMinute` sustained, up to `burst` at once. Holds at most `maxIds`
 * buckets (a client choosing ids must not grow memory without bound); beyond that the oldest
 * is forgotten, which only ever gives an id a fresh allowance.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perMinute: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxIds = 100_000,
  ) {}

  private refill(id: string): Bucket {
    const t = this.now();
    let b = this.buckets.get(id);
    if (!b) {
      if (this.buckets.size >= this.maxIds) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, updated: t };
      this.buckets.set(id, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.updated) * this.perMinute) / 60_000);
    b.updated = t;
    return b;
  }

  /** Whole seconds until `id` has a token again; 0 when it has one now. */
  wait(id: string): number {
    const b = this.refill(id);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
  }

  /** Takes a token when there is one; returns what `wait` returned before. */
  take(id: string): number {
    const wait = this.wait(id);
    if (wait === 0) this.buckets.get(id)!.tokens -= 1;
    return wait;
  }
}
