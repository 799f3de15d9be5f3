import { Counter } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { metrics } from '../core/metrics.ts';
import { childLogger } from '../core/logger.ts';
import { eventKey, type EngagementEvent } from '../ingest/events.ts';
import { applyFromStream, type OnlineState } from '../ingest/online-state.ts';
import { RecentIds } from '../ingest/recent-ids.ts';
import { onlineDropped, onlineLoss, onlineNewItems, onlineSteps } from '../models/metrics.ts';
import { OnlineTrainingThread } from '../models/online-training-thread.ts';
import type { ItemFeatures, TwoTower } from '../models/retrieval/two-tower.ts';
import { engagementWeight } from '../models/retrieval/weights.ts';
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
  trending: OnlineState['trending'] = (l) => this.inner.trending(l);
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
 * Online training of the serving retrieval model, off the serving loop: accepted events go to a
 * training thread (models/online-training-thread.ts) that trains its own copy of the version and
 * publishes changed weights and rows, which this side copies into the served model (a cheap
 * apply, never a training step); new item vectors from it go into the live ANN index. Each
 * serving process (replica, cluster worker) runs its own thread on the events it applies, as it
 * keeps its own online state. Re-attached on every model swap.
 */
export class OnlineLearning {
  private thread: OnlineTrainingThread | undefined;
  private model: TwoTower | undefined;
  private readonly log = childLogger('online-learning');
  private reported = { steps: 0, dropped: 0 };

  constructor(
    private readonly config: Config,
    private readonly catalog: ServingCatalog,
    private readonly holder: ModelHolder,
    /** Train from the events `push` hands in (off: the served model only indexes new catalog items). */
    private readonly train: boolean,
  ) {}

  /** Takes over the newly served model (when it carries a two-tower) and starts training it in a new thread. */
  attach(models: PromotedModels): void {
    void this.detach();
    if (!models.twoTower) return;
    const model = models.twoTower;
    this.model = model;
    this.reported = { steps: 0, dropped: 0 };
    if (this.train)
      this.thread = new OnlineTrainingThread(this.config, models.version, (update) => {
        if (this.model !== model) return;
        if (update.model) model.applyUpdate(update.model);
        if (update.newItems) {
          const added = this.holder.addItemVectors(update.newItems.ids, update.newItems.vectors);
          onlineNewItems.inc(added);
          if (added > 0) this.log.debug({ added }, 'new item vectors in the ANN index');
        }
        this.report();
      });
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
    const model = this.model;
    if (!model || rows.length === 0) return;
    const features = rows.flatMap((row) => catalogItemFeatures(this.catalog, this.catalog.items.id(row)) ?? []);
    model.setItems(features);
    this.thread?.send({ type: 'indexed', items: features });
    const ids = features.map((f) => f.item_id);
    const added = this.holder.addItemVectors(ids, model.itemVectors(ids));
    if (added > 0) this.log.info({ added }, 'new catalog items in the ANN index');
  }

  async detach(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.model = undefined;
    await thread?.stop();
  }

  /** Hands the training thread the events that can train (an item and a positive weight), with features of items new to the model. */
  push(events: readonly EngagementEvent[]): void {
    const model = this.model;
    if (!this.thread || !model) return;
    const positives = events.filter((e) => e.item_id && engagementWeight(e.kind, e.watch_ms, e.duration_ms) > 0);
    if (positives.length === 0) return;
    const items: ItemFeatures[] = [];
    for (const e of positives) {
      if (model.items.has(e.item_id!)) continue;
      const f = catalogItemFeatures(this.catalog, e.item_id!);
      if (f) items.push(f);
    }
    // The same features on both copies keep their item inputs equal.
    model.setItems(items);
    this.thread.send({ type: 'events', events: positives, items });
  }

  /** True once the training thread has loaded its version; false if it ends first or none runs. */
  trainingReady(): Promise<boolean> {
    return this.thread?.whenReady() ?? Promise.resolve(false);
  }

  /** The training thread, for health and tests. */
  get training(): OnlineTrainingThread | undefined {
    return this.thread;
  }

  stats(): { version: string | null; steps: number; last_loss: number | null; waiting_events: number; dropped_events: number; backend: string | null; running: boolean; restarts: number } {
    const thread = this.thread;
    const s = thread?.stats();
    return {
      version: thread?.version ?? null,
      steps: s?.steps ?? 0,
      last_loss: s && Number.isFinite(s.lastLoss) ? s.lastLoss : null,
      waiting_events: s?.waiting ?? 0,
      dropped_events: s?.dropped ?? 0,
      backend: thread?.backend?.name ?? null,
      running: thread?.running ?? false,
      restarts: thread?.restarts ?? 0,
    };
  }

  /** Moves this process's metrics by what the thread reported since the last time. */
  private report(): void {
    const s = this.thread?.stats();
    if (!s) return;
    onlineSteps.inc(Math.max(0, s.steps - this.reported.steps));
    onlineDropped.inc(Math.max(0, s.dropped - this.reported.dropped));
    if (Number.isFinite(s.lastLoss)) onlineLoss.set(s.lastLoss);
    this.reported = { steps: s.steps, dropped: s.dropped };
  }
}
