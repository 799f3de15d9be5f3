import { Counter, Gauge } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import type { TwoTower } from '../models/retrieval/two-tower.ts';
import type { RankerModel, RetrievalModel } from '../models/types.ts';
import { AnnIndex } from './ann/faiss-index.ts';

/** What a promoted model version brings to serving (models/serving.ts `ServingModels` has this shape). */
export interface PromotedModels {
  version: string;
  retrieval: RetrievalModel;
  itemIds: string[];
  itemVectors: Float32Array;
  ranker: RankerModel;
  /** The trainable retrieval model, when the online trainer can keep training it. */
  twoTower?: TwoTower;
}

/** The models one request uses; replaced as a whole, so a request never mixes two versions. */
export interface ServingSnapshot {
  version: string;
  retrieval: RetrievalModel;
  ranker: RankerModel;
  ann: AnnIndex;
  /** Ids already in `ann` (faiss-node cannot look them up). */
  annIds: Set<string>;
  loadedAt: number;
}

const log = childLogger('models');
const swaps = new Counter({ name: 'feed_model_swaps_total', help: 'Promoted model versions loaded for serving', registers: [metrics] });
const swapFailures = new Counter({ name: 'feed_model_swap_failures_total', help: 'Model versions that failed to load', registers: [metrics] });
const annSize = new Gauge({ name: 'feed_ann_index_items', help: 'Item vectors in the serving ANN index', registers: [metrics] });

export function annFactory(config: Config, rows: number): string {
  const f = config.ranker.ann.factory;
  if (f !== 'auto') return f;
  // faiss-node cannot set nprobe/efSearch, so IVF would search one list; HNSW keeps recall high.
  return rows <= 200_000 ? 'Flat' : 'HNSW32';
}

/**
 * Holds the serving snapshot. `swap` builds the new ANN index in a worker thread and only
 * then replaces the snapshot, so requests in flight finish on the old version.
 */
export class ModelHolder {
  current: ServingSnapshot | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly config: Config) {}

  /** Queues a swap; swaps apply in order. Resolves when this one is live (or failed, logged). */
  swap(models: PromotedModels): Promise<void> {
    this.pending = this.pending.then(() => this.doSwap(models));
    return this.pending;
  }

  private async doSwap(m: PromotedModels): Promise<void> {
    const started = Date.now();
    try {
      const description = annFactory(this.config, m.itemIds.length);
      const ann =
        m.itemIds.length > 0
          ? await AnnIndex.buildInWorker(m.retrieval.dim, m.itemIds, m.itemVectors, description)
          : AnnIndex.build(m.retrieval.dim, [], new Float32Array(0), 'Flat');
      this.current = { version: m.version, retrieval: m.retrieval, ranker: m.ranker, ann, annIds: new Set(ann.ids), loadedAt: Date.now() };
      swaps.inc();
      annSize.set(ann.size);
      log.info({ version: m.version, items: ann.size, index: description, ms: Date.now() - started }, 'serving model version');
    } catch (err) {
      swapFailures.inc();
      log.error({ version: m.version, err: (err as Error).message }, 'could not load model version; keeping the previous one');
    }
  }

  /** Back to no model (a rollback to nothing promoted): the heuristic scorer serves. */
  clear(): Promise<void> {
    this.pending = this.pending.then(() => {
      if (this.current) log.info({ version: this.current.version }, 'no promoted model any more; serving with the heuristic scorer');
      this.current = undefined;
      annSize.set(0);
    });
    return this.pending;
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
    for (const id of added) snap.annIds.add(id);
    annSize.set(snap.ann.size);
    return keep.length;
  }
}
