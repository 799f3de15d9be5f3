/** A bounded set of recent ids: adding beyond the capacity forgets the oldest. O(1) per call. */
export class RecentIds {
  private readonly ids = new Set<string>();
  /** Insertion order, as a ring: the oldest id is at `next` once the ring is full. */
  private readonly order: string[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; returns false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.order.length < this.capacity) {
      this.order.push(id);
    } else {
      // Not `ids.values().next()`: V8 leaves deleted Set entries as holes that iteration from
      // the start must skip, which made every eviction O(window) once the window was full.
      this.ids.delete(this.order[this.next]!);
      this.order[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
