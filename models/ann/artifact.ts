import type { ServingFiles } from './ann-file.ts';
import { AnnIndex } from './faiss-index.ts';

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
