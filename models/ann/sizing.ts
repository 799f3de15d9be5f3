import type { RankerConfig } from '../../config/sections/ranker.ts';

/** The `ranker.ann` section: index factory and search parameters. */
export type AnnConfig = RankerConfig['ann'];

/** The FAISS index for `rows` item vectors: `ranker.ann.factory`, or chosen by size when 'auto'. */
export function annFactory(ann: AnnConfig, rows: number): string {
  const f = ann.factory;
  if (f !== 'auto') return f;
  // Exact search costs ~0.07 µs per vector and query (75 ms at 1M): only small catalogs stay exact.
  if (rows <= ann.flatMaxItems) return 'Flat';
  // benchmarks/ann: IVF with nprobe=32 beat HNSW32 on recall, latency and memory at 100k and 1M
  // (1M: IVF4096 recall@100 0.974; HNSW32 efSearch=256 0.956, 1.33 ms, 504 MiB). About 4·sqrt(n)
  // lists, as a power of two. Vectors stored as fp16: a query reads half the memory for the same
  // recall (1M: 0.973, p50 0.40 ms, 131 MiB; float32 lists 0.53 ms, 253 MiB) with the native codecs
  // (stack/faiss/kernels.sh; Debian's generic build decodes fp16 in scalar code).
  const lists = 2 ** Math.round(Math.log2(4 * Math.sqrt(rows)));
  return `IVF${Math.min(16_384, Math.max(64, lists))},SQfp16`;
}

/** Search parameters for an index built with `factory` ('' = none); 'auto' follows benchmarks/ann. */
export function annSearchParams(ann: AnnConfig, factory: string): string {
  const p = ann.searchParams;
  if (p !== 'auto') return p;
  if (/^IVF/i.test(factory)) return 'nprobe=32';
  if (/^HNSW/i.test(factory)) return 'efSearch=256';
  return '';
}

/** Search parameters of item-to-item queries for `factory` ('' = the index's own); 'auto' is a cheaper setting. */
export function i2iSearchParams(ann: AnnConfig, factory: string): string {
  const p = ann.i2iSearchParams;
  if (p !== 'auto') return p;
  if (/^IVF/i.test(factory)) return 'nprobe=8';
  if (/^HNSW/i.test(factory)) return 'efSearch=64';
  return '';
}
