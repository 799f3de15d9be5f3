import { parentPort, workerData } from 'node:worker_threads';
import { readServingFiles } from './ann/ann-file.ts';
import { packStrings } from './packed-strings.ts';
import { readSavedTwoTower } from './retrieval/persist.ts';
import type { ReadVersion, VersionFiles } from './version-reader.ts';

/**
 * Reads and parses a version's retrieval files off the serving thread (models/version-reader.ts
 * starts it, once per load): the JSON parse of 100k items' features alone holds a loop for
 * hundreds of ms. Items and counts travel as columns, which cost the receiver far less to
 * deserialise than as many small objects; typed arrays are transferred, not copied.
 */
function read({ dir }: ReadVersion): { files: VersionFiles; transfer: ArrayBuffer[] } {
  const { saved, arrays } = readSavedTwoTower(dir);
  const { items, itemCounts, ...rest } = saved;
  const columns = {
    ids: packStrings(items.map((f) => f.item_id)),
    categories: packStrings(items.map((f) => f.category)),
    creators: packStrings(items.map((f) => f.creator_id)),
    hasProduct: Uint8Array.from(items, (f) => (f.has_product ? 1 : 0)),
    prices: Float64Array.from(items, (f) => f.price),
  };
  const counts = { ids: packStrings(itemCounts.map(([id]) => id)), counts: Float64Array.from(itemCounts, ([, n]) => n) };
  const serving = readServingFiles(dir);
  const stored = serving.ann;
  const ann = stored && { header: { dim: stored.header.dim, description: stored.header.description }, ids: packStrings(stored.header.ids), indexFile: stored.indexFile };
  const files: VersionFiles = {
    retrieval: { saved: rest, arrays, items: columns, itemCounts: counts },
    serving: { ...(ann ? { ann } : {}), ...(serving.vectors ? { vectors: serving.vectors } : {}) },
  };
  const offsets = [columns.ids, columns.categories, columns.creators, counts.ids, ...(ann ? [ann.ids] : [])].map((p) => p.offsets);
  const typed = [...Object.values(arrays), ...offsets, columns.hasProduct, columns.prices, counts.counts, ...(serving.vectors ? [serving.vectors] : [])];
  return { files, transfer: typed.map((a) => a.buffer as ArrayBuffer) };
}

if (!parentPort) throw new Error('models/version-reader-worker.ts runs as a worker thread (models/version-reader.ts starts it)');
const { files, transfer } = read(workerData as ReadVersion);
parentPort.postMessage(files, transfer);
