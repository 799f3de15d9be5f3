import { Counter, Gauge } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import type { TwoTower } from '../models/retrieval/two-tower.ts';
import type { RankerModel, RetrievalModel } from '../models/types.ts';
import { AnnIndex } from './ann/faiss-index.ts';
import { NeighbourCache } from './ann/neighbour-cache.ts';
import { ensureCapacity } from './catalog/columns.ts';

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
  // (1M: IVF4096 recall@100 0.974; HNSW32 efSearch=256 0.956, 1.33 ms, 504 MiB). About 4·sqrt(n)
  // lists, as a power of two. Vectors stored as fp16: a query reads half the memory for the same
  // recall (1M: 0.973, p50 0.40 ms, 131 MiB; float32 lists 0.53 ms, 253 MiB) with the native codecs
  // (stack/faiss/kernels.sh; Debian's generic build decodes fp16 in scalar code).
  const lists = 2 ** Math.round(Math.log2(4 * Math.sqrt(rows)));
  return `IVF${Math.min(16_384, Math.max(64, lists))},SQfp16`;
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

/** Rows of the serving catalog's items by id (ranker/catalog/columns.ts IdIndex). */
export interface ItemRows {
  row(id: string): number;
}

/**
 * Item vectors in ANN label order (a label is a row of the FAISS index): the promoted
 * version's matrix (kept as is, no copy) plus blocks of vectors added online. Labels and
 * catalog rows are linked in typed arrays, so a request goes from ANN hits to catalog rows
 * and from catalog rows to vectors without string lookups. An id goes to its label through
 * the catalog's row; only ids the catalog does not hold yet have a map entry.
 */
export class ItemVectors {
  private readonly ids: string[] = [];
  /** Labels of ids without a catalog row when they were registered. */
  private readonly unlinked = new Map<string, number>();
  private readonly blocks: Float32Array[] = [];
  private readonly base: number;
  private static readonly BLOCK = 4096;
  private used = 0;
  /** label → catalog row + 1 (0: not linked yet). */
  private labelRows: Int32Array;
  /** catalog row → label + 1 (0: not linked yet). */
  private rowLabels = new Int32Array(0);

  constructor(
    readonly dim: number,
    ids: readonly string[],
    vectors: Float32Array,
    private readonly items: ItemRows,
  ) {
    if (vectors.length !== ids.length * dim) throw new Error(`ItemVectors: ${ids.length} ids need ${ids.length * dim} floats, got ${vectors.length}`);
    this.labelRows = new Int32Array(ids.length);
    ids.forEach((id, label) => this.register(id, label));
    this.blocks.push(vectors);
    this.base = ids.length;
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.labelOf(id) >= 0;
  }

  /** The vector of `id` (a view, not a copy), or undefined. */
  get(id: string): Float32Array | undefined {
    const label = this.labelOf(id);
    if (label < 0) return undefined;
    const { block, at } = this.locate(label);
    return block.subarray(at, at + this.dim);
  }

  /** Catalog row of the item at `label`, or -1 when the catalog does not hold it (yet) or `label` is -1 (no hit). */
  catalogRow(label: number): number {
    const linked = (this.labelRows[label] ?? 0) - 1;
    if (linked >= 0) return linked;
    const id = this.ids[label];
    const row = id === undefined ? -1 : this.items.row(id);
    if (row >= 0) this.link(label, row);
    return row;
  }

  /** Where catalog row `row`'s (item `id`'s) vector is, without a string lookup once linked (no copy, no view); undefined when it has none. */
  rowVector(row: number, id: string): { block: Float32Array; at: number } | undefined {
    let label = (this.rowLabels[row] ?? 0) - 1;
    if (label < 0) label = this.adopt(id, row);
    return label < 0 ? undefined : this.locate(label);
  }

  /** Appends vectors of new ids (ids already present are the caller's to skip). */
  add(ids: readonly string[], vectors: Float32Array): void {
    const { dim } = this;
    ids.forEach((id, i) => {
      const at = this.used % ItemVectors.BLOCK;
      if (at === 0) this.blocks.push(new Float32Array(ItemVectors.BLOCK * dim));
      this.blocks[this.blocks.length - 1]!.set(vectors.subarray(i * dim, (i + 1) * dim), at * dim);
      this.register(id, this.base + this.used++);
    });
  }

  /** Indexes `id` at `label` (the next one) and links it to its catalog row when the catalog holds it. */
  private register(id: string, label: number): void {
    this.ids.push(id);
    const row = this.items.row(id);
    if (row >= 0) this.link(label, row);
    else this.unlinked.set(id, label);
  }

  /** Label of `id`, or -1. */
  private labelOf(id: string): number {
    const row = this.items.row(id);
    const linked = row >= 0 ? (this.rowLabels[row] ?? 0) - 1 : -1;
    return linked >= 0 ? linked : this.adopt(id, row);
  }

  /** Label of an id registered before the catalog held it (-1: none), linked to `row` when it has one now. */
  private adopt(id: string, row: number): number {
    const label = this.unlinked.get(id) ?? -1;
    if (label >= 0 && row >= 0) this.link(label, row);
    return label;
  }

  private locate(label: number): { block: Float32Array; at: number } {
    if (label < this.base) return { block: this.blocks[0]!, at: label * this.dim };
    const k = label - this.base;
    return { block: this.blocks[1 + Math.floor(k / ItemVectors.BLOCK)]!, at: (k % ItemVectors.BLOCK) * this.dim };
  }

  private link(label: number, row: number): void {
    this.labelRows = ensureCapacity(this.labelRows, label + 1);
    this.labelRows[label] = row + 1;
    this.rowLabels = ensureCapacity(this.rowLabels, row + 1);
    this.rowLabels[row] = label + 1;
    if (this.unlinked.size > 0) this.unlinked.delete(this.ids[label]!);
  }
}

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
      const annIds = new ItemVectors(m.retrieval.dim, ann.ids, m.itemVectors, this.items);
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
