import { tsWorker } from '../core/ts-worker.ts';
import type { AnnHeader, ServingFiles } from './ann/ann-file.ts';
import { type PackedStrings, packedLength, unpackString, unpackStrings } from './packed-strings.ts';
import type { ItemFeatures } from './retrieval/item-features.ts';
import type { Saved, SavedTwoTower } from './retrieval/persist.ts';
import type { TwoTower } from './retrieval/two-tower.ts';

/** The lowest priority: nothing waits on a load but the swap; on a busy host requests get the cores first. */
const READER_NICE = 19;

/** What the reader thread is started with (`workerData`). */
export interface ReadVersion {
  dir: string;
}

/** A version's retrieval model and serving files, read and parsed by the reader thread. */
export interface VersionFiles {
  retrieval: {
    saved: Omit<Saved, 'items' | 'itemCounts'>;
    arrays: SavedTwoTower['arrays'];
    items: { ids: PackedStrings; categories: PackedStrings; creators: PackedStrings; hasProduct: Uint8Array; prices: Float64Array };
    itemCounts: { ids: PackedStrings; counts: Float64Array };
  };
  serving: { ann?: { header: Omit<AnnHeader, 'ids'>; ids: PackedStrings; indexFile: string }; vectors?: Float32Array };
}

/**
 * Reads a version's retrieval files in a short-lived worker thread (models/version-reader-worker.ts),
 * so a hot reload never parses them on the serving loop.
 */
export function readVersionFiles(dir: string): Promise<VersionFiles> {
  return new Promise((resolve, reject) => {
    const worker = tsWorker(new URL('./version-reader-worker.ts', import.meta.url), { workerData: { dir } satisfies ReadVersion, nice: READER_NICE });
    let files: VersionFiles | undefined;
    worker.once('message', (m: VersionFiles) => (files = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (files ? resolve(files) : reject(new Error(`the version reader thread exited with code ${code} before answering`))));
  });
}

/** The saved model without its per-item features and counts, which `addItems` adds a slice at a time. */
export function savedWithoutItems({ retrieval: r }: VersionFiles): SavedTwoTower {
  return { saved: { ...r.saved, items: [], itemCounts: [] }, arrays: r.arrays };
}

/** Items (features and counts) in slices of `size`: each function puts one slice into a model. */
export function itemSlices({ retrieval: r }: VersionFiles, size: number): ((model: TwoTower) => void)[] {
  const { ids, categories, creators, hasProduct, prices } = r.items;
  const counts = r.itemCounts;
  const items = packedLength(ids);
  const counted = packedLength(counts.ids);
  const slices: ((model: TwoTower) => void)[] = [];
  for (let from = 0; from < Math.max(items, counted); from += size) {
    slices.push((model) => {
      const features: ItemFeatures[] = [];
      for (let i = from; i < Math.min(items, from + size); i++) {
        features.push({ item_id: unpackString(ids, i), category: unpackString(categories, i), creator_id: unpackString(creators, i), has_product: hasProduct[i] === 1, price: prices[i]! });
      }
      model.setItems(features);
      for (let i = from; i < Math.min(counted, from + size); i++) model.countItem(unpackString(counts.ids, i), counts.counts[i]!);
    });
  }
  return slices;
}

/** The stored ANN files in the shape `servingArtifactsFor` takes. */
export function servingFiles({ serving }: VersionFiles): ServingFiles {
  const ann = serving.ann && { header: { ...serving.ann.header, ids: unpackStrings(serving.ann.ids) }, indexFile: serving.ann.indexFile };
  return { ...(ann ? { ann } : {}), ...(serving.vectors ? { vectors: serving.vectors } : {}) };
}
