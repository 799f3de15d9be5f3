import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import type { TwoTower } from '../retrieval/two-tower.ts';
import { ANN_FILE, joinAnnBuffer, VECTORS_FILE } from './ann-file.ts';
import { buildIndexBytes } from './build-index.ts';
import { annFactory } from './sizing.ts';

/**
 * Runs the item tower over every known item, builds the ANN index (in a child process) and writes
 * both into `dir` (item vectors row-major, in the index's id order); returns the file names. What
 * serving needs besides the weights, stored with the version so a server loads them instead of
 * recomputing (1M items: item tower ~45 s, IVF build ~90 s). Free of faiss-node: it runs in the
 * training thread.
 */
export async function saveServingArtifacts(config: Config, model: TwoTower, dir: string): Promise<string[]> {
  const ids = model.knownItems();
  const vectors = model.itemVectors(ids);
  const description = annFactory(config.ranker.ann, ids.length);
  const index = await buildIndexBytes(model.config.dim, ids.length, vectors, description);
  writeFileSync(join(dir, ANN_FILE), joinAnnBuffer({ dim: model.config.dim, description, ids }, index));
  writeFileSync(join(dir, VECTORS_FILE), new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return [ANN_FILE, VECTORS_FILE];
}
