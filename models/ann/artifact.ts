import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import type { TwoTower } from '../retrieval/two-tower.ts';
import { ANN_FILE, type ServingFiles, VECTORS_FILE } from './ann-file.ts';
import { AnnIndex } from './faiss-index.ts';
import { annFactory } from './sizing.ts';

/**
 * What serving needs from the retrieval model besides its weights, stored with the version so a
 * server loads them instead of recomputing (1M items: item tower ~45 s, IVF build ~90 s).
 */

/** Writes the index and the item vectors (row-major, in `ann.ids` order) into `dir`; returns the file names. */
function writeServingArtifacts(dir: string, ann: AnnIndex, vectors: Float32Array): string[] {
  writeFileSync(join(dir, ANN_FILE), ann.toBuffer());
  writeFileSync(join(dir, VECTORS_FILE), new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return [ANN_FILE, VECTORS_FILE];
}

/** Runs the item tower over every known item, builds the index (in a child process) and writes both into `dir`. */
export async function saveServingArtifacts(config: Config, model: TwoTower, dir: string): Promise<string[]> {
  const ids = model.knownItems();
  const vectors = model.itemVectors(ids);
  const ann = await AnnIndex.buildInWorker(model.config.dim, ids, vectors, annFactory(config.ranker.ann, ids.length));
  return writeServingArtifacts(dir, ann, vectors);
}

/**
 * The stored index and vectors (read by `readServingFiles`, ann-file.ts) when they cover exactly
 * `ids` in order and have `dim` columns; each undefined when absent or stale.
 */
export function servingArtifactsFor(files: ServingFiles, ids: readonly string[], dim: number): { ann?: AnnIndex; vectors?: Float32Array } {
  const stored = files.ann;
  if (!stored || stored.header.ids.length !== ids.length || stored.header.ids.some((id, i) => id !== ids[i])) return {};
  const ann = AnnIndex.fromFile(stored.header, stored.indexFile);
  return files.vectors?.length === ids.length * dim ? { ann, vectors: files.vectors } : { ann };
}
