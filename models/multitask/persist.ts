import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArrays, writeArrays, type ArrayEntry } from '../artifact-io.ts';
import { MultitaskMmoe, type MultitaskState } from './multitask.ts';

/**
 * 1: shared-bottom ranker (no `format` field); 2: MMoE with the user–item relation features;
 * 3: the same features with item rates per impression, shrunk (models/features.ts `itemRates`).
 */
export const MULTITASK_FORMAT = 3;

type Saved = Omit<MultitaskState, 'weights'> & { format: number; layers: number; arrays: ArrayEntry[] };

export function saveMultitask(model: MultitaskMmoe, dir: string): string[] {
  const { weights, ...rest } = model.state();
  const arrays = Object.fromEntries(weights.map((w, i) => [`w${i}`, w]));
  const index = writeArrays(join(dir, 'ranker.bin'), arrays);
  const saved: Saved = { ...rest, format: MULTITASK_FORMAT, layers: weights.length, arrays: index };
  writeFileSync(join(dir, 'ranker.json'), JSON.stringify(saved));
  return ['ranker.json', 'ranker.bin'];
}

type Stored = Partial<Saved> & Pick<Saved, 'arrays' | 'layers'>;

/** The version's saved ranker description; throws when this build cannot serve its format. */
export function readMultitaskSpec(dir: string): Stored {
  const saved = JSON.parse(readFileSync(join(dir, 'ranker.json'), 'utf8')) as Stored;
  const format = saved.format ?? 1;
  if (format !== MULTITASK_FORMAT) {
    throw new Error(
      `ranker artifact format ${format} predates this build's ranker (format ${MULTITASK_FORMAT}: MMoE over the user–item relation features, shrunk item rates); retrain with \`feed train\``,
    );
  }
  return saved;
}

export function loadMultitask(dir: string): MultitaskMmoe {
  const saved = readMultitaskSpec(dir);
  const arrays = readArrays(join(dir, 'ranker.bin'), saved.arrays);
  const weights = Array.from({ length: saved.layers }, (_, i) => arrays[`w${i}`] as Float32Array);
  const state = saved as Saved;
  return new MultitaskMmoe(state.config, state.seed, { ...state, weights });
}
