import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { withContext } from '../core/errors.ts';
import type { AnnIndex } from './ann/faiss-index.ts';
import { removeIndexFile } from './ann/ann-file.ts';
import { servingArtifactsFor } from './ann/artifact.ts';
import { initBackend } from './backend.ts';
import { loadMultitask } from './multitask/persist.ts';
import { registryDir, readManifest, readPointer, versionDir } from './registry.ts';
import { twoTowerFromSaved } from './retrieval/persist.ts';
import type { TwoTower } from './retrieval/two-tower.ts';
import type { MultitaskModel, RetrievalModel } from './types.ts';
import { itemSlices, readVersionFiles, savedWithoutItems, servingFiles } from './version-reader.ts';

const log = childLogger('models');

/** What a promoted model version brings to serving (ranker/models.ts `ModelHolder.swap`). */
export interface PromotedModels {
  version: string;
  retrieval: RetrievalModel;
  itemIds: string[];
  /** Row-major, L2-normalised, itemIds.length x retrieval.dim. */
  itemVectors: Float32Array;
  multitask: MultitaskModel;
  /** The trainable retrieval model, when the online trainer can keep training it (models/online-trainer.ts). */
  twoTower?: TwoTower;
  /** An index already built over `itemIds`/`itemVectors` (skips the build; search parameters still apply). */
  ann?: AnnIndex;
}

/** A version loaded from the registry: always with its trainable retrieval model. */
export type ServingModels = PromotedModels & { twoTower: TwoTower };

/** Items whose features are added to a loading model per turn of the event loop. */
const ITEM_SLICE = 10_000;

/** Gives the event loop a turn between the synchronous steps of a load, so requests keep being served. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Loads one registry version for serving without holding the event loop: a worker thread reads
 * and parses the files, and each remaining synchronous step (building the model's tables,
 * listing its items, handing the FAISS bytes to faiss) gets its own turn. The slowest step is
 * logged, so a stall at promotion can be placed.
 */
export async function loadVersion(config: Config, version: string): Promise<ServingModels> {
  await initBackend();
  return withContext(`loading model version ${version}`, async () => {
    readManifest(config, version);
    const dir = versionDir(config, version);
    const started = performance.now();
    const files = await readVersionFiles(dir);
    const read = performance.now() - started;
    const steps: Record<string, number> = {};
    const step = async <T>(name: string, fn: () => T): Promise<T> => {
      await turn();
      const t0 = performance.now();
      const out = fn();
      steps[name] = Math.max(steps[name] ?? 0, Math.round(performance.now() - t0));
      return out;
    };
    try {
      const twoTower = await step('retrieval model', () => twoTowerFromSaved(savedWithoutItems(files)));
      for (const add of itemSlices(files, ITEM_SLICE)) await step('item features', () => add(twoTower));
      const multitask = await step('multi-task model', () => loadMultitask(dir));
      twoTower.version = version;
      multitask.version = version;
      const itemIds = await step('item ids', () => twoTower.knownItems());
      const serving = await step('ANN ids', () => servingFiles(files));
      const stored = await step('ANN index', () => servingArtifactsFor(serving, itemIds, twoTower.dim));
      const itemVectors = stored.vectors ?? (await step('item vectors', () => twoTower.itemVectors(itemIds)));
      log.info({ version, read_ms: Math.round(read), sync_ms: steps, total_ms: Math.round(performance.now() - started) }, 'model version loaded');
      return { version, retrieval: twoTower, twoTower, multitask, itemIds, itemVectors, ...(stored.ann ? { ann: stored.ann } : {}) };
    } finally {
      // The reader's copy of the FAISS bytes, read by now (or not needed).
      if (files.serving.ann) removeIndexFile(files.serving.ann.indexFile);
    }
  });
}

/** The promoted version, loaded; undefined when nothing is promoted. */
export async function loadPromotedModels(config: Config): Promise<ServingModels | undefined> {
  const { version } = readPointer(config);
  return version ? loadVersion(config, version) : undefined;
}

/**
 * Polls the promoted pointer (config.models.watchIntervalMs, about 1 s) and calls `onChange`
 * with the new version (undefined when none) after each promote or rollback.
 */
export function watchPromoted(config: Config, onChange: (version: string | undefined) => void): { close(): void } {
  const path = join(registryDir(config), 'promoted.json');
  const read = (): string | undefined => {
    try {
      return existsSync(path) ? (readPointer(config).version ?? undefined) : undefined;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot read the promoted model pointer');
      return last;
    }
  };
  let last: string | undefined;
  let lastMtime = existsSync(path) ? statSync(path).mtimeMs : 0;
  last = read();
  const timer = setInterval(() => {
    const mtime = existsSync(path) ? statSync(path).mtimeMs : 0;
    if (mtime === lastMtime) return;
    lastMtime = mtime;
    const version = read();
    if (version === last) return;
    last = version;
    log.info({ version }, 'promoted model changed');
    try {
      onChange(version);
    } catch (err) {
      log.error({ err }, 'promoted-model change handler failed');
    }
  }, config.models.watchIntervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
