export interface TurnQueueOptions<T> {
  /** Items handed to `work` per event-loop turn. */
  perTurn: number;
  /** Items waiting beyond this are dropped, oldest first, and reported to `onDrop`. */
  maxWaiting: number;
  work: (items: T[]) => void;
  onError: (err: Error) => void;
  onDrop?: (dropped: number) => void;
}

/**
 * Background work on the event loop in slices: `push` queues items, and each turn (setImmediate)
 * hands the next `perTurn` of them to `work`, so I/O and requests run between slices.
 */
export class TurnQueue<T> {
  private items: T[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly opts: TurnQueueOptions<T>) {}

  /** Items queued and not handed to `work` yet. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  push(items: readonly T[]): void {
    for (const item of items) this.items.push(item);
    const excess = this.waiting - this.opts.maxWaiting;
    if (excess > 0) {
      this.head += excess;
      this.opts.onDrop?.(excess);
    }
    this.schedule();
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runSlice();
      this.schedule();
    });
  }

  private runSlice(): void {
    const slice = this.items.slice(this.head, this.head + this.opts.perTurn);
    this.head += slice.length;
    // Drop the consumed prefix once it is most of the array (amortised O(1) per item).
    if (this.head === this.items.length) this.clear();
    else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    try {
      this.opts.work(slice);
    } catch (err) {
      this.opts.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
