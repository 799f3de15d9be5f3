import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import type { EngagementEvent } from '../ingest/events.ts';
import { onlineLoss, onlineNewItems, onlineSteps } from './metrics.ts';
import type { HistoryEntry, ItemFeatures, TwoTower } from './retrieval/two-tower.ts';
import { engagementWeight } from './retrieval/weights.ts';

export type ItemVectorsListener = (ids: string[], vectors: Float32Array) => void;

export interface OnlineTrainerOptions {
  /** Positives per incremental step (in-batch negatives come from the same batch). */
  batchSize?: number;
  /** Catalog features of an item the model has not seen (category, creator, product). */
  itemFeatures?: (itemId: string) => ItemFeatures | undefined;
  /** Items the serving index already holds (read live); only others are announced through onItemVectors. */
  indexed?: { has(itemId: string): boolean };
  /** Partial batches are trained at least this often by `start()`'s timer. */
  flushMs?: number;
}

interface Positive {
  locale: string;
  history: HistoryEntry[];
  item: string;
  weight: number;
  ts: number;
}

const EXPIRE_EVERY_MS = 3600_000;

/**
 * Incremental two-tower training from the event stream (Monolith-style online training): the
 * online training thread (models/online-training-worker.ts) calls `apply(events)` with accepted
 * events; positives are queued and trained in small in-batch-softmax steps on the model's
 * sparse rows and dense towers. Items that
 * reach their own embedding row and are not in the serving index yet are announced with their
 * vectors, so the ANN index can add them without a restart.
 */
export class OnlineTrainer {
  private readonly queue: Positive[] = [];
  private readonly recent = new Map<string, HistoryEntry[]>();
  /** Items announced through onItemVectors by this trainer. */
  private readonly announced = new Set<string>();
  private readonly listeners = new Set<ItemVectorsListener>();
  private readonly log = childLogger('online-trainer');
  private timer: NodeJS.Timeout | undefined;
  private lastExpiry = 0;
  steps = 0;
  lastLoss = NaN;

  constructor(
    readonly model: TwoTower,
    private readonly config: Config,
    private readonly opts: OnlineTrainerOptions = {},
  ) {}

  onItemVectors(cb: ItemVectorsListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Folds accepted events in; trains whenever a full batch of positives is queued. */
  apply(events: readonly EngagementEvent[]): void {
    const limit = this.model.config.historyLength;
    for (const e of events) {
      if (!e.item_id) continue;
      const weight = engagementWeight(e.kind, e.watch_ms, e.duration_ms);
      if (weight <= 0) continue;
      if (!this.model.items.has(e.item_id)) {
        const f = this.opts.itemFeatures?.(e.item_id);
        if (f) this.model.setItems([f]);
      }
      const history = this.recent.get(e.user_id) ?? [];
      this.queue.push({ locale: e.locale ?? '', history: [...history], item: e.item_id, weight, ts: e.ts });
      history.unshift({ item_id: e.item_id, weight });
      if (history.length > limit) history.length = limit;
      this.recent.set(e.user_id, history);
    }
    while (this.queue.length >= (this.opts.batchSize ?? 64)) this.trainBatch(this.queue.splice(0, this.opts.batchSize ?? 64));
  }

  /** Trains whatever is queued (at least two positives, for an in-batch negative). */
  flush(): void {
    if (this.queue.length >= 2) this.trainBatch(this.queue.splice(0));
  }

  /** Flushes partial batches on a timer (default every 10 s) so new items appear within a minute. */
  start(): this {
    this.timer ??= setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        this.log.error({ err }, 'online training step failed');
      }
    }, this.opts.flushMs ?? 10_000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private trainBatch(batch: Positive[]): void {
    const now = Math.max(...batch.map((p) => p.ts));
    const users = batch.map((p) => ({ locale: p.locale, segment: '', history: p.history }));
    const items = batch.map((p) => p.item);
    this.model.observe(users, items, now);
    this.lastLoss = this.model.trainStep({ users, items, weights: Float32Array.from(batch.map((p) => p.weight)) });
    this.steps++;
    onlineSteps.inc();
    onlineLoss.set(this.lastLoss);
    const fresh = [...new Set(items)].filter((id) => !this.announced.has(id) && !this.opts.indexed?.has(id) && this.model.tables.item.has(id));
    if (fresh.length) {
      const vectors = this.model.itemVectors(fresh);
      for (const id of fresh) this.announced.add(id);
      onlineNewItems.inc(fresh.length);
      for (const cb of this.listeners) cb(fresh, vectors);
    }
    if (now - this.lastExpiry > EXPIRE_EVERY_MS) {
      this.lastExpiry = now;
      const expired = this.model.expire(now - this.config.models.retrieval.expireAfterDays * 86_400_000);
      if (Object.keys(expired).length) this.log.info({ expired }, 'expired embedding rows');
    }
  }
}
