/** A bounded set of recent ids: adding beyond the capacity forgets the oldest. O(1) per call. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; returns false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
