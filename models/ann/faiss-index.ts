import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type { Index as FaissIndex, MetricType as FaissMetricType } from 'faiss-node';
import { type AnnHeader, joinAnnBuffer, removeIndexFile, splitAnnBuffer, writeIndexFile } from './ann-file.ts';
import { buildIndexBytes } from './build-index.ts';

// faiss-node keeps per-process state (its classes' constructors): loaded by a worker thread too,
// it crashes the main thread's next call (a V8 fatal error) once that worker ends.
if (!isMainThread) throw new Error('faiss-node loads on the main thread only; build indexes with models/ann/build-index.ts');

// One OpenMP/OpenBLAS thread per process, set before faiss-node loads them: on 2 cores their own
// threads fight (ENVIRONMENT.md measured 2 threads slower than 1; a lone query ran 3x slower).
process.env.OMP_NUM_THREADS ??= '1';
process.env.OPENBLAS_NUM_THREADS ??= '1';

const require = createRequire(import.meta.url);
const faiss = require('faiss-node') as typeof import('faiss-node');

export type { FaissIndex };

/** Added to faiss-node by stack/faiss/faiss-node.patch: faiss ParameterSpace, and a search over typed arrays. */
interface PatchedIndex {
  setSearchParameters(params: string): void;
  /** Writes query q's hits to labels/distances [q·k, (q+1)·k) (-1: none). */
  searchInto(queries: Float32Array, k: number, labels: Int32Array, distances: Float32Array): void;
}

// Debian's faiss is a generic (unvectorised) build: scoring a query against 4096 IVF centroids
// costs ~0.3 ms in its own loops, several times what OpenBLAS's SIMD kernels take, so flat
// distances go through BLAS from the first query (faiss's default: from 20).
(faiss.Index as unknown as { setBlasThreshold(queries: number, queryBlock: number): void }).setBlasThreshold(1, 64);

/** Inner product on L2-normalised vectors, i.e. cosine similarity. */
const METRIC_INNER_PRODUCT = faiss.MetricType.METRIC_INNER_PRODUCT as FaissMetricType;

/**
 * An ANN index over item vectors: a FAISS index plus the id of each row (faiss-node has no
 * add_with_ids, so labels are row positions).
 */
export class AnnIndex {
  /** The search parameters last set (restored after a search with its own). */
  private params = '';

  private constructor(
    readonly index: FaissIndex,
    readonly ids: string[],
    readonly dim: number,
    readonly description: string,
  ) {}

  /**
   * Builds from row-major vectors. `description` is a FAISS factory string such as `Flat`,
   * `IVF1024,Flat` or `HNSW32`; IVF indexes are trained on the vectors first.
   */
  static build(dim: number, ids: string[], vectors: Float32Array, description = 'Flat'): AnnIndex {
    if (vectors.length !== ids.length * dim) {
      throw new Error(`AnnIndex.build: ${ids.length} ids need ${ids.length * dim} floats, got ${vectors.length}`);
    }
    const index = faiss.Index.fromFactory(dim, description, METRIC_INNER_PRODUCT);
    if (!index.isTrained()) index.train(Array.from(vectors));
    const ann = new AnnIndex(index, [], dim, description);
    ann.add(ids, vectors);
    return ann;
  }

  /**
   * Builds in a child process (models/ann/build-worker.mjs) so the calling process keeps
   * serving; only reading the finished index back happens here.
   */
  static async buildInWorker(dim: number, ids: string[], vectors: Float32Array, description = 'Flat'): Promise<AnnIndex> {
    const file = writeIndexFile(await buildIndexBytes(dim, ids.length, vectors, description));
    try {
      return new AnnIndex(faiss.Index.read(file), [...ids], dim, description);
    } finally {
      removeIndexFile(file);
    }
  }

  /** Appends vectors (new items) without a rebuild. */
  add(ids: string[], vectors: Float32Array): void {
    const CHUNK = 50_000;
    for (let start = 0; start < ids.length; start += CHUNK) {
      const end = Math.min(ids.length, start + CHUNK);
      this.index.add(Array.from(vectors.subarray(start * this.dim, end * this.dim)));
      for (let i = start; i < end; i++) this.ids.push(ids[i]!);
    }
  }

  /** Search-time parameters, e.g. `nprobe=16` (IVF) or `efSearch=64` (HNSW). */
  setSearchParameters(params: string): void {
    (this.index as unknown as PatchedIndex).setSearchParameters(params);
    this.params = params;
  }

  get size(): number {
    return this.index.ntotal();
  }

  /**
   * Top-k ids and scores for each of the `queries` (row-major, n x dim). `params` applies to
   * this search only (e.g. a cheaper `nprobe` for a secondary source); the index's own
   * parameters are restored after it, so it needs them set first.
   */
  search(queries: Float32Array, k: number, params?: string): { id: string; score: number }[][] {
    const { labels, scores, k: kk } = this.searchLabels(queries, k, params);
    const out: { id: string; score: number }[][] = [];
    for (let q = 0; q < queries.length / this.dim; q++) {
      const hits: { id: string; score: number }[] = [];
      for (let j = q * kk; j < (q + 1) * kk; j++) {
        const label = labels[j]!;
        if (label >= 0) hits.push({ id: this.ids[label]!, score: scores[j]! });
      }
      out.push(hits);
    }
    return out;
  }

  /**
   * `search` without the ids: query q's hits are `labels`/`scores` [q·k, (q+1)·k), best first;
   * a label is a row of this index (-1: no hit). The serving path maps labels to catalog rows.
   */
  searchLabels(queries: Float32Array, k: number, params?: string): { labels: Int32Array; scores: Float32Array; k: number } {
    if (params && params !== this.params) {
      if (!this.params) throw new Error('AnnIndex.search: per-search parameters need the index parameters set first (setSearchParameters)');
      const own = this.params;
      (this.index as unknown as PatchedIndex).setSearchParameters(params);
      try {
        return this.searchLabels(queries, k);
      } finally {
        (this.index as unknown as PatchedIndex).setSearchParameters(own);
      }
    }
    const kk = Math.min(k, this.size);
    if (kk === 0) return { labels: new Int32Array(0), scores: new Float32Array(0), k: 0 };
    const n = (queries.length / this.dim) * kk;
    const labels = new Int32Array(n);
    const scores = new Float32Array(n);
    (this.index as unknown as PatchedIndex).searchInto(queries, kk, labels, scores);
    return { labels, scores, k: kk };
  }

  /** Serializes the index and its id table into one buffer (models/ann/ann-file.ts). */
  toBuffer(): Buffer {
    return joinAnnBuffer({ dim: this.dim, description: this.description, ids: this.ids }, this.index.toBuffer());
  }

  static fromBuffer(buf: Buffer): AnnIndex {
    const { header, index } = splitAnnBuffer(buf);
    const file = writeIndexFile(index);
    try {
      return AnnIndex.fromFile(header, file);
    } finally {
      removeIndexFile(file);
    }
  }

  /** An index from its header and a file of FAISS bytes (ann-file.ts `writeIndexFile`; never faiss-node's leaking `fromBuffer`). */
  static fromFile(header: AnnHeader, file: string): AnnIndex {
    const index = faiss.Index.read(file);
    if (index.ntotal() !== header.ids.length) throw new Error(`AnnIndex.fromFile: ${index.ntotal()} vectors but ${header.ids.length} ids`);
    return new AnnIndex(index, header.ids, header.dim, header.description);
  }
}
