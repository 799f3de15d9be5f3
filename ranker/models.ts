import { Counter, Gauge } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import { AnnIndex } from '../models/ann/faiss-index.ts';
import { ItemVectors, type ItemRows } from '../models/ann/item-vectors.ts';
import { NeighbourCache } from '../models/ann/neighbour-cache.ts';
import { annFactory, annSearchParams, i2iSearchParams } from '../models/ann/sizing.ts';
import type { PromotedModels } from '../models/serving.ts';
import type { MultitaskModel, RetrievalModel } from '../models/types.ts';

/** The models one request uses; replaced as a whole, so a request never mixes two versions. */
export interface ServingSnapshot {
  version: string;
  retrieval: RetrievalModel;
  multitask: MultitaskModel;
  ann: AnnIndex;
  /** Search parameters of the item-to-item source's queries ('' = the index's own). */
  i2iParams: string;
  /** Item-to-item neighbours already searched in this version's index. */
  neighbours: NeighbourCache;
  /** The vectors in `ann`, by item id (faiss-node cannot look them up): hydration reads them instead of running the item tower. */
  annIds: ItemVectors;
  loadedAt: number;
}

/**
 * How long a replaced version stays intact: requests in flight keep the snapshot they started
 * with, and a feed request is done within its timeout, far below this.
 */
export const RETIRE_AFTER_MS = 30_000;

/** A model holding memory outside the JS heap (tfjs variables) that must be freed explicitly. */
function disposable(model: object): model is { dispose(): void } {
  return typeof (model as { dispose?: unknown }).dispose === 'function';
}

const log = childLogger('models');
const swaps = new Counter({ name: 'feed_model_swaps_total', help: 'Promoted model versions loaded for serving', registers: [metrics] });
const swapFailures = new Counter({ name: 'feed_model_swap_failures_total', help: 'Model versions that failed to load', registers: [metrics] });
const annSize = new Gauge({ name: 'feed_ann_index_items', help: 'Item vectors in the serving ANN index', registers: [metrics] });

/**
 * Holds the serving snapshot. `swap` builds the new ANN index in a worker thread and only
 * then replaces the snapshot, so requests in flight finish on the old version.
 */
export class ModelHolder {
  current: ServingSnapshot | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    /** The serving catalog's items: ANN labels are linked to their rows at each swap. */
    private readonly items: ItemRows,
  ) {}

  /** Queues a swap; swaps apply in order. Resolves when this one is live (or failed, logged). */
  swap(models: PromotedModels): Promise<void> {
    this.pending = this.pending.then(() => this.doSwap(models));
    return this.pending;
  }

  private async doSwap(m: PromotedModels): Promise<void> {
    const started = Date.now();
    try {
      const factory = annFactory(this.config.ranker.ann, m.itemIds.length);
      // A stored index serves only if it was built the way this config asks for.
      if (m.ann && m.ann.description !== factory) log.info({ version: m.version, stored: m.ann.description, factory }, 'stored ANN index differs from the configured one; rebuilding');
      const ann =
        m.ann?.description === factory
          ? m.ann
          : m.itemIds.length > 0
            ? await AnnIndex.buildInWorker(m.retrieval.dim, m.itemIds, m.itemVectors, factory)
            : AnnIndex.build(m.retrieval.dim, [], new Float32Array(0), 'Flat');
      if (ann.size !== m.itemIds.length) throw new Error(`the ANN index holds ${ann.size} vectors for ${m.itemIds.length} items`);
      const params = annSearchParams(this.config.ranker.ann, ann.description);
      if (params) ann.setSearchParameters(params);
      const description = params ? `${ann.description} (${params})` : ann.description;
      const annIds = new ItemVectors(m.retrieval.dim, ann.ids, m.itemVectors, this.items);
      const i2iParams = params ? i2iSearchParams(this.config.ranker.ann, ann.description) : '';
      const { i2iCacheItems, i2iCacheTtlMs } = this.config.ranker.ann;
      const neighbours = new NeighbourCache(i2iCacheItems, i2iCacheTtlMs);
      const previous = this.current;
      this.current = { version: m.version, retrieval: m.retrieval, multitask: m.multitask, ann, annIds, i2iParams, neighbours, loadedAt: Date.now() };
      if (previous) this.retire(previous);
      swaps.inc();
      annSize.set(ann.size);
      log.info({ version: m.version, items: ann.size, index: description, ms: Date.now() - started }, 'serving model version');
    } catch (err) {
      swapFailures.inc();
      // Nothing serves the version that failed to load: free it now.
      this.dispose(m);
      log.error({ version: m.version, err: (err as Error).message }, 'could not load model version; keeping the previous one');
    }
  }

  /** Back to no model (a rollback to nothing promoted): the heuristic scorer serves. */
  clear(): Promise<void> {
    this.pending = this.pending.then(() => {
      if (this.current) {
        log.info({ version: this.current.version }, 'no promoted model any more; serving with the heuristic scorer');
        this.retire(this.current);
      }
      this.current = undefined;
      annSize.set(0);
    });
    return this.pending;
  }

  /**
   * Frees a replaced version once requests in flight are done with it: its tfjs variables (wasm
   * memory, never collected) are disposed; its FAISS index and vectors are unreachable from then
   * on and go with the next GC. Models the serving snapshot still uses are kept.
   */
  private retire(old: ServingSnapshot): void {
    const timer = setTimeout(() => {
      this.dispose(old);
      log.debug({ version: old.version }, 'replaced model version released');
    }, RETIRE_AFTER_MS);
    timer.unref();
  }

  private dispose(old: Pick<ServingSnapshot, 'retrieval' | 'multitask'>): void {
    const live = this.current;
    for (const model of new Set<object>([old.retrieval, old.multitask])) {
      if (model !== live?.retrieval && model !== live?.multitask && disposable(model)) model.dispose();
    }
  }

  /** Adds vectors for items the index does not hold yet (new items from the online trainer). */
  addItemVectors(ids: readonly string[], vectors: Float32Array): number {
    const snap = this.current;
    if (!snap) return 0;
    const dim = snap.ann.dim;
    const keep: number[] = [];
    ids.forEach((id, i) => !snap.annIds.has(id) && keep.push(i));
    if (keep.length === 0) return 0;
    const out = new Float32Array(keep.length * dim);
    keep.forEach((i, j) => out.set(vectors.subarray(i * dim, (i + 1) * dim), j * dim));
    const added = keep.map((i) => ids[i]!);
    snap.ann.add(added, out);
    snap.annIds.add(added, out);
    annSize.set(snap.ann.size);
    return keep.length;
  }
}
