import { Rng } from '../core/rng.ts';

/**
 * A uniform sample of at most `capacity` items from a stream of unknown length (Vitter's
 * algorithm R), seeded so a training run is repeatable. Until the stream exceeds the capacity
 * it holds every item, in arrival order.
 */
export class Reservoir<T> {
  readonly items: T[] = [];
  /** Items offered so far. */
  seen = 0;
  private readonly rng: Rng;

  constructor(
    readonly capacity: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  offer(item: T): void {
    const i = this.seen++;
    if (i < this.capacity) this.items.push(item);
    else {
      const j = this.rng.int(i + 1);
      if (j < this.capacity) this.items[j] = item;
    }
  }
}
