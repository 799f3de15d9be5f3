/**
 * Who got this replica's last `windowSlots` reserved slots of one kind (exploration, promotion).
 * An item already holding `maxItemShare` of them waits for the next slots, so one strong fresh
 * item cannot take every first audience (one took 32 of 60 before); each replica enforces it on
 * its own traffic.
 */
export class SlotLedger {
  private readonly ring: Int32Array;
  private next = 0;
  private filled = 0;
  private readonly counts = new Map<number, number>();
  private readonly cap: number;
  /** Per slot of the ring: 1 when it went to a video promoted past its first audience. */
  private readonly promotedRing: Uint8Array;
  private promotedSlots = 0;

  constructor(windowSlots: number, maxItemShare: number) {
    this.ring = new Int32Array(windowSlots);
    this.promotedRing = new Uint8Array(windowSlots);
    this.cap = Math.max(1, Math.floor(windowSlots * maxItemShare));
  }

  /** Share of the window's slots that went to promoted videos (0 while empty). */
  promotedShare(): number {
    return this.filled === 0 ? 0 : this.promotedSlots / this.filled;
  }

  /** Whether catalog row `row` may take another slot now. */
  allows(row: number): boolean {
    return (this.counts.get(row) ?? 0) < this.cap;
  }

  /** Records who took a slot (-1: a slot no item could take), and whether it was a promoted video. */
  record(row: number, promoted = false): void {
    if (this.filled === this.ring.length) {
      const old = this.ring[this.next]!;
      const left = this.counts.get(old)! - 1;
      if (left === 0) this.counts.delete(old);
      else this.counts.set(old, left);
      this.promotedSlots -= this.promotedRing[this.next]!;
    } else this.filled++;
    this.ring[this.next] = row;
    this.promotedRing[this.next] = promoted ? 1 : 0;
    this.promotedSlots += promoted ? 1 : 0;
    this.next = (this.next + 1) % this.ring.length;
    this.counts.set(row, (this.counts.get(row) ?? 0) + 1);
  }
}
