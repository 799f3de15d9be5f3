/**
 * Stand-in promoted models for a benchmark world: the real architectures and sizes with
 * untrained weights, written to the world's model registry like a `feed train` version, so the
 * feed server loads them exactly as it loads trained ones (models/serving.ts).
 */
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { catalogItemFeatures } from '../../feed-api/online-learning.ts';
import { VECTORS_FILE, writeServingArtifacts } from '../../models/ann-artifact.ts';
import { initBackend } from '../../models/backend.ts';
import { FEATURE_SPEC } from '../../models/features.ts';
import { MultiTaskRanker } from '../../models/ranker/multitask.ts';
import { saveRanker } from '../../models/ranker/persist.ts';
import { createVersion, promote, readManifest, readPointer, type Manifest } from '../../models/registry.ts';
import { saveTwoTower } from '../../models/retrieval/persist.ts';
import { priceBand, TwoTower, type ItemFeatures } from '../../models/retrieval/two-tower.ts';
import { AnnIndex } from '../../ranker/ann/faiss-index.ts';
import { loadServingCatalog } from '../../ranker/catalog/loader.ts';
import { annFactory } from '../../ranker/models.ts';
import { createClickHouse } from '../../storage/clickhouse.ts';
import { countItems } from './world.ts';

const SEED = 42;
export const STAND_IN_NOTE = 'stand-in weights for latency benchmarks (untrained, fixed seed), not a trained model';

/** What the manifest's `metrics.benchmark_stand_in` records. */
export interface StandIn {
  note: string;
  items: number;
  ann_index: string;
  item_tower_s: number;
  ann_build_s: number;
}

export interface BenchModels extends StandIn {
  version: string;
  reused: boolean;
}

const standInOf = (m: Manifest) => m.metrics.benchmark_stand_in as StandIn | undefined;

/** Every catalog item's tower features, as the serving process derives them. */
async function catalogFeatures(config: Config): Promise<ItemFeatures[]> {
  const ch = createClickHouse(config);
  try {
    const catalog = await loadServingCatalog(ch, config);
    const out: ItemFeatures[] = [];
    for (let row = 0; row < catalog.items.size; row++) out.push(catalogItemFeatures(catalog, catalog.items.id(row))!);
    return out;
  } finally {
    await ch.close();
  }
}

/**
 * An untrained TwoTower that knows every item. Each item, category, creator and price band gets
 * its own embedding row, as in a model trained on engagement with every item: the item vectors
 * are then spread like trained ones instead of collapsing onto the few default-row vectors.
 * History rows come later, from the events the benchmark posts (online training).
 */
function standInTwoTower(config: Config, features: ItemFeatures[]): TwoTower {
  const model = new TwoTower(config.models.retrieval, SEED);
  model.setItems(features);
  const t = model.tables;
  const now = Date.now();
  for (const f of features) {
    t.item.observe(f.item_id, now);
    t.category.observe(f.category, now);
    t.creator.observe(f.creator_id, now);
    t.price.observe(priceBand(f.has_product, f.price), now);
  }
  return model;
}

/** The item tower over `ids`, in slices with a progress line every ~5 s. */
function itemVectors(model: TwoTower, ids: string[], log: (m: string) => void): Float32Array {
  const out = new Float32Array(ids.length * model.dim);
  const SLICE = 50_000;
  let lastLog = Date.now();
  for (let s = 0; s < ids.length; s += SLICE) {
    out.set(model.itemVectors(ids.slice(s, s + SLICE)), s * model.dim);
    const done = Math.min(ids.length, s + SLICE);
    if (Date.now() - lastLog > 5000 && done < ids.length) {
      lastLog = Date.now();
      log(`  item tower ${done.toLocaleString('en-US')}/${ids.length.toLocaleString('en-US')}`);
    }
  }
  return out;
}

/**
 * Makes sure the world's registry (under `config.dataDir`) has a promoted stand-in version over
 * every catalog item: a TwoTower, a MultiTaskRanker, and the item vectors and ANN index stored
 * as a trained version stores them (models/ann-artifact.ts; built here with progress lines).
 * Reuses the promoted version when it is such a stand-in over as many items as the catalog holds,
 * with the ANN index the config asks for.
 */
export async function ensureBenchModels(config: Config, log: (m: string) => void): Promise<BenchModels> {
  return withContext(`preparing stand-in models for ${config.clickhouse.database}`, async () => {
    const items = await countItems(config);
    const promoted = readPointer(config).version;
    const current = promoted ? standInOf(readManifest(config, promoted)) : undefined;
    const stored = promoted ? (readManifest(config, promoted).models.retrieval?.files ?? []) : [];
    if (promoted && current?.items === items && current.ann_index === annFactory(config, items) && stored.includes(VECTORS_FILE)) {
      log(`reusing stand-in model version ${promoted} (${items.toLocaleString('en-US')} items, ${current.ann_index})`);
      return { version: promoted, reused: true, ...current };
    }
    log(`building stand-in models over ${items.toLocaleString('en-US')} items (once; reused later)${promoted ? `, replacing promoted version ${promoted}` : ''}...`);
    const backend = await initBackend();
    const twoTower = standInTwoTower(config, await catalogFeatures(config));
    const ranker = new MultiTaskRanker(config.models.ranker, SEED);
    try {
      const ids = twoTower.knownItems();
      const dim = twoTower.dim;
      let t0 = Date.now();
      const vectors = itemVectors(twoTower, ids, log);
      const itemTowerS = (Date.now() - t0) / 1000;
      const factory = annFactory(config, ids.length);
      log(`  item tower: ${ids.length.toLocaleString('en-US')} vectors in ${itemTowerS.toFixed(1)} s; building the ${factory} index...`);
      t0 = Date.now();
      const ann = await AnnIndex.buildInWorker(dim, ids, vectors, factory);
      const annBuildS = (Date.now() - t0) / 1000;
      log(`  ${factory} index built in ${annBuildS.toFixed(1)} s; writing the version...`);
      const standIn: StandIn = { note: STAND_IN_NOTE, items, ann_index: factory, item_tower_s: itemTowerS, ann_build_s: annBuildS };
      const manifest = await createVersion(
        config,
        {
          backend: backend.name,
          seed: SEED,
          config: { retrieval: config.models.retrieval, ranker: config.models.ranker, weights: config.models.weights, holdout: config.models.holdout },
          feature_spec: FEATURE_SPEC,
          metrics: { benchmark_stand_in: standIn },
          data_range: { from: null, to: null, cutoff: null, events: 0 },
        },
        (dir) => ({
          retrieval: { files: [...saveTwoTower(twoTower, dir), ...writeServingArtifacts(dir, ann, vectors)] },
          ranker: { files: saveRanker(ranker, dir) },
        }),
      );
      promote(config, manifest.version);
      log(`promoted stand-in model version ${manifest.version}`);
      return { version: manifest.version, reused: false, ...standIn };
    } finally {
      twoTower.dispose();
      ranker.dispose();
    }
  });
}
