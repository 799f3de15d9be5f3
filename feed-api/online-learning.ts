import { Counter } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { metrics } from '../core/metrics.ts';
import { childLogger } from '../core/logger.ts';
import { TurnQueue } from '../core/turn-queue.ts';
import { eventKey, type EngagementEvent } from '../ingest/events.ts';
import { applyFromStream, type OnlineState } from '../ingest/online-state.ts';
import { RecentIds } from '../ingest/recent-ids.ts';
import { onlineDropped } from '../models/metrics.ts';
import { OnlineTrainer } from '../models/online-trainer.ts';
import type { ItemFeatures } from '../models/retrieval/two-tower.ts';
import type { ServingCatalog } from '../ranker/catalog/serving-catalog.ts';
import type { PromotedModels } from '../models/serving.ts';
import type { ModelHolder } from '../ranker/models.ts';

type Listener = (events: readonly EngagementEvent[]) => void;

const unknownItemEvents = new Counter({
  name: 'feed_events_unknown_item_total',
  help: 'Applied events naming an item the serving catalog does not hold: stored in ClickHouse, but no ANN vector, training or online counters',
  registers: [metrics],
});

/**
 * An OnlineState that also hands every newly applied event, once (the HTTP path and the
 * stream follower both apply the same events), to listeners such as the online trainer and
 * the traffic pool. Events naming an item outside the catalog (`knownItem`) are counted and
 * kept from the listeners: made-up ids must not grow the ANN index.
 */
export class TeeOnlineState implements OnlineState {
  private readonly seen: RecentIds;
  private readonly listeners = new Set<Listener>();
  /** Only when the inner state loads per request: an in-process one costs the feed nothing here. */
  readonly prefetch: OnlineState['prefetch'];

  constructor(
    private readonly inner: OnlineState,
    private readonly knownItem: (itemId: string) => boolean = () => true,
    dedupWindow = 200_000,
  ) {
    this.seen = new RecentIds(dedupWindow);
    this.prefetch = inner.prefetch?.bind(inner);
  }

  onApply(cb: Listener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  apply(events: readonly EngagementEvent[]): void {
    this.inner.apply(events);
    this.notify(events);
  }

  applyFromStream(events: readonly EngagementEvent[]): void {
    applyFromStream(this.inner, events);
    this.notify(events);
  }

  private notify(events: readonly EngagementEvent[]): void {
    if (this.listeners.size === 0) return;
    const fresh = events.filter((e) => this.seen.add(eventKey(e)));
    const known = fresh.filter((e) => !e.item_id || this.knownItem(e.item_id));
    if (known.length < fresh.length) unknownItemEvents.inc(fresh.length - known.length);
    if (known.length > 0) for (const cb of this.listeners) cb(known);
  }

  forgetUser: OnlineState['forgetUser'] = (u) => this.inner.forgetUser(u);
  recent: OnlineState['recent'] = (u, l) => this.inner.recent(u, l);
  seenItems: OnlineState['seenItems'] = (u) => this.inner.seenItems(u);
  hiddenItems: OnlineState['hiddenItems'] = (u) => this.inner.hiddenItems(u);
  hiddenCreators: OnlineState['hiddenCreators'] = (u) => this.inner.hiddenCreators(u);
  followedCreators: OnlineState['followedCreators'] = (u) => this.inner.followedCreators(u);
  itemCounters: OnlineState['itemCounters'] = (i, into) => this.inner.itemCounters(i, into);
  trending: OnlineState['trending'] = (l, w) => this.inner.trending(l, w);
  positiveItems: OnlineState['positiveItems'] = (u, l) => this.inner.positiveItems(u, l);
}

/** What the item tower needs about an item the model has not seen yet, from the serving catalog. */
export function catalogItemFeatures(catalog: ServingCatalog, itemId: string): ItemFeatures | undefined {
  const i = catalog.items.row(itemId);
  if (i < 0) return undefined;
  const product = catalog.itemProduct[i]!;
  const buyable = catalog.isProductBuyable(product);
  return {
    item_id: itemId,
    category: catalog.categories.value(catalog.itemCategory[i]!),
    creator_id: catalog.creators.id(catalog.itemCreator[i]!),
    has_product: buyable,
    price: buyable ? catalog.productPrice[product]! : 0,
  };
}

/**
 * Online training of the serving retrieval model (models/online-trainer.ts): accepted events
 * are queued and trained off the request path, a slice per event-loop turn (core/turn-queue.ts),
 * so a burst of events (a replayed topic, a bulk import) never holds the loop for more than a
 * step or two; new item vectors go straight into the live ANN index. Re-attached on every model swap.
 */
export class OnlineLearning {
  private trainer: OnlineTrainer | undefined;
  private version: string | undefined;
  private stopVectors: (() => void) | undefined;
  private readonly log = childLogger('online-learning');
  private lastDropLog = 0;
  private droppedSinceLog = 0;
  private readonly queue = new TurnQueue<EngagementEvent>({
    // At most a batch or two of training steps per turn before requests run again.
    perTurn: 64,
    // A burst beyond this drops the oldest waiting events rather than grow memory and delay without bound.
    maxWaiting: 100_000,
    work: (events) => this.trainer?.apply(events),
    onError: (err) => this.log.error({ err: err.message }, 'online training step failed; continuing'),
    onDrop: (n) => {
      onlineDropped.inc(n);
      this.droppedSinceLog += n;
      if (Date.now() - this.lastDropLog < 10_000) return;
      this.log.warn({ dropped: this.droppedSinceLog }, 'online training is behind; dropped the oldest waiting events');
      this.lastDropLog = Date.now();
      this.droppedSinceLog = 0;
    },
  });

