/**
 * Trained, promoted models for a benchmark world: `feed train`'s code (models/train.ts) on the
 * world's simulated history, written to the world's registry, so the feed and memory benchmarks
 * serve what production serves. Training at 1M items takes many minutes on wasm, so a version is
 * reused while the world and the model config are the same (a key stored beside the registry).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { withContext } from '../../core/errors.ts';
import { flattenMetrics } from '../../feed-api/routes/dashboard.ts';
import { readManifest, readPointer, versionDir } from '../../models/registry.ts';
import { trainAll } from '../../models/train.ts';
import { annFactory } from '../../models/ann/sizing.ts';
import { MULTITASK_FORMAT } from '../../models/multitask/persist.ts';
import type { BenchWorld } from './world.ts';

/** Epochs of both models, as `npm start` trains the demo world: enough to be a trained model, affordable at 1M items. */
const BENCH_EPOCHS = 3;
const SMOKE_EPOCHS = 1;

export interface BenchModels {
  version: string;
  reused: boolean;
  /** Hash of the world and the model config the version was trained for. */
  key: string;
  epochs: number;
  train_s: number | null;
  ann_index: string;
  /** Training events and the offline metrics from the version's manifest. */
  events: number;
  metrics: Record<string, number>;
  /** Bytes on disk per file of the version, and their total in MiB. */
  files: Record<string, number>;
  size_mib: number;
}

const KEY_FILE = 'bench-models.json';

/** What a trained version depends on: the world (database, sizes, history) and every model setting. */
function modelKey(world: BenchWorld, config: Config, epochs: number): string {
  const inputs = {
    database: config.clickhouse.database,
    items: world.items,
    users: world.users,
    history: world.history,
    seed: config.seed,
    models: config.models,
    ann: annFactory(config.ranker.ann, world.items),
    epochs,
    // A build whose ranker artifacts differ in format cannot load the stored version: train again.
    rankerFormat: MULTITASK_FORMAT,
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

function describe(world: BenchWorld, config: Config, version: string, key: string, epochs: number, reused: boolean, trainS: number | null): BenchModels {
  const manifest = readManifest(config, version);
  const dir = versionDir(config, version);
  const files: Record<string, number> = {};
  for (const entry of Object.values(manifest.models)) for (const f of entry?.files ?? []) files[f] = statSync(join(dir, f)).size;
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  return {
    version,
    reused,
    key,
    epochs,
    train_s: trainS,
    ann_index: annFactory(config.ranker.ann, world.items),
    events: manifest.data_range.events,
    metrics: Object.fromEntries(Object.entries(flattenMetrics(manifest.metrics)).map(([k, v]) => [k, Number(v.toPrecision(4))])),
    files,
    size_mib: Number((total / 2 ** 20).toFixed(1)),
  };
}

/**
 * Makes sure the world's registry (`world.config.dataDir`, or `config.dataDir` when a run keeps
 * its own registry) has a promoted version trained on the world's history for the current key:
 * reuses it when the stored key matches, trains and promotes one otherwise.
 */
export async function ensureTrainedModels(world: BenchWorld, config: Config, opts: { smoke: boolean; log: (m: string) => void }): Promise<BenchModels> {
  const epochs = opts.smoke ? SMOKE_EPOCHS : BENCH_EPOCHS;
  const key = modelKey(world, config, epochs);
  const keyFile = join(config.dataDir, KEY_FILE);
  return withContext(`preparing trained models for ${config.clickhouse.database}`, async () => {
    const stored = existsSync(keyFile) ? (JSON.parse(readFileSync(keyFile, 'utf8')) as { key?: string; version?: string }) : {};
    const promoted = readPointer(config).version;
    if (stored.key === key && stored.version && stored.version === promoted) {
      opts.log(`reusing trained model version ${promoted} (key ${key})`);
      return describe(world, config, promoted, key, epochs, true, null);
    }
    opts.log(`training models on the world's ${world.history.events.toLocaleString('en-US')} history events, ${epochs} epoch(s) (once per world and model config; key ${key})...`);
    const t0 = Date.now();
    let lastLog = 0;
    const report = await trainAll(config, {
      epochs,
      promote: true,
      onProgress: (model, p) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        opts.log(`  ${model}: epoch ${p.epoch}/${p.epochs}, step ${p.step}/${p.steps}, loss ${p.loss.toFixed(4)}, ${Math.round(p.examplesPerSec).toLocaleString('en-US')} examples/s`);
      },
    });
    const trainS = (Date.now() - t0) / 1000;
    writeFileSync(keyFile, `${JSON.stringify({ key, version: report.version }, null, 2)}\n`);
    opts.log(`trained and promoted ${report.version} in ${trainS.toFixed(0)} s`);
    return describe(world, config, report.version, key, epochs, false, Math.round(trainS));
  });
}

/** Refuses a measurement of a server that did not load `models` with its ranker: the figure would not be what it names. */
export function requireTrainedModel(serverInfo: Record<string, unknown>, models: BenchModels, server: string): void {
  const served = serverInfo.model as { version?: string; scorer?: string } | undefined;
  if (served?.version !== models.version || served.scorer !== 'ranker-model') {
    throw new Error(`the ${server} server did not load the trained model ${models.version} (it serves ${JSON.stringify(served ?? null)}); refusing to measure`);
  }
}
