import { Counter, Gauge } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import type { TwoTower } from '../models/retrieval/two-tower.ts';
import type { RankerModel, RetrievalModel } from '../models/types.ts';
import { AnnIndex } from './ann/faiss-index.ts';
import { NeighbourCache } from './ann/neighbour-cache.ts';

/** What a promoted model version brings to serving (models/serving.ts `ServingModels` has this shape). */
export interface PromotedModels {
  version: string;
  retrieval: RetrievalModel;
  itemIds: string[];
  itemVectors: Float32Array;
  ranker: RankerModel;
  /** The trainable retrieval model, when the online trainer can keep training it. */
  twoTower?: TwoTower;
  /** An index already built over `itemIds`/`itemVectors` (skips the build; search parameters still apply). */
  ann?: AnnIndex;
}

/** The models one request uses; replaced as a whole, so a request never mixes two versions. */
export interface ServingSnapshot {
  version: string;
  retrieval: RetrievalModel;
  ranker: RankerModel;
  ann: AnnIndex;
  /** Search parameters of the item-to-item source's queries ('' = the index's own). */
  i2iParams: string;
  /** Item-to-item neighbours already searched in this version's index. */
  neighbours: NeighbourCache;
  /** The vectors in `ann`, by item id (faiss-node cannot look them up): hydration reads them instead of running the item tower. */
  annIds: ItemVectors;
  loadedAt: number;
}

const log = childLogger('models');
const swaps = new Counter({ name: 'feed_model_swaps_total', help: 'Promoted model versions loaded for serving', registers: [metrics] });
const swapFailures = new Counter({ name: 'feed_model_swap_failures_total', help: 'Model versions that failed to load', registers: [metrics] });
const annSize = new Gauge({ name: 'feed_ann_index_items', help: 'Item vectors in the serving ANN index', registers: [metrics] });

export function annFactory(config: Config, rows: number): string {
  const f = config.ranker.ann.factory;
  if (f !== 'auto') return f;
  // Exact search costs ~0.07 µs per vector and query (75 ms at 1M): only small catalogs stay exact.
  if (rows <= config.ranker.ann.flatMaxItems) return 'Flat';
  // benchmarks/ann: IVF with nprobe=32 beat HNSW32 on recall, latency and memory at 100k and 1M
  // (1M: IVF4096 recall@100 0.974, p50 0.71 ms, 253 MiB; HNSW32 efSearch=256 0.956, 1.33 ms, 504 MiB).
  // About 4·sqrt(n) lists, as a power of two.
  const lists = 2 ** Math.round(Math.log2(4 * Math.sqrt(rows)));
  return `IVF${Math.min(16_384, Math.max(64, lists))},Flat`;
}

/** Search parameters for an index built with `factory` ('' = none); 'auto' follows benchmarks/ann. */
export function annSearchParams(config: Config, factory: string): string {
  const p = config.ranker.ann.searchParams;
  if (p !== 'auto') return p;
  if (/^IVF/i.test(factory)) return 'nprobe=32';
  if (/^HNSW/i.test(factory)) return 'efSearch=256';
  return '';
}

/** Search parameters of item-to-item queries for `factory` ('' = the index's own); 'auto' is a cheaper setting. */
export function i2iSearchParams(config: Config, factory: string): string {
  const p = config.ranker.ann.i2iSearchParams;
  if (p !== 'auto') return p;
  if (/^IVF/i.test(factory)) return 'nprobe=8';
  if (/^HNSW/i.test(factory)) return 'efSearch=64';
  return '';
}

/**
 * Item vectors by id, in the order of the ANN index rows: the promoted version's matrix
 * (kept as is, no copy) plus blocks of vectors added online.
 */
export class ItemVectors implements Iterable<string> {
  private readonly rows = new Map<string, number>();
  private readonly blocks: Float32Array[] = [];
  private readonly base: number;
  private static readonly BLOCK = 4096;
  private used = 0;

  constructor(
    readonly dim: number,
    ids: readonly string[],
    vectors: Float32Array,
  ) {
    if (vectors.length !== ids.length * dim) throw new Error(`ItemVectors: ${ids.length} ids need ${ids.length * dim} floats, got ${vectors.length}`);
    ids.forEach((id, i) => this.rows.set(id, i));
    this.blocks.push(vectors);
    this.base = ids.length;
  }

  get size(): number {
    return this.rows.size;
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.rows.keys();
  }

  /** The vector of `id` (a view, not a copy), or undefined. */
  get(id: string): Float32Array | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    const { dim, base } = this;
    if (row < base) return this.blocks[0]!.subarray(row * dim, (row + 1) * dim);
    const k = row - base;
    const at = k % ItemVectors.BLOCK;
    return this.blocks[1 + Math.floor(k / ItemVectors.BLOCK)]!.subarray(at * dim, (at + 1) * dim);
  }

  /** Dot product of `id`'s vector with `v` (same dim), without a view; undefined when `id` has none. */
  dot(id: string, v: Float32Array): number | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    const { dim, base } = this;
    let block: Float32Array;
    let at: number;
    if (row < base) {
      block = this.blocks[0]!;
      at = row * dim;
    } else {
      const k = row - base;
      block = this.blocks[1 + Math.floor(k / ItemVectors.BLOCK)]!;
      at = (k % ItemVectors.BLOCK) * dim;
    }
    let s = 0;
    for (let d = 0; d < dim; d++) s += block[at + d]! * v[d]!;
    return s;
  }

  /** Appends vectors of new ids (ids already present are the caller's to skip). */
  add(ids: readonly string[], vectors: Float32Array): void {
    const { dim } = this;
    ids.forEach((id, i) => {
      const at = this.used % ItemVectors.BLOCK;
      if (at === 0) this.blocks.push(new Float32Array(ItemVectors.BLOCK * dim));
      this.blocks[this.blocks.length - 1]!.set(vectors.subarray(i * dim, (i + 1) * dim), at * dim);
      this.rows.set(id, this.base + this.used++);
    });
  }
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
      const factory = annFactory(this.config, m.itemIds.length);
      // A stored index serves only if it was built the way this config asks for.
      if (m.ann && m.ann.description !== factory) log.info({ version: m.version, stored: m.ann.description, factory }, 'stored ANN index differs from the configured one; rebuilding');
      const ann =
        m.ann?.description === factory
          ? m.ann
          : m.itemIds.length > 0
            ? await AnnIndex.buildInWorker(m.retrieval.dim, m.itemIds, m.itemVectors, factory)
            : AnnIndex.build(m.retrieval.dim, [], new Float32Array(0), 'Flat');
      if (ann.size !== m.itemIds.length) throw new Error(`the ANN index holds ${ann.size} vectors for ${m.itemIds.length} items`);
      const params = annSearchParams(this.config, ann.description);
      if (params) ann.setSearchParameters(params);
      const description = params ? `${ann.description} (${params})` : ann.description;
      const annIds = new ItemVectors(m.retrieval.dim, ann.ids, m.itemVectors);
      const i2iParams = params ? i2iSearchParams(this.config, ann.description) : '';
      const { i2iCacheItems, i2iCacheTtlMs } = this.config.ranker.ann;
      const neighbours = new NeighbourCache(i2iCacheItems, i2iCacheTtlMs);
      this.current = { version: m.version, retrieval: m.retrieval, ranker: m.ranker, ann, annIds, i2iParams, neighbours, loadedAt: Date.now() };
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
    snap.annIds.add(added, out);
    annSize.set(snap.ann.size);
    return keep.length;
  }
}