  constructor(
    private readonly config: Config,
    private readonly catalog: ServingCatalog,
    private readonly holder: ModelHolder,
  ) {}

  /** Starts training the newly served model (when it carries a trainable two-tower). */
  attach(models: PromotedModels): void {
    this.detach();
    if (!models.twoTower) return;
    const trainer = new OnlineTrainer(models.twoTower, this.config, {
      indexed: this.holder.current?.annIds,
      itemFeatures: (id) => catalogItemFeatures(this.catalog, id),
    }).start();
    this.stopVectors = trainer.onItemVectors((ids, vectors) => {
      const added = this.holder.addItemVectors(ids, vectors);
      if (added > 0) this.log.debug({ added }, 'new item vectors in the ANN index');
    });
    this.trainer = trainer;
    this.version = models.version;
    // Items published after this version was trained.
    const indexed = this.holder.current?.annIds;
    const missing: number[] = [];
    for (let row = 0; row < this.catalog.items.size; row++) if (!indexed?.has(this.catalog.items.id(row))) missing.push(row);
    this.indexNewItems(missing);
  }

  /**
   * Gives new catalog items a vector at once, from the item tower on their content features
   * (category, creator, product, price): they have no id row yet, which online training adds
   * as engagement arrives. The ANN index can then retrieve them from their first request.
   */
  indexNewItems(rows: readonly number[]): void {
    const model = this.trainer?.model;
    if (!model || rows.length === 0) return;
    const features = rows.flatMap((row) => catalogItemFeatures(this.catalog, this.catalog.items.id(row)) ?? []);
    model.setItems(features);
    const ids = features.map((f) => f.item_id);
    const added = this.holder.addItemVectors(ids, model.itemVectors(ids));
    if (added > 0) this.log.info({ added }, 'new catalog items in the ANN index');
  }

  detach(): void {
    this.stopVectors?.();
    this.trainer?.stop();
    this.trainer = undefined;
    this.version = undefined;
    this.queue.clear();
  }

  push(events: readonly EngagementEvent[]): void {
    if (this.trainer) this.queue.push(events);
  }

  stats(): { version: string | null; steps: number; last_loss: number | null; waiting_events: number } {
    const loss = this.trainer?.lastLoss;
    return {
      version: this.version ?? null,
      steps: this.trainer?.steps ?? 0,
      last_loss: loss !== undefined && Number.isFinite(loss) ? loss : null,
      waiting_events: this.queue.waiting,
    };
  }
}
