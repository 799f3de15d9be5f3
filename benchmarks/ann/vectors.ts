/**
 * Clustered synthetic embeddings. Uniform random vectors on the sphere have no neighbourhood
 * structure (every point is almost equidistant), which makes ANN indexes look far worse than
 * on real item embeddings; trained item towers put similar items in clusters.
 */

import { mulberry32 } from '../../core/rng.ts';

function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rand(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * rand();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

function normalise(v: Float32Array, offset: number, dim: number): void {
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += v[offset + d]! ** 2;
  const inv = 1 / Math.sqrt(norm || 1);
  for (let d = 0; d < dim; d++) v[offset + d]! *= inv;
}

export interface ClusteredSpace {
  dim: number;
  centers: Float32Array;
  clusters: number;
  /** Cluster popularity is Zipf-like (s = 0.8): a few big genres, a long tail. */
  cumulative: Float64Array;
}

export function clusteredSpace(dim: number, clusters: number, seed: number): ClusteredSpace {
  const g = gaussian(mulberry32(seed));
  const centers = new Float32Array(clusters * dim);
  for (let c = 0; c < clusters; c++) {
    for (let d = 0; d < dim; d++) centers[c * dim + d] = g();
    normalise(centers, c * dim, dim);
  }
  const cumulative = new Float64Array(clusters);
  let total = 0;
  for (let c = 0; c < clusters; c++) cumulative[c] = total += 1 / (c + 1) ** 0.8;
  for (let c = 0; c < clusters; c++) cumulative[c]! /= total;
  return { dim, centers, clusters, cumulative };
}

function pickCluster(space: ClusteredSpace, u: number): number {
  let lo = 0;
  let hi = space.clusters - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (space.cumulative[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `n` L2-normalised points: a cluster centre plus Gaussian noise of total norm about `spread`
 * (0.5 gives a cosine of about 0.9 to the centre).
 */
export function samplePoints(space: ClusteredSpace, n: number, spread: number, seed: number): Float32Array {
  const { dim } = space;
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  const sigma = spread / Math.sqrt(dim);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pickCluster(space, rand());
    for (let d = 0; d < dim; d++) out[i * dim + d] = space.centers[c * dim + d]! + sigma * g();
    normalise(out, i * dim, dim);
  }
  return out;
}
